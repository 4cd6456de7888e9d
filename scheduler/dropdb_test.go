package scheduler

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/store"
)

// A server whose SQLite database sits in its own drop folder imports the
// extracts beside it and leaves the database and its scheduler lock file
// alone: not moved to failed/, and not taken for files still being copied
// while they are written to.
func TestDropFolderHoldingTheDatabase(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, at(time.October, 1, 6))
	s, err := store.Open(ctx, "sqlite:"+filepath.Join(e.drop, "prevent.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	sch := e.newScheduler(t, s, 30*time.Millisecond, 60*time.Millisecond)
	// The scheduler's lock, held as serve holds it: prevent.db.lock beside.
	lock, holder, err := s.TryLockScheduler(ctx, "test")
	if err != nil || lock == nil {
		t.Fatalf("lock: %v (held by %q)", err, holder)
	}
	defer lock.Release()
	e.write(t, "esr_staff_2026-09-30.csv", staffCSV(time.September))
	rep, err := sch.importDrop(ctx, e.ft.Now())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rep.Summary, "1 staff extract imported") || strings.Contains(rep.Summary, "failed") ||
		strings.Contains(rep.Summary, "still being copied") {
		t.Errorf("summary %q: want the extract imported and nothing else", rep.Summary)
	}
	if _, err := os.Stat(filepath.Join(e.drop, "prevent.db")); err != nil {
		t.Fatalf("the database was moved: %v", err)
	}
	if moved, _ := filepath.Glob(filepath.Join(e.drop, "failed", "prevent.db*")); len(moved) > 0 {
		t.Errorf("database files moved to failed/: %v", moved)
	}
	if _, err := os.Stat(filepath.Join(e.drop, "prevent.db.lock")); err != nil {
		t.Errorf("the scheduler's lock file was moved: %v", err)
	}
	if n := count(t, s, "snapshots"); n != 1 {
		t.Errorf("%d snapshots held, want 1", n)
	}
}
