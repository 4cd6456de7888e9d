package compliance

import (
	"fmt"
	"testing"
	"time"
)

func TestMonthEnds(t *testing.T) {
	tests := []struct {
		name string
		asOf string
		want []string
	}{
		{"mid-month starts with its own month-end", "2026-11-25",
			[]string{"2026-11-30", "2026-12-31", "2027-01-31", "2027-02-28", "2027-03-31", "2027-04-30"}},
		{"a month-end as-of date starts with the next", "2026-09-30",
			[]string{"2026-10-31", "2026-11-30", "2026-12-31", "2027-01-31", "2027-02-28", "2027-03-31"}},
		{"leap February ends on the 29th", "2027-12-31",
			[]string{"2028-01-31", "2028-02-29", "2028-03-31"}},
		{"the first of a month", "2027-02-01", []string{"2027-02-28"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MonthEnds(d(tt.asOf), len(tt.want))
			if fmt.Sprint(dates(got)) != fmt.Sprint(tt.want) {
				t.Errorf("MonthEnds(%s) = %v, want %v", tt.asOf, dates(got), tt.want)
			}
		})
	}
}

func dates(ts []time.Time) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.Format(time.DateOnly)
	}
	return out
}

// crowd makes n people requiring level, each with the given status and due
// date ("" for never), assessed on asOf.
func crowd(level Level, n int, due string, asOf time.Time) []Person {
	out := make([]Person, n)
	for i := range out {
		p := Person{Requirement: level, Status: Never}
		if due != "" {
			p.DueDate = d(due)
			p.Status = StatusOn(p.DueDate, asOf, 90)
		}
		out[i] = p
	}
	return out
}

func forecastOf(t *testing.T, fs []Forecast, l Level) Forecast {
	t.Helper()
	for _, f := range fs {
		if f.Level == l {
			return f
		}
	}
	t.Fatalf("no forecast for %s", l)
	return Forecast{}
}

