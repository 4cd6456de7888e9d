package scheduler

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// TestAQuarterUnattended drives one scheduler through a quarter with the
// default schedule (import 06:00 daily, reminders 07:00 on the 1st, return
// check 08:00 daily): the service is started on Tuesday 30 June 2026, the
// workforce team drops the month's extracts on each month's last day, and
// the run ends on Monday 5 October.
func TestAQuarterUnattended(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		start, end := at(time.June, 30, 9), at(time.October, 5, 12)
		e := newEnv(t, start)
		e.write(t, "esr_staff_2026-03-31.csv", staffCSV(time.March))
		e.dropMonth(t, time.June)
		notes := "Hello,\nplease find this month's extracts attached.\n"
		events := []event{
			{at(time.July, 31, 18), func() { e.dropMonth(t, time.July); e.write(t, "notes.csv", notes) }},
			{at(time.August, 31, 18), func() { e.dropMonth(t, time.August); e.write(t, "notes.csv", notes) }},
			{at(time.September, 30, 18), func() { e.dropMonth(t, time.September) }},
		}
		e.start(t, s, "the service")
		e.ft.runUntil(t, end, events, nil)

		t.Run("each quarter's return is sent once to each recipient, on the day its window opens", func(t *testing.T) {
			want := map[string]time.Time{
				"return/2025-26Q4/0": start,                  // outstanding when the service started
				"return/2026-27Q1/0": at(time.July, 1, 8),    // Wednesday 1 July
				"return/2026-27Q2/0": at(time.October, 1, 8), // Thursday 1 October
			}
			got := e.mail.of("return")
			if len(got) != 2*len(want) {
				t.Errorf("%d return emails, want %d: %+v", len(got), 2*len(want), got)
			}
			for _, m := range got {
				if w, ok := want[m.Delivery]; !ok || !m.At.Equal(w) {
					t.Errorf("%s to %s sent at %s, want %s", m.Delivery, m.To, m.At.Format(time.RFC3339), w.Format(time.RFC3339))
				}
			}
		})
		t.Run("a failed file is reported to the workforce team once, however often it is dropped", func(t *testing.T) {
			got := e.mail.of("import-failure")
			if len(got) != 1 || got[0].To != workforce || !got[0].At.Equal(at(time.August, 1, 6)) ||
				!strings.Contains(got[0].Subject, "notes.csv") {
				t.Errorf("failure emails = %+v, want one about notes.csv at 06:00 on 1 August", got)
			}
			failed, _ := filepath.Glob(filepath.Join(e.drop, "failed", "notes*"))
			if len(failed) != 4 {
				t.Errorf("failed/ holds %v, want both drops of notes.csv with their .error.txt", failed)
			}
		})
		t.Run("reminders go to the lead at 07:00 on the 1st, each message once", func(t *testing.T) {
			got := e.mail.of("reminder")
			months := map[time.Month]bool{}
			for _, m := range got {
				if m.To != lead {
					t.Errorf("reminder to %s, want only the lead", m.To)
				}
				if !m.At.Equal(start) && (m.At.Day() != 1 || m.At.Hour() != 7) {
					t.Errorf("reminder %s sent at %s, not 07:00 on the 1st", m.Delivery, m.At.Format(time.RFC3339))
				}
				months[m.At.Month()] = true
			}
			// A starter joins every month, never trained: each 1st has
			// someone new to tell the lead about.
			for _, m := range []time.Month{time.June, time.August, time.September, time.October} {
				if !months[m] {
					t.Errorf("no reminder in %s; sent: %+v", m, got)
				}
			}
			var asOf []string
			for _, r := range runs(t, s, JobReminders) {
				asOf = append(asOf, r.StartedAt.Format("Jan 2 15:04"))
			}
			want := []string{"Jun 30 09:00", "Jul 1 07:00", "Aug 1 07:00", "Sep 1 07:00", "Oct 1 07:00"}
			if !slices.Equal(asOf, want) {
				t.Errorf("reminder runs at %v, want %v", asOf, want)
			}
		})
		t.Run("nothing is sent twice", func(t *testing.T) { e.mail.checkOnce(t) })
		t.Run("every extract is imported once and filed away", func(t *testing.T) {
			if n := count(t, s, "snapshots"); n != 5 {
				t.Errorf("%d staff snapshots, want 5 (March, June to September)", n)
			}
			if n := count(t, s, "completions"); n != 4 {
				t.Errorf("%d completions, want 4", n)
			}
			left, _ := os.ReadDir(e.drop)
			for _, f := range left {
				if !f.IsDir() {
					t.Errorf("%s left in the drop folder", f.Name())
				}
			}
		})
		t.Run("the import runs daily at 06:00, every run recorded ok", func(t *testing.T) {
			imports := runs(t, s, JobImport)
			days := int(end.Sub(start).Hours()/24) + 1 // the catch-up on start, then each morning
			if len(imports) != days {
				t.Errorf("%d import runs, want %d", len(imports), days)
			}
			for _, job := range []string{JobImport, JobReminders, JobReturn} {
				for _, r := range runs(t, s, job) {
					if r.Outcome != store.JobOK {
						t.Errorf("%s run at %s: %s %s", job, r.StartedAt.Format(time.RFC3339), r.Outcome, r.Error)
					}
				}
			}
		})
	})
}

