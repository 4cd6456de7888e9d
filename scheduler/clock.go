package scheduler

import "time"

// Clock is the scheduler's time: the system clock in production, a fake
// one in tests, which move it through a quarter in a moment.
type Clock interface {
	Now() time.Time
	// After sends the time on the channel once d has passed.
	After(d time.Duration) <-chan time.Time
}

// SystemClock is the real clock, in local time: cron specs are read in the
// server's time zone.
type SystemClock struct{}

// Now is time.Now.
func (SystemClock) Now() time.Time { return time.Now() }

// After is time.After.
func (SystemClock) After(d time.Duration) <-chan time.Time { return time.After(d) }
