package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/web"
	"github.com/nhs-prevent/prevent/scheduler"
)

const serveUsage = `Usage: prevent serve [--http ADDR|off] [--log-json] [--settle DURATION]

Runs prevent unattended until stopped (SIGTERM, or Ctrl-C): the dashboard on
--http (default 127.0.0.1:8080, this machine only; "off" for none), and at the
times in the config's schedule: block:

  import     imports the extracts dropped into schedule.import_dir (default
             drop/) once each has stopped changing for --settle, staff first,
             and files each in processed/ or failed/; the addresses in
             import.notify are emailed why a file failed
  reminders  prevent remind --send, as of the day
  return     sends the last quarter's return to return.recipients once its
             submission window opens (the first working day after the
             quarter ends): once per recipient, however often it runs;
             with prevent_lead configured it also checks the Prevent lead
             (prevent lead --send): a change is notified once

and, for a commissioner (providers: in the config):

  collate    prevent collate --fetch on schedule.collate_dir (default
             returns/): the collate.imap mailbox's returns saved there, then
             every file there read, checked and stored
  chase      prevent chase --send for the last completed quarter: once its
             window has closed, each missing provider's contact once

A job missed while the machine was off runs once when serve starts. Every run
is recorded; 'prevent jobs' lists them. Several serve processes may run
against one database (on one machine or several): one acts, the others stand
by and take over within 30 seconds if it stops.

Logs go to standard error, a line per job run and per file, with counts,
never a name or an email of staff. Stopping cancels the running job: an
import in progress is rolled back and its file stays in the drop folder for
the next run.

Examples:
  prevent serve --config /etc/prevent/prevent.yaml --db postgres://prevent@db.trust.nhs.uk/prevent
  prevent serve --http off --log-json
`

func (m *Main) runServe(ctx context.Context, args []string) error {
	fs := m.newFlags("serve", serveUsage)
	httpAddr := fs.String("http", defaultHTTP, "serve the dashboard on `ADDR`; \"off\" for none")
	logJSON := fs.Bool("log-json", false, "log JSON lines instead of text")
	settle := fs.Duration("settle", scheduler.DefaultSettle, "a dropped file is imported once unchanged for this `DURATION` (e.g. 10s, 1m)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("serve takes no arguments (got %q)", pos[0])
	}
	if *settle <= 0 {
		return usagef("--settle must be a positive duration such as 10s")
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	log := m.logger(*logJSON)
	sender, where, err := m.sender()
	if err != nil {
		return err
	}
	sch, err := scheduler.New(scheduler.Options{Store: m.Store, Config: m.Config, Sender: sender,
		Clock: mainClock{m.Now}, Logger: log, Settle: *settle})
	if err != nil {
		return err
	}
	if addr := strings.TrimSpace(*httpAddr); addr != "" && addr != "off" {
		stop, err := m.serveDashboard(addr, log)
		if err != nil {
			return err
		}
		defer stop()
	}
	log.Info("prevent serve started", "version", Version, "process", sch.Holder(), "config", configName(m.Config.Path),
		"database", m.Store.String(), "drop_folder", m.Config.Schedule.ImportDir, "mail", where)
	return sch.Run(ctx)
}

// defaultHTTP is where the dashboard listens unless --http says otherwise:
// this machine only, as it shows staff names.
const defaultHTTP = "127.0.0.1:8080"

// serveDashboard starts the web dashboard on addr (--http), refusing an
// address beyond this machine without sign-in (exit 2). Every serve process
// serves it, active or standing by. stop shuts it down, letting requests in
// flight finish.
func (m *Main) serveDashboard(addr string, log *slog.Logger) (stop func(), err error) {
	if err := web.CheckBind(addr, m.Config); err != nil {
		return nil, &usageError{err.Error()}
	}
	handler, err := web.New(web.Options{Store: m.Store, Config: m.Config, Now: m.Now, Logger: log})
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot serve the dashboard on %s: %w", addr, err)
	}
	srv := web.Server(handler, log)
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("the dashboard stopped", "error", err.Error())
		}
	}()
	log.Info("dashboard listening", "url", "http://"+ln.Addr().String()+"/")
	// Today's figures are worked out before the first visitor asks, and
	// again after each import.
	warmCtx, stopWarm := context.WithCancel(context.Background())
	warmed := make(chan struct{})
	go func() {
		defer close(warmed)
		web.Warm(warmCtx, handler, web.WarmEvery)
	}()
	return func() {
		stopWarm()
		ctx, cancel := context.WithTimeout(context.Background(), dashboardShutdown)
		defer cancel()
		_ = srv.Shutdown(ctx)
		select {
		case <-warmed:
		case <-ctx.Done():
		}
	}, nil
}

