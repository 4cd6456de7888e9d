package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Job run outcomes. A run still going has none ("").
const (
	JobOK          = "ok"
	JobFailed      = "failed"
	JobInterrupted = "interrupted" // stopped by a shutdown, or its process died
)

// JobRun is one run of a scheduled job (import, reminders, return).
type JobRun struct {
	ID           int64
	Job          string
	ScheduledFor time.Time // the cron slot the run covers
	StartedAt    time.Time
	EndedAt      time.Time // zero while running
	Outcome      string    // JobOK, JobFailed, JobInterrupted; "" while running
	Error        string
	Summary      string // counts for people to read: never a name or an email
	Runner       string // the process that ran it: "pid 4242 on HOST"
}

// Duration is how long the run took; zero while it is running.
func (r JobRun) Duration() time.Duration {
	if r.EndedAt.IsZero() {
		return 0
	}
	return r.EndedAt.Sub(r.StartedAt)
}

// Settled reports whether the run finished by itself, well or badly. An
// interrupted run, or one still going, settles nothing: its work is still
// to do.
func (r JobRun) Settled() bool { return r.Outcome == JobOK || r.Outcome == JobFailed }

type jobRunRow struct {
	ID           int64   `db:"id"`
	Job          string  `db:"job"`
	ScheduledFor instant `db:"scheduled_for"`
	StartedAt    instant `db:"started_at"`
	EndedAt      instant `db:"ended_at"`
	Outcome      *string `db:"outcome"`
	Error        string  `db:"error"`
	Summary      string  `db:"summary"`
	Runner       string  `db:"runner"`
}

const jobRunColumns = `id, job, scheduled_for, started_at, ended_at, outcome, error, summary, runner`

func (r jobRunRow) JobRun() JobRun {
	run := JobRun{ID: r.ID, Job: r.Job, ScheduledFor: r.ScheduledFor.Time, StartedAt: r.StartedAt.Time,
		EndedAt: r.EndedAt.Time, Error: r.Error, Summary: r.Summary, Runner: r.Runner}
	if r.Outcome != nil {
		run.Outcome = *r.Outcome
	}
	return run
}

// maxJobText caps the error and summary kept for a run.
const maxJobText = 2000

func clipText(s string) string { return truncate(strings.TrimSpace(s), maxJobText) }

// StartJobRun records that a run of job, covering the slot scheduledFor,
// has started.
func (s *Store) StartJobRun(ctx context.Context, job string, scheduledFor, startedAt time.Time, runner string) (JobRun, error) {
	if strings.TrimSpace(job) == "" {
		return JobRun{}, fmt.Errorf("record job run: no job named")
	}
	var id int64
	err := s.db.QueryRowxContext(ctx, s.db.Rebind(`INSERT INTO job_runs (job, scheduled_for, started_at, runner)
		VALUES (?, ?, ?, ?) RETURNING id`),
		job, s.instantArg(scheduledFor), s.instantArg(startedAt), runner).Scan(&id)
	if err != nil {
		return JobRun{}, s.wrap("record the start of job "+job, err)
	}
	return s.JobRun(ctx, id)
}

// FinishJobRun records how a run ended. A run already finished (marked
// interrupted by a scheduler that took over, say) is left as it is.
func (s *Store) FinishJobRun(ctx context.Context, id int64, outcome string, endedAt time.Time, summary, errText string) error {
	switch outcome {
	case JobOK, JobFailed, JobInterrupted:
	default:
		return fmt.Errorf("record the end of job run %d: unknown outcome %q", id, outcome)
	}
	_, err := s.update(ctx, `UPDATE job_runs SET outcome = ?, ended_at = ?, summary = ?, error = ?
		WHERE id = ? AND outcome IS NULL`,
		outcome, s.instantArg(endedAt), clipText(summary), clipText(errText), id)
	return s.wrap(fmt.Sprintf("record the end of job run %d", id), err)
}

// InterruptJobRuns marks every run still going as interrupted, with the
// reason, and returns how many there were. Only the one active scheduler
// runs jobs, so when it starts, any run still going belongs to a process
// that died.
func (s *Store) InterruptJobRuns(ctx context.Context, endedAt time.Time, reason string) (int, error) {
	n, err := s.update(ctx, `UPDATE job_runs SET outcome = 'interrupted', ended_at = ?, error = ?
		WHERE outcome IS NULL`, s.instantArg(endedAt), clipText(reason))
	return int(n), s.wrap("mark unfinished job runs interrupted", err)
}

// JobRun returns the run with this id.
func (s *Store) JobRun(ctx context.Context, id int64) (JobRun, error) {
	var r jobRunRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+jobRunColumns+` FROM job_runs WHERE id = ?`), id)
	if err != nil {
		return JobRun{}, s.wrap(fmt.Sprintf("read job run %d", id), err)
	}
	return r.JobRun(), nil
}

// JobRuns lists the runs of job, or of every job when job is "", newest
// first; at most limit of them when limit > 0.
func (s *Store) JobRuns(ctx context.Context, job string, limit int) ([]JobRun, error) {
	q := `SELECT ` + jobRunColumns + ` FROM job_runs`
	var args []any
	if job != "" {
		q += ` WHERE job = ?`
		args = append(args, job)
	}
	q += ` ORDER BY started_at DESC, id DESC`
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	var rows []jobRunRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		what := "list job runs"
		if job != "" {
			what += " of " + job
		}
		return nil, s.wrap(what, err)
	}
	out := make([]JobRun, len(rows))
	for i, r := range rows {
		out[i] = r.JobRun()
	}
	return out, nil
}
