package collate_test

import (
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/collate"
	"github.com/nhs-prevent/prevent/internal/returns"
)

func TestSubmissionWindow(t *testing.T) {
	tests := []struct {
		name                   string
		quarter                string
		days                   int
		opens, lastDay, closes string
	}{
		{"15 working days from the first working day after the quarter", "2026-27Q2", 15, "2026-10-01", "2026-10-21", "2026-10-22"},
		{"bank holidays do not count: New Year's Day moves the opening", "2026-27Q3", 15, "2027-01-04", "2027-01-22", "2027-01-25"},
		{"Good Friday inside the window does not count", "2025-26Q4", 15, "2026-04-01", "2026-04-23", "2026-04-24"},
		{"the window can be one day", "2026-27Q2", 1, "2026-10-01", "2026-10-01", "2026-10-02"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			q, _ := returns.ParseQuarter(tc.quarter)
			w := collate.SubmissionWindow(q, tc.days)
			got := [3]string{w.Opens.Format(time.DateOnly), w.LastDay().Format(time.DateOnly), w.Closes.Format(time.DateOnly)}
			if got != [3]string{tc.opens, tc.lastDay, tc.closes} {
				t.Errorf("opens, last day, closes = %v, want %s %s %s", got, tc.opens, tc.lastDay, tc.closes)
			}
		})
	}

	w := collate.SubmissionWindow(q2, 15)
	onTime := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"a minute before midnight UK time on the last day is on time", time.Date(2026, 10, 21, 22, 59, 0, 0, time.UTC), true},
		{"midnight UK time (23:00 UTC in summer time) is late", time.Date(2026, 10, 21, 23, 0, 0, 0, time.UTC), false},
		{"the day the window opens is on time", time.Date(2026, 10, 1, 9, 0, 0, 0, collate.London), true},
		{"early is on time", time.Date(2026, 9, 30, 9, 0, 0, 0, collate.London), true},
	}
	for _, tc := range onTime {
		t.Run(tc.name, func(t *testing.T) {
			if got := w.OnTime(tc.at); got != tc.want {
				t.Errorf("OnTime(%s) = %v", tc.at, got)
			}
		})
	}
	t.Run("the window is closed from the moment it closes", func(t *testing.T) {
		if w.Closed(time.Date(2026, 10, 21, 22, 59, 59, 0, time.UTC)) || !w.Closed(time.Date(2026, 10, 21, 23, 0, 0, 0, time.UTC)) {
			t.Error("closed at the wrong moment")
		}
	})
}
