package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

func tryLock(t *testing.T, s *store.Store, holder string) (*store.Lock, string) {
	t.Helper()
	l, heldBy, err := s.TryLockScheduler(ctx, holder)
	if err != nil {
		t.Fatal(err)
	}
	if l != nil {
		t.Cleanup(func() { l.Release() })
	}
	return l, heldBy
}

func TestSchedulerLock(t *testing.T) {
	storetest.ForEachDSN(t, func(t *testing.T, dsn string) {
		a, b := storetest.Open(t, dsn), storetest.Open(t, dsn)

		t.Run("one store takes the lock, a second on the same database is refused and told who holds it", func(t *testing.T) {
			la, _ := tryLock(t, a, "pid 1 on alpha")
			if la == nil {
				t.Fatal("the first store did not get the lock")
			}
			lb, heldBy := tryLock(t, b, "pid 2 on beta")
			if lb != nil {
				t.Fatal("a second store got the lock while the first held it")
			}
			if heldBy != "pid 1 on alpha" {
				t.Errorf("held by %q, want the first store's holder", heldBy)
			}
			if err := la.Check(ctx); err != nil {
				t.Errorf("the held lock fails its check: %v", err)
			}
			if err := la.Release(); err != nil {
				t.Fatal(err)
			}
			if err := la.Release(); err != nil {
				t.Errorf("releasing twice: %v", err)
			}
			lb, _ = tryLock(t, b, "pid 2 on beta")
			if lb == nil {
				t.Fatal("the second store did not get the lock once the first released it")
			}
			lb.Release()
		})
		t.Run("the lock of another database is another lock", func(t *testing.T) {
			other := storetest.Open(t, storetest.SQLiteDSN(t))
			if a.Dialect() == store.Postgres {
				other = storetest.Open(t, storetest.PostgresDSN(t))
			}
			la, _ := tryLock(t, a, "a")
			lo, _ := tryLock(t, other, "other")
			if la == nil || lo == nil {
				t.Errorf("two databases' locks conflict: %v %v", la, lo)
			}
		})
	})
}

func TestSchedulerLockLost(t *testing.T) {
	dsn := storetest.PostgresDSN(t)
	a, b := storetest.Open(t, dsn), storetest.Open(t, dsn)
	t.Run("when the holder's session ends, the lock is lost and a standby takes it", func(t *testing.T) {
		la, _ := tryLock(t, a, "pid 1 on alpha")
		if la == nil {
			t.Fatal("no lock")
		}
		// End the holder's session from outside, as a server restart or a
		// dead network would.
		if _, err := b.DB().ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
			WHERE application_name = 'prevent serve pid 1 on alpha'`); err != nil {
			t.Fatal(err)
		}
		var lb *store.Lock
		for deadline := time.Now().Add(5 * time.Second); lb == nil && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			lb, _ = tryLock(t, b, "pid 2 on beta")
		}
		if lb == nil {
			t.Fatal("the standby could not take the lock after the holder's session ended")
		}
		if err := la.Check(context.Background()); err == nil {
			t.Error("the lost lock passes its check")
		}
		select {
		case <-la.Lost():
		default:
			t.Error("Lost is not closed after a failed check")
		}
	})
}
