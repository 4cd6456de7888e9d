package store_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/nhs-prevent/prevent/internal/store"
)

func TestNewSQLiteFileIsOwnerOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prevent.db")
	s, err := store.Open(ctx, "sqlite:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("a new database file has mode %o, want 600 (it holds staff records)", perm)
	}
}
