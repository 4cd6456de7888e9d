package compliance

import (
	"math"
	"time"
)

// Forecast is one level's outlook over the months after an as-of date: the
// rate it falls to if nobody trains, and the renewals per month that would
// keep it at or above the threshold.
type Forecast struct {
	Level Level
	// Now is the level's tally on the as-of date.
	Now Tally
	// Target is the fewest compliant people that meet the threshold: the
	// smallest t with t/Required >= threshold (0 when nobody is required).
	Target int
	// Months holds one point per month-end, in date order.
	Months []ForecastMonth
	// PerMonth is the renewals needed each month to stay at or above the
	// threshold at every month-end: see Forecasts.
	PerMonth int
}

// ForecastMonth is a level's position on one month-end if nobody trains.
type ForecastMonth struct {
	Date time.Time // the month-end
	// Tally counts the people requiring the level (the as-of workforce)
	// and those whose due date is on or after Date.
	Tally Tally
	// Lapsing counts the people who are compliant on the previous
	// month-end (or on the as-of date, for the first) and not on this one.
	Lapsing int
}

// Meets reports whether the month-end is at or above the threshold if
// nobody trains.
func (m ForecastMonth) Meets(threshold float64) bool { return m.Tally.Meets(threshold) }

// MonthEnds returns the last days of the n months after asOf: the first is
// the end of asOf's own month unless asOf is that day, in which case it is
// the end of the next month.
func MonthEnds(asOf time.Time, n int) []time.Time {
	asOf = Day(asOf)
	out := make([]time.Time, 0, n)
	y, m, _ := asOf.Date()
	for end := monthEnd(y, m); len(out) < n; {
		if end.After(asOf) {
			out = append(out, end)
		}
		y, m, _ = end.AddDate(0, 0, 1).Date()
		end = monthEnd(y, m)
	}
	return out
}

func monthEnd(y int, m time.Month) time.Time { return Date(y, m+1, 1).AddDate(0, 0, -1) }

// Forecasts projects each level (Levels order) over the next months
// month-ends after asOf, from the people as evaluated on asOf.
//
// The projection assumes the workforce counted on asOf stays as it is
// (nobody joins or leaves, and new starters and exempt people stay out of
// the figures) and nobody trains: on a future date D a person counts as
// compliant exactly when their due date is on or after D (due soon counts,
// as on any as-of date); people never trained or already expired stay
// non-compliant.
//
// PerMonth is the smallest whole number k such that, if k people renew in
// each month (by that month's end), every month-end reaches the threshold.
// Renewals go to the people whose training lapses soonest among those not
// yet renewed: the never trained and already expired first, then by due
// date. That order is the best possible, so no other way of spending k
// renewals a month does better. With C_i the compliant people on month-end
// i (i = 1..months) if nobody trains, N the people required and T the
// Target, the k·i renewals made by month-end i lift it to
// min(N, C_i + k·i), so
//
//	PerMonth = max over i of ceil(max(0, T - C_i) / i).
//
// A level nobody requires has Target and PerMonth 0. The threshold is
// compared exactly, as Tally.Meets does.
func Forecasts(people []Person, asOf time.Time, threshold float64, months int) []Forecast {
	asOf = Day(asOf)
	ends := MonthEnds(asOf, months)
	byLevel := map[Level]*Forecast{}
	out := make([]Forecast, len(Levels))
	for i, l := range Levels {
		out[i] = Forecast{Level: l, Months: make([]ForecastMonth, len(ends))}
		for j, d := range ends {
			out[i].Months[j].Date = d
		}
		byLevel[l] = &out[i]
	}
	for i := range people {
		p := &people[i]
		f := byLevel[p.Requirement]
		if f == nil || !p.Counted() {
			continue
		}
		f.Now.Add(p.Compliant())
		prev := p.Compliant()
		for j := range f.Months {
			m := &f.Months[j]
			ok := !p.DueDate.IsZero() && !p.DueDate.Before(m.Date)
			m.Tally.Add(ok)
			if prev && !ok {
				m.Lapsing++
			}
			prev = ok
		}
	}
	for i := range out {
		f := &out[i]
		f.Target = target(f.Now.Required, threshold)
		for j, m := range f.Months {
			short := f.Target - m.Tally.Compliant
			if short <= 0 {
				continue
			}
			if k := (short + j) / (j + 1); k > f.PerMonth { // ceil(short / (j+1))
				f.PerMonth = k
			}
		}
	}
	return out
}

// target is the smallest t with t/required >= threshold, compared as
// Tally.Meets compares.
func target(required int, threshold float64) int {
	if required == 0 {
		return 0
	}
	th := int64(math.Round(threshold * 1e6))
	t := (th*int64(required) + 1e6 - 1) / 1e6
	return int(min(t, int64(required)))
}
