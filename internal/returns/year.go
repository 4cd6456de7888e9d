package returns

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Year is an NHS financial year, 1 April to 31 March: Year{2026} is
// 2026-27.
type Year struct {
	StartYear int
}

var yearForm = regexp.MustCompile(`^(\d{4})[-/](\d{2}|\d{4})$`)

// ParseYear reads a financial year written "2026-27", "2026/27" or
// "2026-2027", with spaces anywhere.
func ParseYear(s string) (Year, error) {
	compact := compactForm(s)
	m := yearForm.FindStringSubmatch(compact)
	if m == nil {
		return Year{}, fmt.Errorf("year %q is not a financial year: write it as 2026-27", s)
	}
	start, _ := strconv.Atoi(m[1])
	end, _ := strconv.Atoi(m[2])
	next := start + 1
	if len(m[2]) == 2 {
		next %= 100
	}
	if end != next {
		return Year{}, fmt.Errorf("year %q names no financial year (%d is followed by %d): write it as 2026-27", s, start, start+1)
	}
	return Year{StartYear: start}, nil
}

// YearOf is the financial year containing the calendar day of d.
func YearOf(d time.Time) Year { return Year{StartYear: QuarterOf(d).StartYear} }

// LastCompletedYear is the last financial year whose last day is before
// today: on 1 April 2027 that is 2026-27, on 31 March 2027 still 2025-26.
func LastCompletedYear(today time.Time) Year {
	return Year{StartYear: YearOf(today).StartYear - 1}
}

// String is the canonical name, "2026-27".
func (y Year) String() string { return fmt.Sprintf("%d-%02d", y.StartYear, (y.StartYear+1)%100) }

// Quarters are the year's four quarters in order.
func (y Year) Quarters() []Quarter {
	return []Quarter{{y.StartYear, 1}, {y.StartYear, 2}, {y.StartYear, 3}, {y.StartYear, 4}}
}

// Start is 1 April; End is 31 March, the year's last day.
func (y Year) Start() time.Time { return y.Quarters()[0].Start() }
func (y Year) End() time.Time   { return y.Quarters()[3].End() }

// Completed are the year's quarters whose last day is before today, in
// order: all four once the year is over, none in its first quarter.
func (y Year) Completed(today time.Time) []Quarter {
	var out []Quarter
	last := LastCompleted(today)
	for _, q := range y.Quarters() {
		if !last.Before(q) {
			out = append(out, q)
		}
	}
	return out
}
