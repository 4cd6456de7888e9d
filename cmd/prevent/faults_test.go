package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// These tests break the world under an import: the database server drops
// the connection, another process holds the SQLite file's write lock, the
// disk fills up. Each time the import must fail with exit 1 and one clear
// line, leave the database exactly as it was, and a retry must complete it.

// contents counts the rows an import writes, table by table.
func contents(t *testing.T, db string) string {
	t.Helper()
	s, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatalf("the database no longer opens: %v", err)
	}
	defer s.Close()
	var parts []string
	for _, table := range []string{"imports", "snapshots", "assignments", "completions", "row_errors"} {
		var n int
		if err := s.DB().Get(&n, `SELECT count(*) FROM `+table); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		parts = append(parts, fmt.Sprintf("%s=%d", table, n))
	}
	return strings.Join(parts, " ")
}

// oneLineError checks that a failed run printed its error as one line
// saying what the test expects, with no stack trace.
func oneLineError(t *testing.T, r run, want ...string) {
	t.Helper()
	if r.code != 1 {
		t.Errorf("exit %d, want 1\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	last := lines[len(lines)-1]
	if len(lines) > 1 {
		t.Errorf("the error takes %d lines, want one:\n%s", len(lines), r.stderr)
	}
	for _, w := range want {
		if !strings.Contains(last, w) {
			t.Errorf("the error does not say %q:\n%s", w, last)
		}
	}
}

// setParam sets a query parameter of a URL DSN.
func setParam(t *testing.T, dsn, key, value string) string {
	t.Helper()
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// TestImportPostgresGoesAway drops the import's connection in the middle of
// its transaction, as a server restart or a network failure would: the
// import fails, nothing of it is kept, and running it again imports it.
func TestImportPostgresGoesAway(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	base := storetest.PostgresDSN(t)
	// Our connections alone carry this name, so only they are cut off.
	app := fmt.Sprintf("prevent-fault-%d-%d", os.Getpid(), time.Now().UnixNano())
	db := setParam(t, base, "application_name", app)
	write(t, dir, "prevent.yaml", e2eConfig)
	big := filepath.Join(dir, "lms_big.csv")
	writeBigCompletions(t, big, 60_000)

	// Migrate and record the config first, so that the only transaction
	// that writes during the run below is the import's.
	if r := prevent(t, dir, db, "import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", e2eStaff)); r.code != 0 {
		t.Fatalf("import staff: exit %d: %s", r.code, r.stderr)
	}
	before := contents(t, db)

	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()

	cmd := exec.Command(binary, "--db", db, "import", "completions", big)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PREVENT_CONFIG=", "PREVENT_DB=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	// Wait until the import's transaction has been writing for a moment,
	// then end every connection of ours from the server side.
	terminated := 0
	deadline := time.Now().Add(30 * time.Second)
wait:
	for {
		select {
		case <-exited:
			t.Fatalf("the import finished before its connection could be cut (the file is too small?)\n%s%s", stdout.String(), stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			t.Fatal("the import never started writing")
		}
		var writing int
		err := admin.QueryRow(`SELECT count(*) FROM pg_stat_activity
			WHERE application_name = $1 AND backend_xid IS NOT NULL
			AND xact_start < now() - interval '200 milliseconds'`, app).Scan(&writing)
		if err != nil {
			t.Fatal(err)
		}
		if writing > 0 {
			if err := admin.QueryRow(`SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity
				WHERE application_name = $1) AS t`, app).Scan(&terminated); err != nil {
				t.Fatal(err)
			}
			break wait
		}
		time.Sleep(2 * time.Millisecond)
	}
	var r run
	select {
	case err := <-exited:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			r.code = ee.ExitCode()
		}
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		t.Fatal("the import hung after its connection was cut")
	}
	r.stdout, r.stderr = stdout.String(), stderr.String()
	t.Logf("cut %d connections; the import said: %s", terminated, strings.TrimSpace(r.stderr))

	t.Run("the import fails with exit 1 and one line naming the file", func(t *testing.T) {
		oneLineError(t, r, "lms_big.csv")
		if strings.Contains(r.stderr, "panic") || strings.Contains(r.stderr, "goroutine ") {
			t.Errorf("a stack trace:\n%s", r.stderr)
		}
	})
	t.Run("nothing of it is kept", func(t *testing.T) {
		if got := contents(t, db); got != before {
			t.Errorf("the database changed:\nbefore %s\nafter  %s", before, got)
		}
	})
	t.Run("a retry imports it whole", func(t *testing.T) {
		r := prevent(t, dir, db, "import", "completions", big)
		if r.code != 0 || !strings.Contains(r.stdout, "60000 rows read") {
			t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
		if imports, completions := held(t, db); imports != 2 || completions == 0 {
			t.Errorf("%d imports and %d completions after the retry", imports, completions)
		}
	})
}

// feedFIFO makes path a named pipe and hands content to each reader that
// opens it, calling opened first with the reader's number (1, 2, ...). A
// process reading the pipe is thereby held at that point until opened
// returns. stop ends the feeding.
func feedFIFO(t *testing.T, path string, content []byte, opened func(n int)) (stop func()) {
	t.Helper()
	if err := syscall.Mkfifo(path, 0o600); err != nil {
		t.Skipf("cannot make a named pipe here: %v", err)
	}
	quit := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for n := 1; ; n++ {
			f, err := os.OpenFile(path, os.O_WRONLY, 0) // waits for a reader
			select {
			case <-quit:
				if err == nil {
					f.Close()
				}
				return
			default:
			}
			if err != nil {
				t.Errorf("open %s: %v", path, err)
				return
			}
			opened(n)
			_, _ = f.Write(content) // a reader that gives up early is not our failure
			f.Close()
		}
	}()
	return func() {
		close(quit)
		// Unblock the writer's open, if it is waiting, with a reader of our own.
		if r, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
			<-done
			r.Close()
		} else {
			<-done
		}
	}
}

// TestImportSQLiteLocked holds the SQLite file's write lock from another
// process while an import wants it. The import waits for the busy timeout
// (10s), then fails with exit 1 saying the database is locked, having
// changed nothing; once the lock is released the same import goes through.
func TestImportSQLiteLocked(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for SQLite's 10s busy timeout")
	}
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "prevent.db")
	db := "sqlite:" + path
	write(t, dir, "prevent.yaml", e2eConfig)
	if r := prevent(t, dir, db, "import", "completions", write(t, dir, "lms.csv", e2eCompletions)); r.code != 0 {
		t.Fatalf("import completions: exit %d: %s", r.code, r.stderr)
	}
	before := contents(t, db)

	locker, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer locker.Close()
	conn, err := locker.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()

	// The import reads its file (to hash it) only once the database is
	// open: a named pipe holds it there while the test takes the lock, so
	// that it meets the lock when it begins its transaction. (A lock held
	// from the start would first meet the store's open, which retries.)
	staff := filepath.Join(dir, "esr_staff_2026-09-30.csv")
	locked := make(chan struct{})
	stop := feedFIFO(t, staff, []byte(e2eStaff), func(n int) {
		if n == 1 {
			if _, err := conn.ExecContext(context.Background(), "BEGIN EXCLUSIVE"); err != nil {
				t.Errorf("take the write lock: %v", err)
			}
			close(locked)
		}
	})
	start := time.Now()
	r := prevent(t, dir, db, "import", "staff", staff)
	took := time.Since(start)
	stop()
	<-locked
	if _, err := conn.ExecContext(context.Background(), "ROLLBACK"); err != nil {
		t.Fatal(err)
	}
	t.Logf("the import gave up after %v: %s", took.Round(100*time.Millisecond), strings.TrimSpace(r.stderr))

	t.Run("the import fails with exit 1 saying the database is locked", func(t *testing.T) {
		oneLineError(t, r, "database is locked")
		if took > 30*time.Second {
			t.Errorf("it took %v to give up", took)
		}
	})
	t.Run("nothing was imported", func(t *testing.T) {
		if got := contents(t, db); got != before {
			t.Errorf("the database changed:\nbefore %s\nafter  %s", before, got)
		}
	})
	t.Run("after the lock is released a retry imports the file", func(t *testing.T) {
		if err := os.Remove(staff); err != nil {
			t.Fatal(err)
		}
		r := prevent(t, dir, db, "import", "staff", write(t, dir, filepath.Base(staff), e2eStaff))
		if r.code != 0 || !strings.Contains(r.stdout, "6 assignments imported") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}

// TestImportDiskFull puts the SQLite database on a 2 MB file system and
// imports more than fits: the import fails with exit 1 saying the disk is
// full, and the database still opens holding exactly what it held. With
// room made, the same import goes through.
func TestImportDiskFull(t *testing.T) {
	mnt := filepath.Join(t.TempDir(), "small")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	// Mounting needs root (CAP_SYS_ADMIN): an environment capability, so
	// its absence skips the test, under CI too.
	if err := syscall.Mount("tmpfs", mnt, "tmpfs", 0, "size=2m,mode=0700"); err != nil {
		t.Skipf("cannot mount a small tmpfs to fill (needs root with CAP_SYS_ADMIN): %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(mnt, 0); err != nil {
			_ = syscall.Unmount(mnt, syscall.MNT_DETACH)
		}
	})
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(mnt, "prevent.db")
	write(t, dir, "prevent.yaml", e2eConfig)
	if r := prevent(t, dir, db, "import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", e2eStaff)); r.code != 0 {
		t.Fatalf("import staff: exit %d: %s", r.code, r.stderr)
	}
	before := contents(t, db)
	status := prevent(t, dir, db, "status", "--as-of", "2026-09-30", "--format", "csv")

	big := filepath.Join(dir, "lms_big.csv")
	writeBigCompletions(t, big, 60_000)
	r := prevent(t, dir, db, "import", "completions", big)
	t.Logf("the import said: %s", strings.TrimSpace(r.stderr))

	t.Run("the import fails with exit 1 saying the disk is full", func(t *testing.T) {
		oneLineError(t, r, "lms_big.csv", "full")
	})
	t.Run("the database opens and holds what it held", func(t *testing.T) {
		if got := contents(t, db); got != before {
			t.Errorf("the database changed:\nbefore %s\nafter  %s", before, got)
		}
		if after := prevent(t, dir, db, "status", "--as-of", "2026-09-30", "--format", "csv"); after.code != 0 || after.stdout != status.stdout {
			t.Errorf("status changed: exit %d\nbefore\n%s\nafter\n%s%s", after.code, status.stdout, after.stdout, after.stderr)
		}
	})
	t.Run("with room made a retry imports it", func(t *testing.T) {
		if err := syscall.Mount("tmpfs", mnt, "tmpfs", syscall.MS_REMOUNT, "size=64m,mode=0700"); err != nil {
			t.Skipf("cannot grow the tmpfs: %v", err)
		}
		r := prevent(t, dir, db, "import", "completions", big)
		if r.code != 0 || !strings.Contains(r.stdout, "60000 rows read") {
			t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
		}
	})
}
