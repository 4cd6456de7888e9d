package returns

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// Quarter is an NHS financial-year quarter. The financial year runs from
// 1 April to 31 March, so 2026-27Q1 is April–June 2026 and 2026-27Q4 is
// January–March 2027.
type Quarter struct {
	StartYear int // the calendar year the financial year starts in: 2026 for 2026-27
	Q         int // 1 to 4
}

// The forms people type: "2026-27Q2", "2026/27 Q2", "2026-2027 Q2", and the
// same with the quarter first ("Q2 2026-27"). Spaces are removed before
// matching; an en dash counts as a hyphen because it arrives pasted from
// documents.
var (
	yearFirst    = regexp.MustCompile(`^(\d{4})[-/](\d{2}|\d{4})q(\d)$`)
	quarterFirst = regexp.MustCompile(`^q(\d)(\d{4})[-/](\d{2}|\d{4})$`)
)

const quarterForms = "2026-27Q2, 2026/27 Q2, 2026-2027 Q2 or Q2 2026-27"

// compactForm is a quarter or year as typed, without its spaces and tabs
// and with an en dash read as a hyphen.
func compactForm(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ' ' || r == '\t':
			return -1
		case r == '–':
			return '-'
		}
		return r
	}, s)
}

// ParseQuarter reads a financial-year quarter in any of the forms
// "2026-27Q2", "2026-27 Q2", "2026/27Q2", "2026/27 Q2", "2026-2027 Q2",
// "Q2 2026-27" and "Q2 2026/27", in any case and with spaces anywhere.
func ParseQuarter(s string) (Quarter, error) {
	compact := compactForm(strings.ToLower(s))

	var start, end, q string
	if m := yearFirst.FindStringSubmatch(compact); m != nil {
		start, end, q = m[1], m[2], m[3]
	} else if m := quarterFirst.FindStringSubmatch(compact); m != nil {
		q, start, end = m[1], m[2], m[3]
	} else {
		return Quarter{}, fmt.Errorf("quarter %q is not a financial-year quarter: write it as %s", s, quarterForms)
	}

	startYear, _ := strconv.Atoi(start)
	endYear, _ := strconv.Atoi(end)
	next := startYear + 1
	if len(end) == 2 {
		next %= 100
	}
	if endYear != next {
		return Quarter{}, fmt.Errorf("quarter %q names no financial year (%s is followed by %d): write it as %s",
			s, start, startYear+1, quarterForms)
	}
	n, _ := strconv.Atoi(q)
	if n < 1 || n > 4 {
		return Quarter{}, fmt.Errorf("quarter %q has no quarter Q%d (quarters are Q1 to Q4): write it as %s", s, n, quarterForms)
	}
	return Quarter{StartYear: startYear, Q: n}, nil
}

// String is the canonical name, "2026-27Q2".
func (q Quarter) String() string {
	return fmt.Sprintf("%d-%02dQ%d", q.StartYear, (q.StartYear+1)%100, q.Q)
}

// Start is the quarter's first day, midnight UTC.
func (q Quarter) Start() time.Time {
	// Month 13 (Q4) normalises to January of the next year.
	return compliance.Date(q.StartYear, time.April+time.Month(3*(q.Q-1)), 1)
}

// End is the quarter's last day, midnight UTC: the day the return is
// computed as of.
func (q Quarter) End() time.Time {
	// Day 0 of the month after the quarter is the quarter's last day.
	return compliance.Date(q.StartYear, time.April+time.Month(3*q.Q), 0)
}

// Prev is the quarter before.
func (q Quarter) Prev() Quarter { return quarterAt(q.index() - 1) }

// Next is the quarter after.
func (q Quarter) Next() Quarter { return quarterAt(q.index() + 1) }

// Before reports whether q comes before o.
func (q Quarter) Before(o Quarter) bool { return q.index() < o.index() }

// index numbers quarters consecutively so that arithmetic crosses years.
func (q Quarter) index() int { return q.StartYear*4 + q.Q - 1 }

func quarterAt(i int) Quarter { return Quarter{StartYear: i / 4, Q: i%4 + 1} }

// QuarterOf is the quarter containing the calendar day of d.
func QuarterOf(d time.Time) Quarter {
	y, m, _ := d.Date()
	if m < time.April {
		return Quarter{StartYear: y - 1, Q: 4}
	}
	return Quarter{StartYear: y, Q: int(m-time.April)/3 + 1}
}

// LastCompleted is the last quarter whose last day is before today: on
// 1 October 2026 that is 2026-27Q2, on 30 September 2026 still 2026-27Q1.
func LastCompleted(today time.Time) Quarter {
	return QuarterOf(today).Prev()
}
