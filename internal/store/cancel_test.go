package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// TestImportCancelled pins what `prevent serve` relies on at shutdown: an
// import whose context ends part way (SIGTERM) stops, rolls back promptly,
// and keeps nothing. On PostgreSQL it could hang, database/sql rolling the
// transaction back under a COPY still open (a race this test may not hit;
// TestServeStoppedMidImport in cmd/prevent does).
func TestImportCancelled(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		tx, err := s.BeginCompletionImport(ctx, store.Import{FileName: "lms.csv", SHA256: hashOf("cancelled")})
		if err != nil {
			t.Fatal(err)
		}
		for i := range 5000 {
			if _, err := tx.Add(byEmp(fmt.Sprintf("%08d", i), "Prevent Awareness", date(2025, 1, 1)), i+2); err != nil {
				t.Fatal(err)
			}
		}
		cancel()
		time.Sleep(50 * time.Millisecond) // let database/sql see the context end
		if _, err := tx.Add(byEmp("99999999", "Prevent Awareness", date(2025, 1, 1)), 5002); err == nil {
			t.Error("a row was added after the context ended")
		}
		done := make(chan error, 1)
		go func() { done <- tx.Rollback() }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("rollback: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the rollback of a cancelled import hangs")
		}
		assertEmpty(t, s, "imports", "completions")
	})
}
