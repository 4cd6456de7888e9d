package scheduler

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// newScheduler makes a scheduler whose jobs the test calls directly.
func (e *env) newScheduler(t *testing.T, s *store.Store, settle, settleMax time.Duration) *Scheduler {
	t.Helper()
	sch, err := New(Options{Store: s, Config: e.cfg, Sender: e.mail, Clock: e.ft.view(), Holder: "test",
		Logger: discardLogger(), Settle: settle, SettleMax: settleMax})
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func TestDropFolder(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEnv(t, at(time.October, 1, 6))
		sch := e.newScheduler(t, s, 30*time.Millisecond, 60*time.Millisecond)

		t.Run("a file still being copied is left until it stops changing", func(t *testing.T) {
			path := filepath.Join(e.drop, "esr_staff_2026-09-30.csv")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			staff := staffCSV(time.September)
			var wg sync.WaitGroup
			wg.Add(1)
			stop := make(chan struct{})
			go func() { // a slow copy: a byte every few milliseconds
				defer wg.Done()
				defer f.Close()
				for i := range len(staff) {
					select {
					case <-stop:
						f.WriteString(staff[i:])
						return
					case <-time.After(3 * time.Millisecond):
						f.WriteString(staff[i : i+1])
					}
				}
			}()
			rep, err := sch.importDrop(ctx, e.ft.Now())
			close(stop)
			wg.Wait()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(rep.Summary, "1 still being copied") {
				t.Errorf("summary %q, want the file still being copied", rep.Summary)
			}
			if _, err := os.Stat(path); err != nil {
				t.Errorf("the file being copied was moved: %v", err)
			}
			if n := count(t, s, "snapshots"); n != 0 {
				t.Errorf("%d snapshots imported from a file still being copied", n)
			}

			rep, err = sch.importDrop(ctx, e.ft.Now())
			if err != nil || !strings.Contains(rep.Summary, "1 staff extract imported (8 assignments)") {
				t.Errorf("once copied: %q, %v", rep.Summary, err)
			}
		})
		t.Run("a failure email that could not be sent is sent by a later run, once", func(t *testing.T) {
			e.mail.setFailing(true)
			e.write(t, "notes.csv", "not an extract\n")
			if _, err := sch.importDrop(ctx, e.ft.Now()); err == nil || !strings.Contains(err.Error(), "retried on the next run") {
				t.Errorf("run with the mail server down: %v, want the failure email reported as failed", err)
			}
			e.mail.setFailing(false)
			e.ft.set(e.ft.Now().Add(time.Minute))
			if _, err := sch.importDrop(ctx, e.ft.Now()); err == nil {
				t.Error("the email was retried before its backoff ran out")
			}
			e.ft.set(e.ft.Now().Add(5 * time.Minute))
			for range 2 {
				if rep, err := sch.importDrop(ctx, e.ft.Now()); err != nil {
					t.Errorf("%q: %v", rep.Summary, err)
				}
			}
			if got := e.mail.of(importFailureKind); len(got) != 1 || got[0].To != workforce {
				t.Errorf("failure emails %+v, want one to the workforce team", got)
			}
		})
	})
}
