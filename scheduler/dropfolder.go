package scheduler

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/importers"
	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/mail"
)

// importFailureKind is the delivery kind of the email telling the
// workforce team that a dropped file failed. Its key is the file's name and
// content hash, so the same file dropped twice is reported once.
const importFailureKind = "import-failure"

// notifyWithin is how long after a file failed its email is still retried
// when it could not be sent.
const notifyWithin = 30 * 24 * time.Hour

// progressMinSize is the size from which a file's import logs its progress
// at each quarter.
const progressMinSize = 8 << 20

// importDrop is the import job: every file in the drop folder that has
// stopped changing is imported (ingest.Dir: staff first, each in one
// transaction, then moved to processed/ or failed/), and the workforce team
// is emailed about each failed file.
func (s *Scheduler) importDrop(ctx context.Context, now time.Time) (Report, error) {
	dir := s.cfg.Schedule.ImportDir
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return Report{}, fmt.Errorf("drop folder %s: %w", dir, err)
	}
	ready, changing, err := s.settled(ctx, dir)
	if err != nil {
		return Report{}, err
	}
	for _, name := range changing {
		s.log.Info("file still changing: left for the next run", "job", JobImport, "file", name)
	}
	var results []ingest.DirResult
	if len(ready) > 0 {
		pol := s.cfg.Policy() // as `prevent import dir` does
		opt := ingest.Options{Aliases: s.cfg.Aliases(), Limits: s.cfg.Limits(), Policy: &pol, Today: now, Progress: s.progress(),
			Only: func(name string) bool { return ready[name] }, Keep: s.keep()}
		results, err = ingest.Dir(ctx, s.store, dir, opt)
	}
	t := dropTally{changing: len(changing)}
	for _, r := range results {
		t.add(r)
		s.logFile(r)
	}
	if err != nil {
		t.interrupted = ctx.Err() != nil
		return t.report(), err
	}
	t.notified, err = s.notifyFailures(ctx, dir)
	return t.report(), err
}

// keep lists the files the drop folder leaves where they are besides the
// database's: the config file in use.
func (s *Scheduler) keep() []string {
	if s.cfg.Path == "" {
		return nil
	}
	return []string{s.cfg.Path}
}

// fileState is what is compared between two looks at a file.
type fileState struct {
	size  int64
	mtime time.Time
}

// look lists the files ingest.Dir would consider, with their state: not
// those the folder keeps (ingest.KeptFiles), which change while the server
// runs but are no extract still being copied.
func look(dir string, kept func(fs.FileInfo) (string, bool)) (map[string]fileState, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot read drop folder %s: %w", dir, err)
	}
	out := map[string]fileState{}
	for _, e := range entries {
		if !ingest.Importable(e) || !e.Type().IsRegular() {
			continue
		}
		info, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // gone since the listing
		}
		if err != nil {
			return nil, fmt.Errorf("drop folder %s: %w", dir, err)
		}
		if _, ok := kept(info); ok {
			continue
		}
		out[e.Name()] = fileState{size: info.Size(), mtime: info.ModTime()}
	}
	return out, nil
}

// settled returns the files whose size and modification time stayed the
// same across two looks s.settle apart: files still being copied keep
// changing. While some keep changing it looks again, up to s.settleMax,
// and then leaves them for the next run.
func (s *Scheduler) settled(ctx context.Context, dir string) (ready map[string]bool, changing []string, err error) {
	kept, err := ingest.KeptFiles(ctx, s.store, s.keep())
	if err != nil {
		return nil, nil, err
	}
	before, err := look(dir, kept)
	if err != nil || len(before) == 0 {
		return nil, nil, err
	}
	giveUp := time.Now().Add(s.settleMax)
	for {
		if err := sleep(ctx, s.settle); err != nil {
			return nil, nil, err
		}
		after, err := look(dir, kept)
		if err != nil {
			return nil, nil, err
		}
		ready, changing = map[string]bool{}, nil
		for name, st := range after {
			if prev, ok := before[name]; ok && prev.size == st.size && prev.mtime.Equal(st.mtime) {
				ready[name] = true
			} else {
				changing = append(changing, name)
			}
		}
		if len(changing) == 0 || !time.Now().Before(giveUp) {
			return ready, changing, nil
		}
		before = after
	}
}

