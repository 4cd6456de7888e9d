// Package scheduler owns what `prevent serve` does unattended. It runs the
// jobs of the config's schedule: block at their cron times:
//
//   - import: the extracts dropped into schedule.import_dir, once each file
//     has stopped changing; a file that fails is reported to import.notify;
//   - reminders: `prevent remind --send` as of the day (package remind);
//   - return: the last completed quarter's return to return.recipients,
//     once its submission window has opened;
//   - annual_report: the last financial year's annual report to
//     report.recipients, once each, after the year ends.
//
// Every job is idempotent: imports skip content already held, and every
// email goes through package delivery, which sends each message once. So a
// job may run again after a crash or a restart without harm, and the
// scheduler does not need to be exact about what has been done.
//
// Runs are recorded in the store (store.JobRun). A run missed while the
// machine was off is caught up on start: when a job's last run is older
// than its most recent scheduled time, it runs once, for that most recent
// time, however many times were missed. A run that failed is tried again
// after a backoff, unless its next scheduled time comes first.
//
// Only one scheduler acts on a database at a time: the one holding the
// store's scheduler lock. Others stand by and try the lock every
// Options.Standby, taking over when the active process stops or dies.
package scheduler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"regexp"
	"sync/atomic"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/store"
)

// Job names, as recorded in job_runs and shown by `prevent jobs`.
const (
	JobImport    = "import"
	JobReminders = "reminders"
	JobReturn    = "return"
	JobCollate   = "collate" // commissioner mode
	JobChase     = "chase"   // commissioner mode
	// JobAnnualReport emails the annual report to the board once a year
	// (with report.recipients).
	JobAnnualReport = "annual_report"
)

// Defaults for the Options left zero.
const (
	// DefaultSettle is how long a dropped file must stay the same size and
	// modification time before it is imported.
	DefaultSettle = 10 * time.Second
	// DefaultSettleMax is how long an import run waits for files still
	// changing before it leaves them for the next run.
	DefaultSettleMax = 10 * time.Minute
	// DefaultStandby is how often a standby tries the lock.
	DefaultStandby = 30 * time.Second
	// DefaultRecheck is the longest the scheduler sleeps without looking
	// at the clock again, so that a machine woken from sleep, or a clock
	// put right, is noticed.
	DefaultRecheck = 5 * time.Minute
)

// retryWait is how long the active scheduler waits after the database
// failed it before trying again.
const retryWait = time.Minute

// errLockLost ends the active scheduler's jobs when its lock is lost.
var errLockLost = errors.New("the scheduler lock was lost (its database session ended)")

// recordTimeout bounds recording a run's end after a shutdown has begun.
const recordTimeout = 30 * time.Second

// Report is what a job run did: a line for `prevent jobs` and the counts
// for the log. Neither ever holds a name or an email of staff.
type Report struct {
	Summary string
	Attrs   []slog.Attr
}

// Options configure a Scheduler. Store, Config and Sender are required.
type Options struct {
	Store  *store.Store
	Config *config.Config
	Sender mail.Sender

	Clock  Clock        // SystemClock when nil
	Logger *slog.Logger // slog.Default() when nil
	// Holder names this process in the logs, the lock and job_runs;
	// "pid N on HOST" when empty.
	Holder string

	Settle    time.Duration // DefaultSettle when zero
	SettleMax time.Duration // DefaultSettleMax when zero
	Standby   time.Duration // DefaultStandby when zero
	Recheck   time.Duration // DefaultRecheck when zero
}

// Scheduler runs the jobs. Make one with New and call Run.
type Scheduler struct {
	store  *store.Store
	cfg    *config.Config
	sender mail.Sender
	clock  Clock
	log    *slog.Logger
	holder string

	settle, settleMax, standby, recheck time.Duration

	jobs   []job
	active atomic.Bool
	// tried is each job's slot this process has run, so that a retry of
	// a failed run is not said to be a catch-up (Run's goroutine only).
	tried map[string]time.Time
}

// job is one scheduled job.
type job struct {
	name  string
	spec  string
	sched cron.Schedule
	run   func(ctx context.Context, now time.Time) (Report, error)
}

