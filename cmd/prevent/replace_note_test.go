package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStaffReplaceNote pins the note a staff import gives when it replaces
// the snapshot held for its effective date: two extracts with no date in
// their names imported the same day would otherwise leave only the second,
// silently.
func TestStaffReplaceNote(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	a := write("medicine.csv", "Employee Number,Full Name,Organisation,Staff Group\n1,A,Medicine,Estates and Ancillary\n2,B,Medicine,Estates and Ancillary\n")
	b := write("surgery.csv", "Employee Number,Full Name,Organisation,Staff Group\n3,C,Surgery,Estates and Ancillary\n")
	r := prevent(t, dir, db, "import", "staff", a, b, "--effective", "2026-11-30")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := "prevent: note: surgery.csv replaces the staff snapshot effective 2026-11-30 imported from medicine.csv (2 assignments): one staff extract is held for each effective date\n"
	if r.stderr != want {
		t.Errorf("stderr\n got: %q\nwant: %q", r.stderr, want)
	}
	if strings.Count(r.stdout, "staff snapshot effective 2026-11-30") != 2 {
		t.Errorf("stdout: %s", r.stdout)
	}
	// A snapshot for another date replaces nothing and says nothing.
	c := write("all.csv", "Employee Number,Full Name,Organisation,Staff Group\n1,A,Medicine,Estates and Ancillary\n")
	if r := prevent(t, dir, db, "import", "staff", c, "--effective", "2026-12-31"); r.code != 0 || r.stderr != "" {
		t.Errorf("exit %d, stderr %q; want 0 and nothing", r.code, r.stderr)
	}
}
