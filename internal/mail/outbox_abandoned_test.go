package mail

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// A process killed while writing a message leaves its temporary file; the
// next send removes it once it is clearly abandoned, and leaves alone one
// that another process may still be writing.
func TestOutboxRemovesAbandonedTemporaryFiles(t *testing.T) {
	dir := t.TempDir()
	abandoned := filepath.Join(dir, ".prevent-123.tmp")
	inProgress := filepath.Join(dir, ".prevent-456.tmp")
	other := filepath.Join(dir, "notes.tmp")
	for _, p := range []string{abandoned, inProgress, other} {
		if err := os.WriteFile(p, []byte("Dear Jane Smith"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	for _, p := range []string{abandoned, other} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	if err := NewOutbox(dir).Send(context.Background(), sampleMessage()); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(abandoned); !os.IsNotExist(err) {
		t.Errorf("the abandoned temporary file is still there (%v)", err)
	}
	for _, p := range []string{inProgress, other} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", filepath.Base(p), err)
		}
	}
	if files := emlFiles(t, dir); len(files) != 1 {
		t.Errorf("outbox holds %v, want the one message", files)
	}
}