// TestCatchUp: the machine is off over the 1st; on start each job runs
// once, for its most recent scheduled time, not once per time missed.
func TestCatchUp(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, at(time.September, 28, 12))
		e.dropMonth(t, time.June)
		e.dropMonth(t, time.August)
		first := e.start(t, s, "before")
		e.ft.runUntil(t, at(time.September, 30, 20), nil, nil)
		first.stop() // the machine goes off on the evening of 30 September

		e.dropMonth(t, time.September)
		back := at(time.October, 2, 10) // and is back on Friday 2 October, 10:00
		e.ft.set(back)
		after := e.start(t, s, "after")
		e.ft.runUntil(t, at(time.October, 5, 12), nil, nil)

		t.Run("each catch-up is said when it starts, and only the catch-ups", func(t *testing.T) {
			log := after.log.String()
			for _, job := range []string{JobImport, JobReminders, JobReturn} {
				if n := strings.Count(log, `msg="catching up a run missed while prevent serve was not running" job=`+job+" "); n != 1 {
					t.Errorf("%s: %d catch-up lines, want 1", job, n)
				}
			}
			if n := strings.Count(log, "catching up"); n != 3 {
				t.Errorf("%d catch-up lines in all, want 3 (the runs on time are not catch-ups)", n)
			}
		})

		t.Run("the return due on 1 October is sent on start, once", func(t *testing.T) {
			var q2 []sentMail
			for _, m := range e.mail.of("return") {
				if strings.HasPrefix(m.Delivery, "return/2026-27Q2/") {
					q2 = append(q2, m)
				}
			}
			if len(q2) != 2 || !q2[0].At.Equal(back) || !q2[1].At.Equal(back) {
				t.Errorf("2026-27Q2 return emails = %+v, want one to each recipient at %s", q2, back)
			}
		})
		t.Run("each job runs once on start, for its most recent scheduled time", func(t *testing.T) {
			for _, tc := range []struct {
				job  string
				slot time.Time
			}{
				{JobImport, at(time.October, 2, 6)},
				{JobReminders, at(time.October, 1, 7)},
				{JobReturn, at(time.October, 2, 8)},
			} {
				var onStart []store.JobRun
				for _, r := range runs(t, s, tc.job) {
					if r.StartedAt.Equal(back) {
						onStart = append(onStart, r)
					}
				}
				if len(onStart) != 1 || !onStart[0].ScheduledFor.Equal(tc.slot) {
					t.Errorf("%s: runs on start = %+v, want one for %s", tc.job, onStart, tc.slot)
				}
			}
		})
		t.Run("the reminders missed on the 1st are not sent again before November", func(t *testing.T) {
			var after []time.Time
			for _, r := range runs(t, s, JobReminders) {
				if r.StartedAt.After(at(time.October, 1, 0)) {
					after = append(after, r.StartedAt)
				}
			}
			if len(after) != 1 {
				t.Errorf("reminder runs in October at %v, want only the one on start", after)
			}
		})
		t.Run("nothing is sent twice", func(t *testing.T) { e.mail.checkOnce(t) })
	})
}

