package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// serveProc is a `prevent serve` running in the background.
type serveProc struct {
	cmd  *exec.Cmd
	mu   sync.Mutex
	logs []string // its standard error, line by line
	done chan struct{}
	code int
}

// startServe starts `prevent serve` in dir on db.
func startServe(t *testing.T, dir, db string, args ...string) *serveProc {
	t.Helper()
	return startServeEnv(t, dir, db, nil, args...)
}

// startServeEnv is startServe with extra environment variables (NAME=value).
func startServeEnv(t *testing.T, dir, db string, env []string, args ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(binary, append([]string{"serve", "--db", db, "--settle", "100ms", "--http", "off"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "PREVENT_CONFIG=", "PREVENT_DB="), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProc{cmd: cmd, done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.mu.Lock()
			p.logs = append(p.logs, sc.Text())
			p.mu.Unlock()
		}
		err := cmd.Wait()
		p.code = cmd.ProcessState.ExitCode()
		if err != nil && p.code == 0 {
			p.code = -1
		}
		close(p.done)
	}()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill()
			<-p.done
		}
		if t.Failed() {
			t.Logf("prevent serve (pid %d) logged:\n%s", cmd.Process.Pid, p.log())
		}
	})
	return p
}

func (p *serveProc) log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.logs, "\n")
}

// find returns the first line holding every part, if any.
func (p *serveProc) find(parts ...string) (string, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
next:
	for _, l := range p.logs {
		for _, part := range parts {
			if !strings.Contains(l, part) {
				continue next
			}
		}
		return l, true
	}
	return "", false
}

// waitFor waits for a log line holding every part.
func (p *serveProc) waitFor(t *testing.T, parts ...string) string {
	t.Helper()
	deadline := time.After(60 * time.Second)
	for {
		if l, ok := p.find(parts...); ok {
			return l
		}
		select {
		case <-p.done:
			if l, ok := p.find(parts...); ok {
				return l
			}
			t.Fatalf("prevent serve exited (%d) without logging %q", p.code, parts)
		case <-deadline:
			t.Fatalf("prevent serve did not log %q within a minute", parts)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// stop signals the process and returns its exit code.
func (p *serveProc) stop(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatalf("prevent serve did not stop within 30s of %s", sig)
	}
	return p.code
}

// serveDatabases are the databases the serve tests run on: a new SQLite
// file, and a new PostgreSQL schema.
var serveDatabases = []struct {
	name string
	dsn  func(t *testing.T, dir string) string
}{
	{"sqlite", func(t *testing.T, dir string) string { return "sqlite:" + filepath.Join(dir, "prevent.db") }},
	{"postgres", func(t *testing.T, dir string) string { return storetest.PostgresDSN(t) }},
}

// writeCompletionsExtract writes an LMS export of n different completions.
func writeCompletionsExtract(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "Employee Number,Course Name,Completion Date")
	for i := range n {
		fmt.Fprintf(w, "%08d,Preventing Radicalisation - Basic Prevent Awareness,%02d/%02d/20%02d\n", 20000000+i, 1+i%28, 1+i%12, 20+i%6)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// held counts what the database holds of the import.
func held(t *testing.T, db string) (imports, completions int) {
	t.Helper()
	s, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.DB().Get(&imports, `SELECT count(*) FROM imports`); err != nil {
		t.Fatal(err)
	}
	if err := s.DB().Get(&completions, `SELECT count(*) FROM completions`); err != nil {
		t.Fatal(err)
	}
	return imports, completions
}

// TestServeStoppedMidImport stops `prevent serve` in the middle of a large
// import, first with SIGTERM and then with SIGKILL: neither leaves part of
// the file imported or moves it, and the next start imports it whole.
func TestServeStoppedMidImport(t *testing.T) {
	const rows = 200_000 // about 14 MB: long enough to stop it half way
	for _, tc := range serveDatabases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			db := tc.dsn(t, dir)
			write(t, dir, "prevent.yaml", "schedule:\n  import_dir: drop\n")
			extract := filepath.Join(dir, "drop", "LMS completions 2026-11-01.csv")
			if err := os.Mkdir(filepath.Dir(extract), 0o700); err != nil {
				t.Fatal(err)
			}
			writeCompletionsExtract(t, extract, rows)

			nothingImported := func(t *testing.T) {
				t.Helper()
				if imports, completions := held(t, db); imports != 0 || completions != 0 {
					t.Errorf("the database holds %d imports and %d completions, want none", imports, completions)
				}
				if _, err := os.Stat(extract); err != nil {
					t.Errorf("the extract left the drop folder: %v", err)
				}
			}

			t.Run("SIGTERM mid-import rolls it back, records the run interrupted and exits 0", func(t *testing.T) {
				p := startServe(t, dir, db)
				p.waitFor(t, `msg="import progress"`)
				if code := p.stop(t, syscall.SIGTERM); code != 0 {
					t.Errorf("exit code %d, want 0", code)
				}
				p.waitFor(t, `msg="job finished"`, "job=import", "outcome=interrupted")
				nothingImported(t)
				jobs := prevent(t, dir, db, "jobs", "--job", "import")
				if !strings.Contains(jobs.stdout, "interrupted") {
					t.Errorf("prevent jobs does not show the run interrupted:\n%s%s", jobs.stdout, jobs.stderr)
				}
			})
			t.Run("SIGKILL mid-import leaves nothing of it", func(t *testing.T) {
				p := startServe(t, dir, db)
				p.waitFor(t, `msg="import progress"`)
				p.stop(t, syscall.SIGKILL)
				nothingImported(t)
			})
			t.Run("the next start imports the file whole, once", func(t *testing.T) {
				p := startServe(t, dir, db)
				p.waitFor(t, `msg="runs left unfinished by a process that stopped are marked interrupted and will run again"`, "runs=1")
				p.waitFor(t, `msg="file imported"`, fmt.Sprintf("new=%d", rows))
				p.waitFor(t, `msg="job finished"`, "job=import", "outcome=ok")
				if code := p.stop(t, syscall.SIGTERM); code != 0 {
					t.Errorf("exit code %d, want 0", code)
				}
				if imports, completions := held(t, db); imports != 1 || completions != rows {
					t.Errorf("the database holds %d imports and %d completions, want 1 and %d", imports, completions, rows)
				}
				if _, err := os.Stat(filepath.Join(dir, "drop", "processed", filepath.Base(extract))); err != nil {
					t.Errorf("the extract was not filed in processed/: %v", err)
				}
				jobs := prevent(t, dir, db, "jobs", "--job", "import")
				lines := strings.Split(strings.TrimSpace(jobs.stdout), "\n")
				if len(lines) != 4 || !strings.Contains(lines[1], " ok ") ||
					!strings.Contains(lines[2], "interrupted") || !strings.Contains(lines[3], "interrupted") {
					t.Errorf("prevent jobs, newest first, want ok then two interrupted runs:\n%s", jobs.stdout)
				}
			})
		})
	}
}

