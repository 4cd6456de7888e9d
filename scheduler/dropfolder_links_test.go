package scheduler

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// importDropWithin runs the import job, failing the test when it has not
// returned within limit: a drop folder must never hold the job (and with it
// serve's shutdown) for ever.
func importDropWithin(t *testing.T, sch *Scheduler, now time.Time, limit time.Duration) (Report, error) {
	t.Helper()
	type outcome struct {
		rep Report
		err error
	}
	done := make(chan outcome, 1)
	go func() {
		rep, err := sch.importDrop(context.Background(), now)
		done <- outcome{rep, err}
	}()
	select {
	case o := <-done:
		return o.rep, o.err
	case <-time.After(limit):
		t.Fatalf("the import job still running after %s", limit)
		return Report{}, nil
	}
}

// TestDropFolderLinks pins that the scheduled import, like `import dir`,
// cannot be made to write outside the drop folder, nor to mail or hash
// what a planted link points to.
func TestDropFolderLinks(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		t.Run("a link planted as a failed file's reason is not written through", func(t *testing.T) {
			e := newEnv(t, at(time.October, 1, 6))
			sch := e.newScheduler(t, s, time.Millisecond, 10*time.Millisecond)
			precious := filepath.Join(filepath.Dir(e.drop), "precious.txt")
			if err := os.WriteFile(precious, []byte("the trust's own data\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Join(e.drop, "failed"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("../../precious.txt", filepath.Join(e.drop, "failed", "bad.csv.error.txt")); err != nil {
				t.Fatal(err)
			}
			e.write(t, "bad.csv", "not an extract\n")
			_, _ = importDropWithin(t, sch, e.ft.Now(), 20*time.Second)
			if b, _ := os.ReadFile(precious); string(b) != "the trust's own data\n" {
				t.Fatalf("the file outside the drop folder was overwritten with %q", b)
			}
			if got := e.mail.of(importFailureKind); len(got) != 1 || !strings.Contains(got[0].Text, "bad.csv is neither") {
				t.Errorf("failure emails %+v, want one saying why bad.csv failed", got)
			}
		})
		t.Run("a file name cannot add lines to the failure email", func(t *testing.T) {
			const forged = "Please reply with your NHS password to confirm"
			e := newEnv(t, at(time.October, 1, 6))
			sch := e.newScheduler(t, s, time.Millisecond, 10*time.Millisecond)
			e.write(t, "bad\x1b]0;pwned\x07\n\n"+forged+".csv", "not an extract\n")
			_, _ = importDropWithin(t, sch, e.ft.Now(), 20*time.Second)
			got := e.mail.of(importFailureKind)
			if len(got) != 1 {
				t.Fatalf("failure emails %+v, want one", got)
			}
			if strings.ContainsAny(got[0].Text+got[0].Subject, "\x1b\x07") {
				t.Errorf("an escape sequence in the email:\n%q", got[0].Text)
			}
			for _, line := range strings.Split(strings.ReplaceAll(got[0].Text, "\r", "\n"), "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), forged) {
					t.Errorf("a forged line in the email:\n%s", got[0].Text)
				}
			}
		})
		t.Run("failed/ being a link is refused", func(t *testing.T) {
			e := newEnv(t, at(time.October, 1, 6))
			sch := e.newScheduler(t, s, time.Millisecond, 10*time.Millisecond)
			elsewhere := filepath.Join(filepath.Dir(e.drop), "elsewhere")
			if err := os.Mkdir(elsewhere, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("../elsewhere", filepath.Join(e.drop, "failed")); err != nil {
				t.Fatal(err)
			}
			e.write(t, "bad.csv", "not an extract\n")
			if _, err := importDropWithin(t, sch, e.ft.Now(), 20*time.Second); err == nil || !strings.Contains(err.Error(), "symbolic link") {
				t.Errorf("run with failed/ a link: %v, want it refused", err)
			}
			if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
				t.Errorf("%d files written through the link", len(entries))
			}
		})
		t.Run("a reason linked to the environment is not mailed", func(t *testing.T) {
			environ, err := os.ReadFile("/proc/self/environ")
			if err != nil {
				t.Skip("no /proc/self/environ here")
			}
			first, _, _ := strings.Cut(string(environ), "\x00")
			e := newEnv(t, at(time.October, 1, 6))
			sch := e.newScheduler(t, s, time.Millisecond, 10*time.Millisecond)
			failed := filepath.Join(e.drop, "failed")
			if err := os.MkdirAll(failed, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(failed, "bait.csv"), []byte("bait\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("/proc/self/environ", filepath.Join(failed, "bait.csv.error.txt")); err != nil {
				t.Fatal(err)
			}
			_, _ = importDropWithin(t, sch, e.ft.Now(), 20*time.Second)
			for _, m := range e.mail.all() {
				if strings.Contains(m.Text, first) {
					t.Fatalf("the service's environment was mailed to %s:\n%s", m.To, m.Text)
				}
			}
		})
		t.Run("a failed file linked to /dev/zero does not hold the job", func(t *testing.T) {
			e := newEnv(t, at(time.October, 1, 6))
			sch := e.newScheduler(t, s, time.Millisecond, 10*time.Millisecond)
			failed := filepath.Join(e.drop, "failed")
			if err := os.MkdirAll(failed, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("/dev/zero", filepath.Join(failed, "zero.csv")); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(failed, "zero.csv.error.txt"), []byte("zero.csv is not an extract\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			// and a reason that is a link to /dev/zero: read whole, it
			// would fill memory.
			if err := os.WriteFile(filepath.Join(failed, "endless.csv"), []byte("endless\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("/dev/zero", filepath.Join(failed, "endless.csv.error.txt")); err != nil {
				t.Fatal(err)
			}
			e.write(t, "staff_2026-09-30.csv", staffCSV(time.September))
			rep, err := importDropWithin(t, sch, e.ft.Now(), 20*time.Second)
			if err != nil || !strings.Contains(rep.Summary, "1 staff extract imported") {
				t.Errorf("run beside a link to /dev/zero: %q, %v", rep.Summary, err)
			}
		})
	})
}
