package returns

import (
	"sort"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// WindowOpens is the first working day after the quarter ends: the day the
// return can first be sent, once the quarter's last day is in the extracts.
func WindowOpens(q Quarter) time.Time {
	d := q.End().AddDate(0, 0, 1)
	for !IsWorkingDay(d) {
		d = d.AddDate(0, 0, 1)
	}
	return d
}

// IsWorkingDay reports whether the calendar day of d is a weekday that is
// not an England and Wales bank holiday.
func IsWorkingDay(d time.Time) bool {
	day := compliance.Day(d)
	if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
		return false
	}
	for _, h := range BankHolidays(day.Year()) {
		if h.Equal(day) {
			return false
		}
	}
	return true
}

// movedOrAdded holds the bank holidays proclaimed away from the usual
// rules: the early May holiday moved to VE Day anniversaries, the spring
// holiday moved for jubilees, and one-off holidays. Each entry replaces the
// year's usual early May or spring holiday when it names one, and adds
// the rest.
var movedOrAdded = map[int]struct {
	earlyMay, spring time.Time
	extra            []time.Time
}{
	1995: {earlyMay: compliance.Date(1995, time.May, 8)},
	1999: {extra: []time.Time{compliance.Date(1999, time.December, 31)}},
	2002: {spring: compliance.Date(2002, time.June, 4), extra: []time.Time{compliance.Date(2002, time.June, 3)}},
	2011: {extra: []time.Time{compliance.Date(2011, time.April, 29)}},
	2012: {spring: compliance.Date(2012, time.June, 4), extra: []time.Time{compliance.Date(2012, time.June, 5)}},
	2020: {earlyMay: compliance.Date(2020, time.May, 8)},
	2022: {spring: compliance.Date(2022, time.June, 2), extra: []time.Time{
		compliance.Date(2022, time.June, 3), compliance.Date(2022, time.September, 19)}},
	2023: {extra: []time.Time{compliance.Date(2023, time.May, 8)}},
}

// BankHolidays lists the England and Wales bank holidays of a year in date
// order, midnight UTC: New Year's Day, Good Friday, Easter Monday, the
// early May, spring and summer holidays, Christmas Day and Boxing Day, with
// substitute weekdays when a fixed date falls at a weekend, and the moved
// and one-off holidays proclaimed since 1995. Later proclamations are not
// known until they are added here.
func BankHolidays(year int) []time.Time {
	special := movedOrAdded[year]
	easter := easterSunday(year)

	newYear := compliance.Date(year, time.January, 1)
	switch newYear.Weekday() {
	case time.Saturday:
		newYear = newYear.AddDate(0, 0, 2)
	case time.Sunday:
		newYear = newYear.AddDate(0, 0, 1)
	}
	earlyMay := firstMonday(year, time.May)
	if !special.earlyMay.IsZero() {
		earlyMay = special.earlyMay
	}
	spring := lastMonday(year, time.May)
	if !special.spring.IsZero() {
		spring = special.spring
	}

	days := []time.Time{newYear, easter.AddDate(0, 0, -2), easter.AddDate(0, 0, 1),
		earlyMay, spring, lastMonday(year, time.August)}
	days = append(days, christmas(year)...)
	days = append(days, special.extra...)
	sort.Slice(days, func(i, j int) bool { return days[i].Before(days[j]) })
	return days
}

// christmas is Christmas Day and Boxing Day, each moved to the next free
// weekday when it falls at a weekend.
func christmas(year int) []time.Time {
	xmas := compliance.Date(year, time.December, 25)
	boxing := compliance.Date(year, time.December, 26)
	switch xmas.Weekday() {
	case time.Friday: // Boxing Day on Saturday: Monday 28th
		return []time.Time{xmas, boxing.AddDate(0, 0, 2)}
	case time.Saturday: // Monday 27th and Tuesday 28th
		return []time.Time{xmas.AddDate(0, 0, 2), boxing.AddDate(0, 0, 2)}
	case time.Sunday: // Boxing Day Monday 26th, Christmas Tuesday 27th
		return []time.Time{boxing, xmas.AddDate(0, 0, 2)}
	}
	return []time.Time{xmas, boxing}
}

func firstMonday(year int, month time.Month) time.Time {
	d := compliance.Date(year, month, 1)
	return d.AddDate(0, 0, (int(time.Monday)-int(d.Weekday())+7)%7)
}

func lastMonday(year int, month time.Month) time.Time {
	d := compliance.Date(year, month+1, 0)
	return d.AddDate(0, 0, -((int(d.Weekday()) - int(time.Monday) + 7) % 7))
}

// easterSunday is Western Easter by the anonymous Gregorian algorithm
// (Meeus/Jones/Butcher).
func easterSunday(year int) time.Time {
	a := year % 19
	b, c := year/100, year%100
	d, e := b/4, b%4
	f := (b + 8) / 25
	g := (b - f + 1) / 3
	h := (19*a + b - d - g + 15) % 30
	i, k := c/4, c%4
	l := (32 + 2*e + 2*i - h - k) % 7
	m := (a + 11*h + 22*l) / 451
	month := (h + l - 7*m + 114) / 31
	day := (h+l-7*m+114)%31 + 1
	return compliance.Date(year, time.Month(month), day)
}