// TestTwoSchedulers: two `prevent serve` on one database (two stores, as
// two processes would have), on the same clock.
func TestTwoSchedulers(t *testing.T) {
	storetest.ForEachDSN(t, func(t *testing.T, dsn string) {
		a, b := storetest.Open(t, dsn), storetest.Open(t, dsn)
		e := newEnv(t, at(time.September, 30, 12))
		e.dropMonth(t, time.June)
		e.dropMonth(t, time.September)
		ia := e.start(t, a, "process A")
		ib := e.start(t, b, "process B")

		oneActive := func() {
			if ia.s.Active() == ib.s.Active() {
				t.Fatalf("at %s: A active %v, B active %v; want exactly one", e.ft.Now().Format(time.RFC3339), ia.s.Active(), ib.s.Active())
			}
		}
		e.ft.runUntil(t, at(time.October, 1, 9), nil, oneActive)

		active, standby := ia, ib
		if ib.s.Active() {
			active, standby = ib, ia
		}
		t.Run("the standby says who is active", func(t *testing.T) {
			if log := standby.log.String(); !strings.Contains(log, "standing by") || !strings.Contains(log, active.s.Holder()) {
				t.Errorf("standby log:\n%s", log)
			}
		})

		active.stop()
		e.ft.runUntil(t, at(time.October, 2, 12), nil, nil)
		t.Run("when the active one stops, the standby takes over within its retry", func(t *testing.T) {
			if !standby.s.Active() {
				t.Fatal("the standby did not take over")
			}
			imports := runs(t, a, JobImport)
			last := imports[len(imports)-1]
			if last.Runner != standby.s.Holder() || !last.ScheduledFor.Equal(at(time.October, 2, 6)) {
				t.Errorf("last import run %+v, want the standby's for 06:00 on 2 October", last)
			}
		})
		t.Run("the return and reminders went once between them", func(t *testing.T) {
			if n := len(e.mail.of("return/2026-27Q2")); n != 2 {
				t.Errorf("%d 2026-27Q2 return emails, want 2", n)
			}
			if len(e.mail.of("reminder")) == 0 {
				t.Error("no reminders sent")
			}
			e.mail.checkOnce(t)
		})
		t.Run("each slot ran once", func(t *testing.T) {
			for _, job := range []string{JobImport, JobReminders, JobReturn} {
				seen := map[time.Time]bool{}
				for _, r := range runs(t, a, job) {
					if seen[r.ScheduledFor] {
						t.Errorf("%s ran twice for %s", job, r.ScheduledFor)
					}
					seen[r.ScheduledFor] = true
				}
			}
		})
	})
}

// A run started well after its scheduled time is said to be a catch-up;
// the retry of a run that failed, for the same time, is not said again.
func TestCatchUpSaidOnce(t *testing.T) {
	s := storetest.Open(t, storetest.SQLiteDSN(t))
	e := newEnv(t, at(time.October, 2, 10))
	var log syncBuffer
	sch, err := New(Options{Store: s, Config: e.cfg, Sender: e.mail, Clock: e.ft.view(),
		Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})), Holder: "test"})
	if err != nil {
		t.Fatal(err)
	}
	failing := job{name: "flaky", run: func(context.Context, time.Time) (Report, error) {
		return Report{}, errors.New("the mail server is unavailable")
	}}
	slot := at(time.October, 2, 8)
	for range 2 {
		if err := sch.runJob(context.Background(), failing, slot); err != nil {
			t.Fatal(err)
		}
	}
	if n := strings.Count(log.String(), "catching up"); n != 1 {
		t.Errorf("%d catch-up lines for a run and its retry, want 1:\n%s", n, log.String())
	}
	if err := sch.runJob(context.Background(), failing, at(time.October, 2, 10).Add(-2*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(log.String(), "catching up"); n != 1 {
		t.Errorf("a run two minutes late is said to be a catch-up:\n%s", log.String())
	}
}
