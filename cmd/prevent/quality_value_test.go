package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestQualityRejectedRowsNameTheValue: `quality` lists a rejected row with
// the cell's value before its reason, as the import said it.
func TestQualityRejectedRowsNameTheValue(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	prevent(t, dir, db, "import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", "Employee Number,Staff Group\n1,Medical and Dental\n"))
	prevent(t, dir, db, "import", "completions", write(t, dir, "lms.csv", "Employee Number,Course Name,Completion Date\n1,Prevent Awareness,31/02/2024\n"))
	r := prevent(t, dir, db, "quality")
	if want := `lms.csv row 2, column "Completion Date": "31/02/2024" is not a date`; !strings.Contains(r.stdout, want) {
		t.Errorf("quality lacks %q:\n%s", want, r.stdout)
	}
}