// New makes a scheduler for the jobs of opt.Config's schedule:, leaving
// out a job whose spec is "".
func New(opt Options) (*Scheduler, error) {
	if opt.Store == nil || opt.Config == nil || opt.Sender == nil {
		return nil, errors.New("scheduler: Store, Config and Sender are required")
	}
	s := &Scheduler{store: opt.Store, cfg: opt.Config, sender: opt.Sender,
		clock: opt.Clock, log: opt.Logger, holder: opt.Holder,
		settle: orDefault(opt.Settle, DefaultSettle), settleMax: orDefault(opt.SettleMax, DefaultSettleMax),
		standby: orDefault(opt.Standby, DefaultStandby), recheck: orDefault(opt.Recheck, DefaultRecheck)}
	if s.clock == nil {
		s.clock = SystemClock{}
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if s.holder == "" {
		host, _ := os.Hostname()
		s.holder = fmt.Sprintf("pid %d on %s", os.Getpid(), host)
	}
	sc := opt.Config.Schedule
	commissioner := len(opt.Config.Providers) > 0 || opt.Config.Collate.IMAP != nil
	for _, j := range []job{
		{name: JobImport, spec: sc.Import, run: s.importDrop},
		{name: JobReminders, spec: sc.Reminders, run: s.sendReminders},
		{name: JobReturn, spec: sc.Return, run: s.sendReturn},
		{name: JobCollate, spec: sc.Collate, run: s.collateReturns},
		{name: JobChase, spec: sc.Chase, run: s.chaseProviders},
		{name: JobAnnualReport, spec: sc.AnnualReport, run: s.sendAnnualReport},
	} {
		if j.spec == "" || (j.name == JobCollate || j.name == JobChase) && !commissioner ||
			j.name == JobAnnualReport && len(opt.Config.Report.Recipients) == 0 {
			continue
		}
		sched, err := cron.ParseStandard(j.spec)
		if err != nil {
			return nil, fmt.Errorf("schedule.%s: bad cron spec %q: %w", j.name, j.spec, err)
		}
		j.sched = sched
		s.jobs = append(s.jobs, j)
	}
	return s, nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// Active reports whether this scheduler holds the lock and runs the jobs.
func (s *Scheduler) Active() bool { return s.active.Load() }

// Holder is the name this process goes by in the logs and the lock.
func (s *Scheduler) Holder() string { return s.holder }

// Run runs the scheduler until ctx ends: active while it holds the lock,
// standing by otherwise. A job running when ctx ends has its context
// cancelled (an import rolls back, its file stays in the drop folder) and
// is recorded as interrupted. Run returns nil once it has stopped.
func (s *Scheduler) Run(ctx context.Context) error {
	standingBy := false
	for ctx.Err() == nil {
		lock, heldBy, err := s.store.TryLockScheduler(ctx, s.holder)
		switch {
		case ctx.Err() != nil:
		case err != nil:
			s.log.Error("cannot take the scheduler lock; trying again", "error", err.Error(), "retry_in", s.standby)
			standingBy = false
		case lock == nil:
			if !standingBy {
				if heldBy == "" {
					heldBy = "unknown"
				}
				s.log.Info("another prevent serve is active on this database: standing by",
					"process", s.holder, "active", heldBy, "retry_in", s.standby)
				standingBy = true
			}
		default:
			standingBy = false
			s.runActive(ctx, lock)
			if err := lock.Release(); err != nil && ctx.Err() == nil {
				s.log.Warn("releasing the scheduler lock", "error", err.Error())
			}
			continue // the lock was lost: try for it again at once
		}
		select {
		case <-ctx.Done():
		case <-s.clock.After(s.standby):
		}
	}
	s.log.Info("scheduler stopped", "process", s.holder)
	return nil
}

// runActive runs the jobs while the lock is held and ctx lasts.
func (s *Scheduler) runActive(parent context.Context, lock *store.Lock) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)
	go func() {
		select {
		case <-lock.Lost():
			cancel(errLockLost)
		case <-ctx.Done():
		}
	}()
	s.active.Store(true)
	defer s.active.Store(false)

	names := make([]string, len(s.jobs))
	for i, j := range s.jobs {
		names[i] = j.name + " " + j.spec
	}
	s.log.Info("scheduler active", "process", s.holder, "database", s.store.String(), "jobs", names)
	if n, err := s.store.InterruptJobRuns(ctx, s.clock.Now(), "the process running it stopped before the run ended"); err != nil {
		s.log.Error("marking runs left unfinished", "error", err.Error())
	} else if n > 0 {
		s.log.Warn("runs left unfinished by a process that stopped are marked interrupted and will run again", "runs", n)
	}

	for ctx.Err() == nil {
		now := s.clock.Now()
		j, slot, at, err := s.next(ctx, now)
		wait := at.Sub(now)
		switch {
		case ctx.Err() != nil:
			continue
		case err != nil:
			s.log.Error("reading the job history; trying again", "error", err.Error(), "retry_in", retryWait)
			wait = retryWait
		case j != nil && wait <= 0:
			err := s.runJob(ctx, *j, slot)
			if err == nil || ctx.Err() != nil {
				continue
			}
			s.log.Error("recording a job run; trying again", "job", j.name, "error", err.Error(), "retry_in", retryWait)
			wait = retryWait
		case j == nil:
			wait = s.recheck
		}
		select {
		case <-ctx.Done():
		case <-s.clock.After(min(wait, s.recheck)):
		}
	}
	if err := lock.Err(); err != nil && parent.Err() == nil {
		s.log.Warn("the scheduler lock was lost: standing by", "process", s.holder, "error", err.Error())
	}
}

