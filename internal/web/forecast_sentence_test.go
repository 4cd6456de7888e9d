package web

import (
	"testing"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// TestForecastSentenceOneCompletion pins the noun after the completions a
// month the forecast needs: one is "1 basic awareness completion".
func TestForecastSentenceOneCompletion(t *testing.T) {
	for _, tc := range []struct {
		rows []forecastRow
		want string
	}{
		{[]forecastRow{{Level: compliance.Basic, PerMonth: 1}, {Level: compliance.Level3}},
			"To stay at or above 85% at every month-end, the organisation needs 1 basic awareness completion a month."},
		{[]forecastRow{{Level: compliance.Basic, PerMonth: 2}},
			"To stay at or above 85% at every month-end, the organisation needs 2 basic awareness completions a month."},
	} {
		d := overviewData{ThresholdText: "85%", ForecastRows: tc.rows}
		if got := d.ForecastSentence(); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}
