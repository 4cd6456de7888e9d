package collate

import (
	"time"
	_ "time/tzdata" // returns are judged on UK days wherever prevent runs

	"github.com/nhs-prevent/prevent/internal/returns"
)

// London is the time zone whose calendar days the submission window is
// counted in.
var London = func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil { // cannot happen with time/tzdata linked in
		return time.UTC
	}
	return loc
}()

// Window is a quarter's submission window: it opens on the first working
// day after the quarter ends (returns.WindowOpens) and closes at the start
// of the day that is workingDays working days later, so that it holds
// exactly workingDays working days. For 2026-27Q2 and 15 working days it
// opens on Thursday 1 October 2026 and closes at the start of Thursday 22
// October: a return received on 21 October is on time, one received on 22
// October is late. Working days are weekdays that are not England and
// Wales bank holidays; days are UK days.
type Window struct {
	Opens  time.Time // the first day, midnight UTC
	Closes time.Time // the day it closes at the start of, midnight UTC
}

// SubmissionWindow is the window of quarter q.
func SubmissionWindow(q returns.Quarter, workingDays int) Window {
	opens := returns.WindowOpens(q)
	d := opens
	for n := 0; n < workingDays; {
		d = d.AddDate(0, 0, 1)
		if returns.IsWorkingDay(d) {
			n++
		}
	}
	return Window{Opens: opens, Closes: d}
}

// LastDay is the window's last working day, the day returns are due by.
// (A return received over the weekend after it is still on time: the
// window closes at the start of the next working day.)
func (w Window) LastDay() time.Time {
	d := w.Closes.AddDate(0, 0, -1)
	for d.After(w.Opens) && !returns.IsWorkingDay(d) {
		d = d.AddDate(0, 0, -1)
	}
	return d
}

// ClosesAt is the instant the window closes: midnight UK time at the start
// of w.Closes.
func (w Window) ClosesAt() time.Time {
	y, m, d := w.Closes.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, London)
}

// OnTime reports whether a return received at t arrived before the window
// closed.
func (w Window) OnTime(t time.Time) bool { return t.Before(w.ClosesAt()) }

// Closed reports whether the window has closed at now.
func (w Window) Closed(now time.Time) bool { return !now.Before(w.ClosesAt()) }