// dashboardShutdown bounds the wait for requests in flight on shutdown.
const dashboardShutdown = 10 * time.Second

// logger writes structured lines to standard error: text, or JSON with
// --log-json; debug lines too when PREVENT_DEBUG is set.
func (m *Main) logger(json bool) *slog.Logger {
	opt := &slog.HandlerOptions{Level: slog.LevelInfo}
	if m.Getenv("PREVENT_DEBUG") != "" {
		opt.Level = slog.LevelDebug
	}
	if json {
		return slog.New(slog.NewJSONHandler(m.Stderr, opt))
	}
	return slog.New(slog.NewTextHandler(m.Stderr, opt))
}

// mainClock is the scheduler's clock: Main's, so tests of the command can
// set the time.
type mainClock struct{ now func() time.Time }

func (c mainClock) Now() time.Time                         { return c.now() }
func (c mainClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

const jobsUsage = `Usage: prevent jobs [--job NAME] [--limit N]

The runs of the jobs 'prevent serve' schedules (import, reminders, return;
collate and chase for a commissioner),
newest first: when each started, the time it was scheduled for, how it ended
(ok, failed, interrupted, or running), how long it took, and what it did or
why it failed.

Examples:
  prevent jobs
  prevent jobs --job return --limit 5
`

func (m *Main) runJobs(ctx context.Context, args []string) error {
	fs := m.newFlags("jobs", jobsUsage)
	job := fs.String("job", "", "only the runs of the job `NAME`: import, reminders, return, collate or chase")
	limit := fs.Int("limit", 50, "at most `N` runs (0: all)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("jobs takes no arguments (got %q)", pos[0])
	}
	if *job != "" {
		if err := oneOf("job", *job, []string{scheduler.JobImport, scheduler.JobReminders, scheduler.JobReturn, scheduler.JobCollate, scheduler.JobChase}); err != nil {
			return err
		}
	}
	if *limit < 0 {
		return usagef("--limit must be 0 or more")
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	runs, err := m.Store.JobRuns(ctx, *job, *limit)
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		fmt.Fprintln(m.Stdout, "no job runs yet ('prevent serve' runs the scheduled jobs)")
		return nil
	}
	const layout = "2006-01-02 15:04"
	fmt.Fprintf(m.Stdout, "%-16s  %-9s  %-16s  %-11s  %8s  %s\n", "STARTED", "JOB", "SCHEDULED FOR", "OUTCOME", "DURATION", "SUMMARY")
	for _, r := range runs {
		outcome, took := r.Outcome, formatDuration(r.Duration())
		if outcome == "" {
			outcome, took = "running", "-"
		}
		note := r.Summary
		if r.Error != "" {
			note = joinNote(note, r.Error)
		}
		fmt.Fprintf(m.Stdout, "%-16s  %-9s  %-16s  %-11s  %8s  %s\n", r.StartedAt.Local().Format(layout), r.Job,
			r.ScheduledFor.Local().Format(layout), outcome, took, oneLine(note))
	}
	return nil
}

func joinNote(summary, errText string) string {
	if summary == "" {
		return errText
	}
	return summary + "; " + errText
}

// formatDuration is a run's duration for people: 350ms, 4.2s, 3m10s.
func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(100 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}
