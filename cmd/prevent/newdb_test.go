package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// A report from a database that did not exist (a mistyped --db) says the
// database is new, not only that it holds no staff extract; a second run,
// on the database now there, says only the latter.
func TestNewDatabaseSaysSo(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "typo", "prevnet.db")
	const note = "is a new, empty database that this command has just created: check --db or PREVENT_DB"
	r := prevent(t, dir, db, "summary")
	if r.code != 1 || !strings.Contains(r.stderr, "no staff snapshot") || !strings.Contains(r.stderr, note) {
		t.Fatalf("first run: exit %d: %s", r.code, r.stderr)
	}
	r = prevent(t, dir, db, "status", "--as-of", "2026-09-30")
	if r.code != 1 || !strings.Contains(r.stderr, "no staff snapshot") || strings.Contains(r.stderr, note) {
		t.Fatalf("second run: exit %d: %s", r.code, r.stderr)
	}
}