// sleep waits d of real time: how long a file has been still is a matter
// for the file system's clock, not the scheduler's.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// progress logs each quarter of a large file's import.
func (s *Scheduler) progress() func(file string, rows int, done, total int64) {
	reached := map[string]int64{}
	return func(file string, rows int, done, total int64) {
		if total < progressMinSize {
			return
		}
		if q := done * 4 / total; q > reached[file] && q < 4 {
			reached[file] = q
			s.log.Info("import progress", "job", JobImport, "file", filepath.Base(file), "percent", q*25, "rows", rows)
		}
	}
}

// logFile logs one file's outcome: counts only, never a row.
func (s *Scheduler) logFile(r ingest.DirResult) {
	attrs := []slog.Attr{slog.String("job", JobImport), slog.String("file", filepath.Base(r.File))}
	if r.Kind != "" {
		attrs = append(attrs, slog.String("kind", string(r.Kind)))
	}
	imp := r.Import
	switch {
	case r.Err != nil:
		attrs = append(attrs, slog.String("error", withoutEmails(r.Err.Error())), slog.String("moved_to", r.MovedTo))
		s.log.LogAttrs(context.Background(), slog.LevelError, "file not imported", attrs...)
	case r.Skipped:
		attrs = append(attrs, slog.String("imported_on", r.Previous.ImportedAt.Format(time.DateOnly)))
		s.log.LogAttrs(context.Background(), slog.LevelInfo, "file already imported: nothing to do", attrs...)
	case r.Kind == importers.Staff:
		attrs = append(attrs, slog.String("effective", r.Effective.Format(time.DateOnly)), slog.Int("rows_read", imp.RowsRead),
			slog.Int("assignments", imp.RowsImported), slog.Int("rows_rejected", imp.RowsRejected))
		s.log.LogAttrs(context.Background(), slog.LevelInfo, "file imported", attrs...)
	default:
		attrs = append(attrs, slog.Int("rows_read", imp.RowsRead), slog.Int("new", imp.RowsImported),
			slog.Int("already_held", imp.RowsDuplicate), slog.Int("rows_rejected", imp.RowsRejected))
		if imp.RowsNotCompleted > 0 { // rows not completed yet are not errors, but worth seeing
			attrs = append(attrs, slog.Int("rows_not_completed", imp.RowsNotCompleted))
		}
		if len(r.ReRead) > 0 { // the file again, for courses a rule now maps: its rows were read before
			attrs = append(attrs, slog.String("read_again_for", strings.Join(r.ReRead, "; ")),
				slog.String("first_imported_on", r.Previous.ImportedAt.Format(time.DateOnly)))
		}
		s.log.LogAttrs(context.Background(), slog.LevelInfo, "file imported", attrs...)
	}
}

// dropTally counts an import run's files.
type dropTally struct {
	staff, completions, skipped, failed, changing, notified int
	exemptions                                              int
	assignments, newCompletions, rejected                   int
	interrupted                                             bool // stopped part way
}

func (t *dropTally) add(r ingest.DirResult) {
	switch {
	case r.Err != nil:
		t.failed++
	case r.Skipped:
		t.skipped++
	case r.Kind == importers.Staff:
		t.staff++
		t.assignments += r.Import.RowsImported
		t.rejected += r.Import.RowsRejected
	case r.Kind == importers.Exemptions:
		t.exemptions++
		t.rejected += r.Import.RowsRejected
	default:
		t.completions++
		t.newCompletions += r.Import.RowsImported
		t.rejected += r.Import.RowsRejected
	}
}

