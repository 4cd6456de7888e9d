package scheduler

import (
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/nhs-prevent/prevent/internal/store"
)

func TestPlan(t *testing.T) {
	daily, _ := cron.ParseStandard("0 6 * * *")
	monthly, _ := cron.ParseStandard("0 7 1 * *")
	every5, _ := cron.ParseStandard("*/5 * * * *")
	never, _ := cron.ParseStandard("0 0 30 2 *")
	run := func(slot time.Time, outcome string, ended time.Time) store.JobRun {
		return store.JobRun{Job: "j", ScheduledFor: slot, StartedAt: ended, EndedAt: ended, Outcome: outcome}
	}
	now := at(time.October, 2, 10)
	for _, tc := range []struct {
		name     string
		sched    cron.Schedule
		runs     []store.JobRun // newest first
		wantAt   time.Time      // at or before now: due now
		wantSlot time.Time
	}{
		{"a job never run is due now, for its most recent time", monthly, nil,
			at(time.October, 1, 7), at(time.October, 1, 7)},
		{"a job that ran for its most recent time is due at the next", daily,
			[]store.JobRun{run(at(time.October, 2, 6), store.JobOK, at(time.October, 2, 6))},
			at(time.October, 3, 6), at(time.October, 3, 6)},
		{"times missed while the machine was off are caught up once, for the latest", daily,
			[]store.JobRun{run(at(time.September, 28, 6), store.JobOK, at(time.September, 28, 6))},
			at(time.September, 29, 6), at(time.October, 2, 6)},
		{"the 1st missed is caught up on the 2nd", monthly,
			[]store.JobRun{run(at(time.September, 1, 7), store.JobOK, at(time.September, 1, 7))},
			at(time.October, 1, 7), at(time.October, 1, 7)},
		{"a failed run is tried again after the backoff, for the same time", daily,
			[]store.JobRun{run(at(time.October, 2, 6), store.JobFailed, at(time.October, 2, 9))},
			at(time.October, 2, 9).Add(5 * time.Minute), at(time.October, 2, 6)},
		{"the backoff doubles with each failure in a row", daily,
			[]store.JobRun{
				run(at(time.October, 2, 6), store.JobFailed, at(time.October, 2, 9)),
				run(at(time.October, 2, 6), store.JobFailed, at(time.October, 2, 8)),
				run(at(time.October, 2, 6), store.JobOK, at(time.October, 2, 7)),
			},
			at(time.October, 2, 9).Add(10 * time.Minute), at(time.October, 2, 6)},
		{"the backoff stops growing at six hours", daily,
			[]store.JobRun{
				run(at(time.October, 2, 6), store.JobFailed, at(time.October, 2, 9)),
				run(at(time.October, 2, 6), store.JobFailed, at(time.October, 2, 8)),
				run(at(time.October, 2, 6), store.JobFailed, at(time.October, 2, 7)),
				run(at(time.October, 2, 6), store.JobFailed, at(time.October, 2, 6)),
				run(at(time.October, 2, 6), store.JobFailed, at(time.October, 2, 6)),
				run(at(time.October, 2, 6), store.JobFailed, at(time.October, 2, 6)),
				run(at(time.October, 2, 6), store.JobFailed, at(time.October, 2, 6)),
				run(at(time.October, 2, 6), store.JobFailed, at(time.October, 2, 6)),
			},
			at(time.October, 2, 9).Add(6 * time.Hour), at(time.October, 2, 6)},
		{"a retry never comes after the next scheduled time", every5,
			[]store.JobRun{
				run(at(time.October, 2, 10), store.JobFailed, at(time.October, 2, 10)),
				run(at(time.October, 2, 10), store.JobFailed, at(time.October, 2, 10)),
			},
			at(time.October, 2, 10).Add(5 * time.Minute), at(time.October, 2, 10).Add(5 * time.Minute)},
		{"a failure before a missed time is caught up, not retried", daily,
			[]store.JobRun{run(at(time.September, 30, 6), store.JobFailed, at(time.September, 30, 6))},
			at(time.September, 30, 6).Add(5 * time.Minute), at(time.October, 2, 6)},
		{"an interrupted run settles nothing: its time runs again", daily,
			[]store.JobRun{
				run(at(time.October, 2, 6), store.JobInterrupted, at(time.October, 2, 6)),
				run(at(time.October, 1, 6), store.JobOK, at(time.October, 1, 6)),
			},
			at(time.October, 2, 6), at(time.October, 2, 6)},
		{"a run left going by a process that died settles nothing either", daily,
			[]store.JobRun{
				{Job: "j", ScheduledFor: at(time.October, 2, 6), StartedAt: at(time.October, 2, 6)},
				run(at(time.October, 1, 6), store.JobOK, at(time.October, 1, 6)),
			},
			at(time.October, 2, 6), at(time.October, 2, 6)},
		{"a spec that never fires is never due", never, nil, time.Time{}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			gotAt, gotSlot := plan(tc.sched, tc.runs, now)
			if tc.wantAt.After(now) {
				if !gotAt.Equal(tc.wantAt) {
					t.Errorf("due at %s, want %s", gotAt, tc.wantAt)
				}
			} else if gotAt.After(now) || (tc.wantAt.IsZero() != gotAt.IsZero()) {
				t.Errorf("due at %s, want due now (%s)", gotAt, tc.wantAt)
			}
			if !gotSlot.Equal(tc.wantSlot) {
				t.Errorf("slot %s, want %s", gotSlot, tc.wantSlot)
			}
		})
	}
}

func TestLatestSlot(t *testing.T) {
	for _, tc := range []struct {
		name, spec string
		now, want  time.Time
	}{
		{"every minute", "* * * * *", at(time.October, 2, 10).Add(90 * time.Second), at(time.October, 2, 10).Add(time.Minute)},
		{"a time exactly now is the latest", "0 6 * * *", at(time.October, 2, 6), at(time.October, 2, 6)},
		{"daily, before today's time: yesterday's", "0 6 * * *", at(time.October, 2, 5), at(time.October, 1, 6)},
		{"monthly", "0 7 1 * *", at(time.October, 2, 5), at(time.October, 1, 7)},
		{"yearly", "@yearly", at(time.October, 2, 5), time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"29 February, four years back", "0 0 29 2 *", at(time.October, 2, 5), time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sched, err := cron.ParseStandard(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := latestSlot(sched, tc.now)
			if !ok || !got.Equal(tc.want) {
				t.Errorf("latestSlot(%q, %s) = %s, %v; want %s", tc.spec, tc.now, got, ok, tc.want)
			}
		})
	}
}

func TestWithoutEmails(t *testing.T) {
	for _, tc := range []struct{ name, in, want string }{
		{"a failed send names no one", `writing "Prevent refresher due" for jane.o'brien@trust.nhs.uk to outbox/: disk full`,
			`writing "Prevent refresher due" for <address> to outbox/: disk full`},
		{"text without addresses is kept", "2026-27Q2 return: 2 sent", "2026-27Q2 return: 2 sent"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := withoutEmails(tc.in); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
