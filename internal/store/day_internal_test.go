package store

import (
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// A day goes to a number of days since 1900 and back unchanged, from the
// earliest Excel date to the last day of year 9999.
func TestDayNumbers(t *testing.T) {
	for _, d := range []time.Time{compliance.Date(1900, 1, 1), compliance.Date(1900, 3, 1), compliance.Date(2024, 2, 29),
		compliance.Date(2026, 9, 30), compliance.Date(2200, 1, 1), compliance.Date(9999, 12, 31)} {
		n, err := dayNumber([]byte(d.Format(time.DateOnly)))
		if err != nil {
			t.Fatalf("%s: %v", d.Format(time.DateOnly), err)
		}
		if got := dayTime(n); !got.Equal(d) || got != d {
			t.Errorf("%s -> %d -> %s", d.Format(time.DateOnly), n, got)
		}
	}
}