// next finds the job to run next: the one due earliest (in the order
// import, reminders, return when several are due at once), the slot it
// covers and when it is due. A nil job means none will ever be due.
func (s *Scheduler) next(ctx context.Context, now time.Time) (*job, time.Time, time.Time, error) {
	var (
		best           *job
		bestAt, bestSl time.Time
	)
	for i := range s.jobs {
		j := &s.jobs[i]
		runs, err := s.store.JobRuns(ctx, j.name, historyDepth)
		if err != nil {
			return nil, time.Time{}, time.Time{}, err
		}
		at, slot := plan(j.sched, runs, now)
		if at.IsZero() {
			continue
		}
		if at.Before(now) {
			at = now // due now: the jobs' order decides, import first
		}
		if best == nil || at.Before(bestAt) {
			best, bestAt, bestSl = j, at, slot
		}
	}
	return best, bestSl, bestAt, nil
}

// historyDepth is how many recent runs of a job plan looks at.
const historyDepth = 20

// plan decides when a job is next due, given its recent runs (newest
// first), and the slot that run will cover. A due time at or before now
// means it is due now. A zero time means it never will be (a spec such as
// 30 February).
//
//   - Never run: due now, covering the most recent scheduled time, so that
//     a newly started service does at once what is outstanding.
//   - Last run settled (ok or failed) for slot S: due at the next scheduled
//     time after S. When that has passed (the machine was off), due now,
//     once, covering the most recent scheduled time.
//   - Last run failed: also due again after delivery.Backoff of the number
//     of failures in a row for S, when that comes first.
//
// Interrupted runs, and runs still going, are ignored: their work is still
// to do.
func plan(sched cron.Schedule, runs []store.JobRun, now time.Time) (at, slot time.Time) {
	var last *store.JobRun
	failures := 0
	for i := range runs {
		r := &runs[i]
		if !r.Settled() {
			continue
		}
		if last == nil {
			last = r
		}
		if r.Outcome != store.JobFailed || !r.ScheduledFor.Equal(last.ScheduledFor) {
			break
		}
		failures++
	}
	if last == nil {
		if slot, ok := latestSlot(sched, now); ok {
			return slot, slot
		}
		next := sched.Next(now)
		return next, next
	}
	next := sched.Next(last.ScheduledFor)
	if !next.IsZero() && !next.After(now) {
		// Missed while the machine was off: once, for the latest.
		slot, _ = latestSlot(sched, now)
		return next, slot
	}
	if failures > 0 {
		if retry := last.EndedAt.Add(delivery.Backoff(failures)); next.IsZero() || retry.Before(next) {
			return retry, last.ScheduledFor
		}
	}
	return next, next
}

