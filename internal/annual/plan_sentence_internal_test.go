package annual

import (
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// TestPlanSentenceOneCompletion pins the noun after the completions a
// month the plan needs: one is "1 basic awareness completion a month".
func TestPlanSentenceOneCompletion(t *testing.T) {
	for _, tc := range []struct {
		per  []int
		want string
	}{
		{[]int{1, 0}, "needs 1 basic awareness completion a month."},
		{[]int{2, 0}, "needs 2 basic awareness completions a month."},
	} {
		r := &Report{Threshold: 0.85, Plan: Plan{From: time.Date(2026, 9, 30, 0, 0, 0, 0, time.UTC),
			Forecasts: []compliance.Forecast{{Level: compliance.Basic, PerMonth: tc.per[0]}, {Level: compliance.Level3, PerMonth: tc.per[1]}}}}
		if got := r.PlanSentence(); !strings.HasSuffix(got, tc.want) {
			t.Errorf("got %q, want it to end %q", got, tc.want)
		}
	}
}