func TestForecasts(t *testing.T) {
	asOf := d("2026-09-30")
	// Twenty people need basic; 17 are in date on 30 September (85%, just
	// meeting the threshold). Month-ends: 31 Oct, 30 Nov, 31 Dec, 31 Jan,
	// 28 Feb, 31 Mar.
	var basic []Person
	basic = append(basic, crowd(Basic, 2, "", asOf)...)           // never trained
	basic = append(basic, crowd(Basic, 1, "2026-08-01", asOf)...) // already expired
	basic = append(basic, crowd(Basic, 2, "2026-10-15", asOf)...) // due soon, lapse in October
	basic = append(basic, crowd(Basic, 1, "2026-10-31", asOf)...) // in date on 31 Oct itself, lapses in November
	basic = append(basic, crowd(Basic, 5, "2026-11-30", asOf)...) // lapse in December
	basic = append(basic, crowd(Basic, 2, "2027-01-10", asOf)...) // lapse in January
	basic = append(basic, crowd(Basic, 7, "2028-06-01", asOf)...) // in date throughout

	t.Run("rate if nobody trains, by month-end", func(t *testing.T) {
		f := forecastOf(t, Forecasts(basic, asOf, 0.85, 6), Basic)
		if f.Now != (Tally{Required: 20, Compliant: 17}) || f.Target != 17 {
			t.Fatalf("now %+v target %d, want 17/20 and 17", f.Now, f.Target)
		}
		// C_i: 17-2 = 15, 15-1 = 14, 14-5 = 9, 9-2 = 7, 7, 7.
		wantCompliant := []int{15, 14, 9, 7, 7, 7}
		wantLapsing := []int{2, 1, 5, 2, 0, 0}
		wantDates := []string{"2026-10-31", "2026-11-30", "2026-12-31", "2027-01-31", "2027-02-28", "2027-03-31"}
		if len(f.Months) != 6 {
			t.Fatalf("%d months, want 6", len(f.Months))
		}
		for i, m := range f.Months {
			if m.Date.Format(time.DateOnly) != wantDates[i] || m.Tally.Required != 20 ||
				m.Tally.Compliant != wantCompliant[i] || m.Lapsing != wantLapsing[i] {
				t.Errorf("month %d = %s %+v lapsing %d, want %s {20 %d} lapsing %d", i+1,
					m.Date.Format(time.DateOnly), m.Tally, m.Lapsing, wantDates[i], wantCompliant[i], wantLapsing[i])
			}
		}
		if f.Months[0].Meets(0.85) {
			t.Error("15/20 meets 85%")
		}
	})

	t.Run("renewals per month: the worst month-end decides", func(t *testing.T) {
		// Short of 17 by 2, 3, 8, 10, 10, 10: ceil(2/1)=2, ceil(3/2)=2,
		// ceil(8/3)=3, ceil(10/4)=3, ceil(10/5)=2, ceil(10/6)=2, so 3.
		// With 2 a month, 31 December has 9+6 = 15 < 17.
		f := forecastOf(t, Forecasts(basic, asOf, 0.85, 6), Basic)
		if f.PerMonth != 3 {
			t.Errorf("PerMonth = %d, want 3", f.PerMonth)
		}
	})

	t.Run("a shorter horizon needs fewer", func(t *testing.T) {
		// Over two months only: ceil(2/1)=2, ceil(3/2)=2.
		f := forecastOf(t, Forecasts(basic, asOf, 0.85, 2), Basic)
		if f.PerMonth != 2 || len(f.Months) != 2 {
			t.Errorf("PerMonth = %d over %d months, want 2 over 2", f.PerMonth, len(f.Months))
		}
	})

	t.Run("exactly at the threshold every month needs nobody", func(t *testing.T) {
		people := append(crowd(Level3, 17, "2029-01-01", asOf), crowd(Level3, 3, "", asOf)...)
		f := forecastOf(t, Forecasts(people, asOf, 0.85, 6), Level3)
		if f.PerMonth != 0 || f.Target != 17 || f.Months[5].Tally.Compliant != 17 {
			t.Errorf("got PerMonth %d target %d last %+v, want 0, 17, 17/20", f.PerMonth, f.Target, f.Months[5].Tally)
		}
	})

	t.Run("nobody trained needs the whole target in the first month", func(t *testing.T) {
		// 10 people, 85% of 10 is 8.5, so 9 must be in date on 31 October.
		f := forecastOf(t, Forecasts(crowd(FaceToFace, 10, "", asOf), asOf, 0.85, 6), FaceToFace)
		if f.Target != 9 || f.PerMonth != 9 {
			t.Errorf("target %d PerMonth %d, want 9 and 9", f.Target, f.PerMonth)
		}
	})

	t.Run("a level nobody requires has no target", func(t *testing.T) {
		f := forecastOf(t, Forecasts(basic, asOf, 0.85, 6), FaceToFace)
		if f.Now.Required != 0 || f.Target != 0 || f.PerMonth != 0 || f.Months[0].Tally.Required != 0 {
			t.Errorf("got %+v", f)
		}
	})

	t.Run("levels are forecast separately", func(t *testing.T) {
		people := append(crowd(Level3, 4, "2026-10-01", asOf), crowd(Basic, 4, "2030-01-01", asOf)...)
		fs := Forecasts(people, asOf, 0.85, 1)
		if l3, b := forecastOf(t, fs, Level3), forecastOf(t, fs, Basic); l3.PerMonth != 4 || b.PerMonth != 0 {
			t.Errorf("level3 needs %d, basic %d, want 4 and 0", l3.PerMonth, b.PerMonth)
		}
	})

	t.Run("threshold compared exactly", func(t *testing.T) {
		tests := []struct {
			required  int
			threshold float64
			want      int
		}{
			{20, 0.85, 17}, {7, 0.85, 6}, {100, 0.85, 85}, {3, 1, 3}, {1, 0.85, 1}, {0, 0.85, 0}, {40, 0.875, 35},
		}
		for _, tt := range tests {
			if got := target(tt.required, tt.threshold); got != tt.want {
				t.Errorf("target(%d, %g) = %d, want %d", tt.required, tt.threshold, got, tt.want)
			}
			if tt.required > 0 {
				at := Tally{Required: tt.required, Compliant: tt.want}
				below := Tally{Required: tt.required, Compliant: tt.want - 1}
				if !at.Meets(tt.threshold) || below.Meets(tt.threshold) {
					t.Errorf("target(%d, %g) = %d disagrees with Tally.Meets", tt.required, tt.threshold, tt.want)
				}
			}
		}
	})
}

// TestForecastPerMonthIsSmallest checks PerMonth against a simulation:
// k renewals each month, given to whoever lapses soonest among those not
// yet renewed, each renewed person counting as in date from then on.
func TestForecastPerMonthIsSmallest(t *testing.T) {
	asOf := d("2026-11-25")
	// In lapse order: never trained first, then by due date.
	dues := []string{"", "", "2026-01-01", "2026-11-26", "2026-12-15", "2026-12-15", "2027-01-31",
		"2027-02-01", "2027-02-27", "2027-03-03", "2027-04-30", "2027-05-01", "2028-01-01", "2029-01-01"}
	var people []Person
	for _, due := range dues {
		people = append(people, crowd(Level3, 1, due, asOf)...)
	}
	ends := MonthEnds(asOf, 6)
	holds := func(k, target int) bool {
		for i, end := range ends {
			renewed := min(k*(i+1), len(people)) // the first renewed people in lapse order
			in := 0
			for j, p := range people {
				if j < renewed || (!p.DueDate.IsZero() && !p.DueDate.Before(end)) {
					in++
				}
			}
			if in < target {
				return false
			}
		}
		return true
	}
	for _, th := range []float64{0.5, 0.7, 0.85, 0.9, 1} {
		f := forecastOf(t, Forecasts(people, asOf, th, 6), Level3)
		if !holds(f.PerMonth, f.Target) || (f.PerMonth > 0 && holds(f.PerMonth-1, f.Target)) {
			t.Errorf("threshold %g: PerMonth %d is not the smallest that keeps every month-end at %d", th, f.PerMonth, f.Target)
		}
	}
}
