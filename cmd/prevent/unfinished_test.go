package main

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/returns"
)

// A return for a quarter that has not ended says so on stderr, and its
// output is what it would be without the note; a past quarter's has none.
func TestReturnForUnfinishedQuarterSaysSo(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", e2eConfig)
	for _, args := range [][]string{
		{"import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", e2eStaff)},
		{"import", "completions", write(t, dir, "lms.csv", e2eCompletions)},
	} {
		if r := prevent(t, dir, db, args...); r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
	}
	current := returns.QuarterOf(time.Now())
	for _, tc := range []struct {
		quarter returns.Quarter
		note    bool
	}{
		{current, true},
		{current.Next(), true},
		{current.Prev(), false},
	} {
		for _, section := range []string{"training", "referrals"} {
			r := prevent(t, dir, db, "return", "--quarter", tc.quarter.String(), "--format", "csv", "--section", section)
			if r.code != 0 {
				t.Fatalf("%s %s: exit %d: %s", tc.quarter, section, r.code, r.stderr)
			}
			want := "prevent: note: " + tc.quarter.String() + " has not ended (its last day is " + tc.quarter.End().Format(time.DateOnly) + ")"
			if got := strings.Contains(r.stderr, want); got != tc.note {
				t.Errorf("%s %s: note on stderr %v, want %v:\n%s", tc.quarter, section, got, tc.note, r.stderr)
			}
			if !strings.HasPrefix(r.stdout, "quarter,provider_code,") || !strings.Contains(r.stdout, "\n"+tc.quarter.String()+",") {
				t.Errorf("%s %s: stdout is not the return:\n%s", tc.quarter, section, r.stdout)
			}
		}
	}
}