// TestServeTwoProcesses starts two `prevent serve` on one database: one is
// active, the other stands by naming it, and the return goes once.
func TestServeTwoProcesses(t *testing.T) {
	for _, tc := range serveDatabases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			db := tc.dsn(t, dir)
			write(t, dir, "prevent.yaml", e2eConfig)
			write(t, dir, "staff.csv", e2eStaff)
			if r := prevent(t, dir, db, "import", "staff", "staff.csv", "--effective", "2020-01-01"); r.code != 0 {
				t.Fatalf("import staff: %s", r.stderr)
			}
			a, b := startServe(t, dir, db), startServe(t, dir, db)

			// Whichever wins the lock is active; the other stands by.
			var active, standby *serveProc
			for deadline := time.Now().Add(time.Minute); active == nil; time.Sleep(5 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatal("neither process became active")
				}
				switch {
				case hasLine(a, `msg="scheduler active"`):
					active, standby = a, b
				case hasLine(b, `msg="scheduler active"`):
					active, standby = b, a
				}
			}
			activeLine := active.waitFor(t, `msg="scheduler active"`)
			process := activeLine[strings.Index(activeLine, "process="):]
			process = process[:strings.Index(process, " database=")]
			t.Run("the standby names the active process", func(t *testing.T) {
				line := standby.waitFor(t, "standing by")
				if !strings.Contains(line, strings.Replace(process, "process=", "active=", 1)) {
					t.Errorf("standby logged %q; the active one is %s", line, process)
				}
			})
			active.waitFor(t, `msg="job finished"`, "job=return")
			for _, p := range []*serveProc{a, b} {
				if code := p.stop(t, syscall.SIGTERM); code != 0 {
					t.Errorf("exit code %d, want 0", code)
				}
			}
			t.Run("the return is sent once to each recipient, by the active process alone", func(t *testing.T) {
				today := time.Now()
				want := 0
				if !today.Before(returns.WindowOpens(returns.LastCompleted(today))) {
					want = 2 // e2eConfig has two recipients
				}
				emails, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
				if len(emails) != want {
					t.Errorf("%d emails in the outbox, want %d: %v", len(emails), want, emails)
				}
				if _, ok := standby.find(`msg="job finished"`); ok {
					t.Error("the standby ran a job")
				}
			})
		})
	}
}

func hasLine(p *serveProc, part string) bool {
	_, ok := p.find(part)
	return ok
}

// TestServeDashboard: --http serves the dashboard beside the scheduler and
// stops with it.
func TestServeDashboard(t *testing.T) {
	dir := t.TempDir()
	p := startServe(t, dir, "sqlite:"+filepath.Join(dir, "prevent.db"), "--http", "127.0.0.1:0")
	line := p.waitFor(t, `msg="dashboard listening"`)
	url := line[strings.Index(line, "url=")+len("url="):]
	resp, err := http.Get(strings.Fields(url)[0])
	if err != nil {
		t.Fatalf("the dashboard does not answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		t.Errorf("GET %s: %s", url, resp.Status)
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Errorf("exit code %d, want 0", code)
	}
}

func TestServeUsage(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string
	}{
		{"a dashboard beyond this machine needs sign-in", []string{"serve", "--http", "0.0.0.0:0"}, 2, "without authentication"},
		{"--settle must be positive", []string{"serve", "--settle", "0s"}, 2, "--settle"},
		{"serve takes no arguments", []string{"serve", "drop"}, 2, "no arguments"},
		{"jobs names a known job", []string{"jobs", "--job", "backup"}, 2, "--job"},
		{"jobs before any run says so", []string{"jobs"}, 0, "no job runs yet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := prevent(t, dir, db, tc.args...)
			if r.code != tc.code || !strings.Contains(r.stdout+r.stderr, tc.want) {
				t.Errorf("prevent %v: exit %d, want %d with %q\n%s%s", tc.args, r.code, tc.code, tc.want, r.stdout, r.stderr)
			}
		})
	}
}
