package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A trust that keeps prevent.db in the folder it drops extracts into, and
// runs `import dir .` there, keeps its database: the database's own files
// are skipped, said so on stderr, and the next command finds what was
// imported. (They used to be moved to failed/ with the extracts that are
// not extracts, leaving the next command an empty database.)
func TestImportDirLeavesTheDatabaseInTheFolder(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, "esr_staff_2026-09-30.csv", "Employee Number,Full Name,Organisation,Staff Group\n1,A,Medicine,Estates and Ancillary\n2,B,Medicine,Estates and Ancillary\n")
	db := "sqlite:prevent.db"
	if r := prevent(t, dir, db, "migrate"); r.code != 0 {
		t.Fatalf("migrate: exit %d: %s", r.code, r.stderr)
	}
	r := prevent(t, dir, db, "import", "dir", ".")
	if r.code != 0 {
		t.Fatalf("import dir: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "prevent.db skipped: it is the database prevent is using") {
		t.Errorf("stderr does not say the database was left alone:\n%s", r.stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, "prevent.db")); err != nil {
		t.Fatalf("the database was moved: %v", err)
	}
	for _, sub := range []string{"processed", "failed"} {
		moved, _ := filepath.Glob(filepath.Join(dir, sub, "prevent.db*"))
		if len(moved) > 0 {
			t.Errorf("database files moved to %s: %v", sub, moved)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "processed", "esr_staff_2026-09-30.csv")); err != nil {
		t.Errorf("the extract was not processed: %v", err)
	}
	s := prevent(t, dir, db, "status", "--as-of", "2026-09-30", "--format", "csv")
	if s.code != 0 || strings.Count(s.stdout, "\n") != 3 {
		t.Errorf("status after the import: exit %d, %q, %s", s.code, s.stdout, s.stderr)
	}
}
