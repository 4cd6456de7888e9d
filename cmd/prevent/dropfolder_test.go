package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// preventWithin runs the binary like prevent, failing the test when it has
// not finished within limit (a drop folder must never make an import wait
// for ever).
func preventWithin(t *testing.T, limit time.Duration, dir, db string, args ...string) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"--db", db}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PREVENT_CONFIG=", "PREVENT_DB=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("prevent %v still running after %s (killed):\n%s%s", args, limit, out.String(), errb.String())
	}
	r := run{stdout: out.String(), stderr: errb.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

func mkdir(t *testing.T, dirs ...string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
}

func fileContent(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dropSetUp makes a trust's folder with a config, a database and an empty
// drop folder, and a file outside the drop folder that nothing may touch.
func dropSetUp(t *testing.T) (dir, db, drop, precious string) {
	t.Helper()
	dir = t.TempDir()
	db = "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", e2eConfig)
	drop = filepath.Join(dir, "drop")
	mkdir(t, drop)
	precious = write(t, dir, "precious.txt", "the trust's own data\n")
	return dir, db, drop, precious
}

// TestImportDirLinks pins that a drop folder, which whoever can write to
// it controls, cannot make `import dir` write or read outside it.
func TestImportDirLinks(t *testing.T) {
	t.Run("a link planted as a failed file's reason is not written through", func(t *testing.T) {
		dir, db, drop, precious := dropSetUp(t)
		mkdir(t, filepath.Join(drop, "failed"))
		symlink(t, "../../precious.txt", filepath.Join(drop, "failed", "bad.csv.error.txt"))
		symlink(t, "../../precious.txt", filepath.Join(drop, "failed", "bad2.csv"))
		write(t, drop, "bad.csv", "not an extract\n")
		write(t, drop, "bad2.csv", "not an extract either\n")
		r := preventWithin(t, 20*time.Second, dir, db, "import", "dir", "drop")
		if r.code != 1 {
			t.Errorf("exit %d, want 1 for the failed files:\n%s%s", r.code, r.stdout, r.stderr)
		}
		if got := fileContent(t, precious); got != "the trust's own data\n" {
			t.Fatalf("the file outside the drop folder was overwritten with %q", got)
		}
		reasons, _ := filepath.Glob(filepath.Join(drop, "failed", "bad*.error.txt"))
		found := false
		for _, p := range reasons {
			if st, err := os.Lstat(p); err == nil && st.Mode().IsRegular() && strings.Contains(fileContent(t, p), "bad.csv is neither a staff nor a completions extract") {
				found = true
			}
		}
		if !found {
			t.Errorf("no regular reason file for bad.csv in failed/: %v", reasons)
		}
	})
	t.Run("failed/ or processed/ being a link is refused, with nothing moved", func(t *testing.T) {
		for _, sub := range []string{"failed", "processed"} {
			dir, db, drop, _ := dropSetUp(t)
			elsewhere := filepath.Join(dir, "elsewhere")
			mkdir(t, elsewhere)
			symlink(t, "../elsewhere", filepath.Join(drop, sub))
			write(t, drop, "bad.csv", "not an extract\n")
			write(t, drop, "staff_2026-09-30.csv", e2eStaff)
			r := preventWithin(t, 20*time.Second, dir, db, "import", "dir", "drop")
			if r.code != 1 || !strings.Contains(r.stderr, sub) || !strings.Contains(r.stderr, "symbolic link") {
				t.Errorf("%s/ a link: exit %d, want 1 and a sentence naming the link:\n%s%s", sub, r.code, r.stdout, r.stderr)
			}
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n > 0 {
				t.Errorf("%s/ a link: want one sentence, got:\n%s", sub, r.stderr)
			}
			if entries, _ := os.ReadDir(elsewhere); len(entries) != 0 {
				t.Errorf("%s/ a link: %d files written through it", sub, len(entries))
			}
			for _, name := range []string{"bad.csv", "staff_2026-09-30.csv"} {
				if _, err := os.Lstat(filepath.Join(drop, name)); err != nil {
					t.Errorf("%s/ a link: %s was moved: %v", sub, name, err)
				}
			}
		}
	})
	t.Run("links, pipes and devices in the drop folder are skipped, saying so", func(t *testing.T) {
		dir, db, drop, _ := dropSetUp(t)
		outside := write(t, dir, "outside_staff_2026-09-30.csv", e2eStaff)
		symlink(t, outside, filepath.Join(drop, "linked_2026-09-30.csv"))
		symlink(t, "/dev/zero", filepath.Join(drop, "zero.csv"))
		if err := syscall.Mkfifo(filepath.Join(drop, "pipe.csv"), 0o600); err != nil {
			t.Fatal(err)
		}
		r := preventWithin(t, 20*time.Second, dir, db, "import", "dir", "drop")
		for _, name := range []string{"linked_2026-09-30.csv", "zero.csv", "pipe.csv"} {
			if !strings.Contains(r.stderr, name) {
				t.Errorf("nothing said on stderr about %s:\n%s", name, r.stderr)
			}
			if _, err := os.Lstat(filepath.Join(drop, name)); err != nil {
				t.Errorf("%s was moved: %v", name, err)
			}
		}
		if !strings.Contains(r.stderr, "symbolic link") {
			t.Errorf("stderr does not say why the link was skipped:\n%s", r.stderr)
		}
		if fileContent(t, outside) != e2eStaff {
			t.Error("the file the link points to was changed")
		}
		if st := prevent(t, dir, db, "status", "--format", "csv"); strings.Contains(st.stdout, "10000001") {
			t.Errorf("the staff extract outside the drop folder was imported through a link:\n%s", st.stdout)
		}
	})
}