func (t dropTally) report() Report {
	var parts []string
	if t.staff > 0 {
		parts = append(parts, fmt.Sprintf("%d staff extract%s imported (%d assignments)", t.staff, plural(t.staff), t.assignments))
	}
	if t.completions > 0 {
		parts = append(parts, fmt.Sprintf("%d completions extract%s imported (%d new completions)", t.completions, plural(t.completions), t.newCompletions))
	}
	if t.exemptions > 0 {
		parts = append(parts, fmt.Sprintf("%d exemptions file%s imported", t.exemptions, plural(t.exemptions)))
	}
	if t.rejected > 0 {
		parts = append(parts, fmt.Sprintf("%d rows rejected (see prevent quality)", t.rejected))
	}
	if t.skipped > 0 {
		parts = append(parts, fmt.Sprintf("%d already imported", t.skipped))
	}
	if t.failed > 0 {
		parts = append(parts, fmt.Sprintf("%d failed (moved to failed/)", t.failed))
	}
	if t.changing > 0 {
		parts = append(parts, fmt.Sprintf("%d still being copied", t.changing))
	}
	if t.notified > 0 {
		parts = append(parts, fmt.Sprintf("%d failure email%s sent", t.notified, plural(t.notified)))
	}
	if t.interrupted {
		parts = append(parts, "stopped part way: the file being imported is rolled back and stays in the drop folder")
	}
	summary := strings.Join(parts, ", ")
	if summary == "" {
		summary = "no files to import"
	}
	return Report{Summary: summary, Attrs: []slog.Attr{
		slog.Int("files", t.staff+t.completions+t.exemptions+t.skipped+t.failed),
		slog.Int("imported", t.staff+t.completions+t.exemptions), slog.Int("already_imported", t.skipped),
		slog.Int("failed", t.failed), slog.Int("still_copying", t.changing),
		slog.Int("rows_rejected", t.rejected), slog.Int("failure_emails", t.notified),
	}}
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// notifyFailures emails import.notify about each file in DIR/failed that
// failed in the last notifyWithin, once per file name and content: a
// failure whose email could not be sent is retried on the next run.
func (s *Scheduler) notifyFailures(ctx context.Context, dir string) (sent int, err error) {
	notify := s.cfg.Import.Notify
	if len(notify) == 0 {
		return 0, nil
	}
	if err := ingest.CheckSubfolders(dir); err != nil {
		return 0, err
	}
	failedDir := filepath.Join(dir, "failed")
	entries, err := os.ReadDir(failedDir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("cannot read %s: %w", failedDir, err)
	}
	var errs []error
	for _, e := range entries {
		reasonFile := filepath.Join(failedDir, e.Name())
		file, ok := strings.CutSuffix(reasonFile, ingest.ReasonSuffix)
		if !ok || !e.Type().IsRegular() {
			continue // a link or a device is never read, let alone mailed
		}
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) > notifyWithin {
			continue
		}
		reason, err := ingest.ReadReason(reasonFile)
		if err != nil {
			continue // removed meanwhile (someone has dealt with it), or swapped for a link
		}
		hash, err := importers.FileHash(file, true)
		if err != nil {
			continue
		}
		name := ingest.DroppedName(filepath.Base(file))
		build := func(string) (*mail.Message, error) {
			return failureMessage(s.cfg.MailFrom(), name, dir, file, strings.TrimSpace(string(reason))), nil
		}
		outcomes, err := delivery.Send(ctx, s.store, s.sender, importFailureKind, name+"|"+hash, notify, build, s.deliveryOptions())
		if err != nil {
			return sent, err
		}
		t := tallyOutcomes(outcomes)
		sent += t.sent
		if t.failed > 0 {
			errs = append(errs, fmt.Errorf("email about %s: %w", name, t.firstErr))
		}
	}
	if len(errs) > 0 {
		return sent, fmt.Errorf("%d failure email%s not sent, retried on the next run: %w", len(errs), plural(len(errs)), errors.Join(errs...))
	}
	return sent, nil
}

// failureMessage tells the workforce team why a dropped file was not
// imported and what to do.
func failureMessage(from, name, dir, movedTo, reason string) *mail.Message {
	// The file's name and the reason (which quotes its cells) are the
	// dropper's text: they can neither add lines nor drive a terminal.
	name, movedTo, reason = figures.Printable(name), figures.Printable(movedTo), figures.Printable(reason)
	text := fmt.Sprintf(`The file %q, dropped into the Prevent import folder %s, could not be imported, so nothing from it has been used.

Why: %s

The file has been moved to %s, with this reason beside it in %s.

What to do: correct the file (or export it again) and drop it into %s again. It will be imported at the next scheduled run. Files with the same content are only imported once, so nothing is counted twice.

This message was sent by prevent serve.
`, name, dir, reason, movedTo, filepath.Base(movedTo)+ingest.ReasonSuffix, dir)
	return &mail.Message{From: from, Subject: fmt.Sprintf("Prevent: %s was not imported", name), Text: text}
}
