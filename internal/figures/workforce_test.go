package figures

import (
	"testing"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

func TestWorkforceSplit(t *testing.T) {
	for _, tc := range []struct {
		counted, starters, exempt int
		want                      string
	}{
		{6, 1, 1, "6 counted in the figures, plus 1 new starter and 1 exempt who count in none"},
		{1441, 37, 23, "1441 counted in the figures, plus 37 new starters and 23 exempt who count in none"},
		{0, 0, 2, "0 counted in the figures, plus 2 exempt who count in none"},
		{1478, 0, 23, "1478 counted in the figures, plus 23 exempt who count in none"},
		{10, 1, 0, "10 counted in the figures, plus 1 new starter who counts in none"},
		{10, 0, 1, "10 counted in the figures, plus 1 exempt who counts in none"},
		{10, 2, 0, "10 counted in the figures, plus 2 new starters who count in none"},
		{10, 0, 0, "10 counted in the figures, and no new starter or exempt person beside them"},
	} {
		if got := WorkforceSplit(tc.counted, tc.starters, tc.exempt); got != tc.want {
			t.Errorf("%d, %d, %d: %q, want %q", tc.counted, tc.starters, tc.exempt, got, tc.want)
		}
	}
	s := &compliance.Summary{Headcount: 6, ByStatus: map[compliance.Status]int{compliance.NewStarter: 1, compliance.Exempt: 1, compliance.Never: 2}}
	if got, want := SplitOf(s), WorkforceSplit(6, 1, 1); got != want {
		t.Errorf("SplitOf: %q, want %q", got, want)
	}
	people := []compliance.Person{{Status: compliance.Compliant}, {Status: compliance.NewStarter}, {Status: compliance.Exempt}, {Status: compliance.Expired}}
	if got, want := PeopleSplit(people), WorkforceSplit(2, 1, 1); got != want {
		t.Errorf("PeopleSplit: %q, want %q", got, want)
	}
	if n := InWorkforce(s); n != 8 {
		t.Errorf("InWorkforce: %d, want 8", n)
	}
}
