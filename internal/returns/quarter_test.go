package returns

import (
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

func TestParseQuarter(t *testing.T) {
	want := Quarter{StartYear: 2026, Q: 2}
	for _, in := range []string{
		"2026-27Q2", "2026-27 Q2", "2026/27 Q2", "2026/27Q2", "Q2 2026-27", "Q2 2026/27", "2026-2027 Q2",
		"2026-27q2", "q2 2026/27", " 2026 - 27 q 2 ", "2026/2027Q2", "Q2 2026-2027", "2026–27 Q2",
	} {
		t.Run("accepts "+in, func(t *testing.T) {
			got, err := ParseQuarter(in)
			if err != nil {
				t.Fatalf("ParseQuarter(%q): %v", in, err)
			}
			if got != want {
				t.Fatalf("ParseQuarter(%q) = %+v, want %+v", in, got, want)
			}
			if got.String() != "2026-27Q2" {
				t.Fatalf("String() = %q, want the canonical 2026-27Q2", got.String())
			}
		})
	}

	for _, tc := range []struct{ rule, in string }{
		{"years that are not consecutive are rejected", "2026-28Q2"},
		{"a four-digit end year must follow the start", "2026-2028 Q2"},
		{"a year range running backwards is rejected", "2027-26Q2"},
		{"Q0 is not a quarter", "2026-27Q0"},
		{"Q5 is not a quarter", "Q5 2026-27"},
		{"a quarter without a year is rejected", "Q2"},
		{"a single year is rejected", "2026 Q2"},
		{"a date is rejected", "2026-09-30"},
		{"garbage is rejected", "next quarter"},
		{"an empty string is rejected", ""},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			_, err := ParseQuarter(tc.in)
			if err == nil {
				t.Fatalf("ParseQuarter(%q) succeeded, want an error", tc.in)
			}
			msg := err.Error()
			if !strings.Contains(msg, "2026-27Q2") || strings.Count(msg, ". ") > 0 || strings.Contains(msg, "\n") {
				t.Fatalf("error %q should be one sentence naming the accepted forms", msg)
			}
		})
	}
}

func TestQuarterDates(t *testing.T) {
	for _, tc := range []struct {
		rule       string
		q          Quarter
		start, end time.Time
	}{
		{"Q1 is April to June", Quarter{2026, 1}, compliance.Date(2026, 4, 1), compliance.Date(2026, 6, 30)},
		{"Q2 is July to September", Quarter{2026, 2}, compliance.Date(2026, 7, 1), compliance.Date(2026, 9, 30)},
		{"Q3 is October to December", Quarter{2026, 3}, compliance.Date(2026, 10, 1), compliance.Date(2026, 12, 31)},
		{"Q4 is January to March of the next year", Quarter{2026, 4}, compliance.Date(2027, 1, 1), compliance.Date(2027, 3, 31)},
		{"Q4 ends on 31 March in a leap year too", Quarter{2027, 4}, compliance.Date(2028, 1, 1), compliance.Date(2028, 3, 31)},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			if got := tc.q.Start(); !got.Equal(tc.start) {
				t.Errorf("%s Start() = %s, want %s", tc.q, got, tc.start)
			}
			if got := tc.q.End(); !got.Equal(tc.end) {
				t.Errorf("%s End() = %s, want %s", tc.q, got, tc.end)
			}
			if got := QuarterOf(tc.q.Start()); got != tc.q {
				t.Errorf("QuarterOf(%s) = %s, want %s", tc.q.Start(), got, tc.q)
			}
			if got := QuarterOf(tc.q.End()); got != tc.q {
				t.Errorf("QuarterOf(%s) = %s, want %s", tc.q.End(), got, tc.q)
			}
		})
	}
}

func TestQuarterSequence(t *testing.T) {
	for _, tc := range []struct {
		rule       string
		q          Quarter
		prev, next string
	}{
		{"Q4 is followed by Q1 of the next year", Quarter{2026, 4}, "2026-27Q3", "2027-28Q1"},
		{"Q1 is preceded by Q4 of the year before", Quarter{2026, 1}, "2025-26Q4", "2026-27Q2"},
		{"the century turns in the canonical name", Quarter{2099, 4}, "2099-00Q3", "2100-01Q1"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			if got := tc.q.Prev().String(); got != tc.prev {
				t.Errorf("%s Prev() = %s, want %s", tc.q, got, tc.prev)
			}
			if got := tc.q.Next().String(); got != tc.next {
				t.Errorf("%s Next() = %s, want %s", tc.q, got, tc.next)
			}
		})
	}
}

func TestLastCompleted(t *testing.T) {
	for _, tc := range []struct {
		rule  string
		today time.Time
		want  string
	}{
		{"the day after a quarter ends, that quarter is complete", compliance.Date(2026, 10, 1), "2026-27Q2"},
		{"on a quarter's last day it is not yet complete", compliance.Date(2026, 9, 30), "2026-27Q1"},
		{"late on the last day it is still not complete", time.Date(2026, 9, 30, 23, 59, 0, 0, time.UTC), "2026-27Q1"},
		{"on 1 April the financial year just ended is complete", compliance.Date(2027, 4, 1), "2026-27Q4"},
		{"on 1 January Q3 is complete", compliance.Date(2027, 1, 1), "2026-27Q3"},
		{"in mid-May the last completed quarter is last year's Q4", compliance.Date(2026, 5, 15), "2025-26Q4"},
	} {
		t.Run(tc.rule, func(t *testing.T) {
			if got := LastCompleted(tc.today).String(); got != tc.want {
				t.Fatalf("LastCompleted(%s) = %s, want %s", tc.today.Format(time.DateTime), got, tc.want)
			}
		})
	}
}
