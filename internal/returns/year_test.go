package returns

import (
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

func TestParseYear(t *testing.T) {
	for _, in := range []string{"2026-27", "2026/27", "2026-2027", " 2026 / 27 ", "2026–27"} {
		y, err := ParseYear(in)
		if err != nil || y.StartYear != 2026 {
			t.Errorf("ParseYear(%q) = %v, %v; want 2026-27", in, y, err)
		}
	}
	for _, in := range []string{"2026", "2026-28", "26-27", "2026-27Q1", ""} {
		if _, err := ParseYear(in); err == nil {
			t.Errorf("ParseYear(%q) gave no error", in)
		}
	}
}

func TestYearDates(t *testing.T) {
	y := Year{2026}
	if y.String() != "2026-27" || !y.Start().Equal(compliance.Date(2026, 4, 1)) || !y.End().Equal(compliance.Date(2027, 3, 31)) {
		t.Errorf("2026-27 is %s, %s to %s", y, y.Start(), y.End())
	}
	t.Run("the last completed year turns on 1 April", func(t *testing.T) {
		if got := LastCompletedYear(compliance.Date(2027, 3, 31)); got.StartYear != 2025 {
			t.Errorf("on 31 March 2027: %s", got)
		}
		if got := LastCompletedYear(compliance.Date(2027, 4, 1)); got.StartYear != 2026 {
			t.Errorf("on 1 April 2027: %s", got)
		}
	})
	t.Run("a year not over has its completed quarters only", func(t *testing.T) {
		for _, c := range []struct {
			today time.Time
			n     int
		}{{compliance.Date(2026, 6, 30), 0}, {compliance.Date(2026, 7, 1), 1}, {compliance.Date(2026, 12, 2), 2},
			{compliance.Date(2027, 3, 31), 3}, {compliance.Date(2027, 4, 1), 4}, {compliance.Date(2030, 1, 1), 4}} {
			if got := y.Completed(c.today); len(got) != c.n {
				t.Errorf("on %s: %d quarters completed, want %d", c.today.Format(time.DateOnly), len(got), c.n)
			}
		}
	})
}
