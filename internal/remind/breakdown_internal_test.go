package remind

import (
	"testing"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// TestBreakdownOneNewStarter pins the count of each group in a reminder's
// subject and first paragraph: one new starter is "1 new starter", not
// "1 new starters".
func TestBreakdownOneNewStarter(t *testing.T) {
	for _, tc := range []struct {
		entries []Entry
		want    string
	}{
		{[]Entry{{Status: compliance.Expired}, {Status: compliance.NewStarter}}, "1 expired, 1 new starter"},
		{[]Entry{{Status: compliance.NewStarter}, {Status: compliance.NewStarter}}, "2 new starters"},
		{[]Entry{{Status: compliance.Never}, {Status: compliance.DueSoon}}, "1 never trained, 1 due soon"},
	} {
		if got := breakdown(tc.entries, 0); got != tc.want {
			t.Errorf("breakdown = %q, want %q", got, tc.want)
		}
	}
}
