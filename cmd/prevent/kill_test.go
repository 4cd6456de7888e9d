package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// writeBigCompletions writes an LMS-style CSV of n distinct completions.
func writeBigCompletions(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "Employee Number,Course Name,Completion Date")
	for i := 0; i < n; i++ {
		fmt.Fprintf(w, "%08d,Preventing Radicalisation - Basic Prevent Awareness,%02d/%02d/%d\n", 10000000+i%50000, 1+i%28, 1+(i/28)%12, 2015+i/(28*12*50)%10)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}

// TestKilledImportLeavesAllOrNothing kills the binary at many points during
// an import and checks that the file is then either wholly imported or not
// at all, and that running the import again completes it.
func TestKilledImportLeavesAllOrNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a process many times")
	}
	const rows = 60000
	dbs := map[string]func(t *testing.T, dir string) string{
		"sqlite":   func(t *testing.T, dir string) string { return "sqlite:" + filepath.Join(dir, "prevent.db") },
		"postgres": func(t *testing.T, dir string) string { return storetest.PostgresDSN(t) },
	}
	for name, dsnFor := range dbs {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			db := dsnFor(t, dir)
			big := filepath.Join(dir, "lms_big.csv")
			writeBigCompletions(t, big, rows)

			check := func(t *testing.T) (imported bool) {
				t.Helper()
				s, err := store.Open(context.Background(), db)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				imps, err := s.Imports(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				all, err := s.CompletionsAsOf(context.Background(), compliance.Date(2100, 1, 1))
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case len(imps) == 0 && len(all) == 0:
					return false
				case len(imps) == 1 && len(all) == imps[0].RowsImported && imps[0].RowsImported > 0:
					return true
				}
				t.Fatalf("half an import: %d import records, %d completions", len(imps), len(all))
				return false
			}

			// Time one whole import into a scratch database, then kill at
			// moments spread over that time: before the database opens,
			// while rows stream in, around the commit.
			start := time.Now()
			if r := prevent(t, dir, dsnFor(t, t.TempDir()), "import", "completions", big); r.code != 0 {
				t.Fatalf("timing run: exit %d: %s", r.code, r.stderr)
			}
			took := time.Since(start)
			var delays []time.Duration
			for k := 0; k <= 12; k++ {
				delays = append(delays, took*time.Duration(k)/10)
			}
			done, killed := false, 0
			for _, ms := range delays {
				if done {
					break
				}
				cmd := exec.Command(binary, "--db", db, "import", "completions", big)
				cmd.Dir = dir
				cmd.Env = append(os.Environ(), "PREVENT_CONFIG=", "PREVENT_DB=")
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				time.Sleep(ms)
				_ = cmd.Process.Signal(syscall.SIGKILL)
				_ = cmd.Wait()
				if done = check(t); !done {
					killed++
				}
			}
			t.Logf("an import took %v; %d kills left nothing imported before one let it finish", took, killed)
			if killed < 3 {
				t.Errorf("only %d kills landed before the import finished: the test is not exercising mid-import kills", killed)
			}
			// Whatever happened, running it again completes the import once.
			r := prevent(t, dir, db, "import", "completions", big)
			if r.code != 0 {
				t.Fatalf("re-run after kills: exit %d: %s", r.code, r.stderr)
			}
			if !check(t) {
				t.Fatal("the import did not complete on the re-run")
			}
		})
	}
}