// lookbacks are the spans searched, shortest first, for a job's most
// recent scheduled time: short spans keep the search short for frequent
// specs, and five years covers 29 February.
var lookbacks = []time.Duration{time.Hour, 25 * time.Hour, 32 * 24 * time.Hour, 367 * 24 * time.Hour, 5 * 367 * 24 * time.Hour}

// latestSlot is the most recent time at or before now that sched fires.
// robfig/cron only looks forward, so it steps forward from a little before
// now.
func latestSlot(sched cron.Schedule, now time.Time) (time.Time, bool) {
	for _, back := range lookbacks {
		t := sched.Next(now.Add(-back))
		if t.IsZero() || t.After(now) {
			continue
		}
		for {
			n := sched.Next(t)
			if n.IsZero() || n.After(now) {
				return t, true
			}
			t = n
		}
	}
	return time.Time{}, false
}

// catchUpAfter is how late a run must start to be a catch-up of one
// missed, not a run on time.
const catchUpAfter = 5 * time.Minute

// runJob runs a job for slot and records the run. Its error is the store
// failing to record the run; the job's own failure is recorded and logged.
func (s *Scheduler) runJob(ctx context.Context, j job, slot time.Time) error {
	start := s.clock.Now()
	run, err := s.store.StartJobRun(ctx, j.name, slot, start, s.holder)
	if err != nil {
		return err
	}
	retry := s.tried[j.name].Equal(slot)
	if s.tried == nil {
		s.tried = map[string]time.Time{}
	}
	s.tried[j.name] = slot
	if late := start.Sub(slot); late > catchUpAfter && !retry {
		// A run missed while no prevent serve was running (a new server,
		// a restart): said at once, for it may send email.
		s.log.Info("catching up a run missed while prevent serve was not running", "job", j.name,
			"scheduled_for", slot.Format(time.RFC3339), "late_by", late.Round(time.Minute).String())
	} else {
		s.log.Debug("job started", "job", j.name, "scheduled_for", slot.Format(time.RFC3339))
	}
	rep, jobErr := s.call(ctx, j, start)
	end := s.clock.Now()

	outcome, level, errText := store.JobOK, slog.LevelInfo, ""
	switch {
	case jobErr != nil && ctx.Err() != nil:
		why := "prevent serve was stopped"
		if errors.Is(context.Cause(ctx), errLockLost) {
			why = errLockLost.Error()
		}
		outcome, level, errText = store.JobInterrupted, slog.LevelWarn, why+": its work is rolled back and runs again"
	case jobErr != nil:
		outcome, level, errText = store.JobFailed, slog.LevelError, jobErr.Error()
	}
	// A failed send's error names its recipient, who may be a member of
	// staff (reminders.staff_days): logs and job_runs never hold one.
	errText, rep.Summary = withoutEmails(errText), withoutEmails(rep.Summary)
	attrs := []slog.Attr{
		slog.String("job", j.name),
		slog.String("scheduled_for", slot.Format(time.RFC3339)),
		slog.String("outcome", outcome),
		slog.Duration("duration", end.Sub(start)),
	}
	attrs = append(attrs, rep.Attrs...)
	if errText != "" {
		attrs = append(attrs, slog.String("error", errText))
	}
	s.log.LogAttrs(context.Background(), level, "job finished", attrs...)

	// Record the end even after a shutdown has begun: an interrupted run
	// must not look as if it were still going.
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), recordTimeout)
	defer cancel()
	return s.store.FinishJobRun(rctx, run.ID, outcome, end, rep.Summary, errText)
}

// emailAddress is anything that looks like an email address.
var emailAddress = regexp.MustCompile(`[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+`)

// withoutEmails replaces the email addresses in s.
func withoutEmails(s string) string {
	return emailAddress.ReplaceAllString(s, "<address>")
}

// call runs a job, turning a panic into its error: one bad file must not
// stop the service.
func (s *Scheduler) call(ctx context.Context, j job, now time.Time) (rep Report, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("internal error: %v (please report this)", r)
		}
	}()
	return j.run(ctx, now)
}

// deliveryOptions are the options of every send: the scheduler's clock,
// and failed deliveries left until their backoff has run out.
func (s *Scheduler) deliveryOptions() delivery.Options {
	return delivery.Options{Now: s.clock.Now, RespectBackoff: true}
}
