package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"
)

// Lock is the scheduler lock: while a process holds it, that process alone
// runs the scheduled jobs on this database.
//
// On PostgreSQL it is a session-level advisory lock held on a connection of
// its own for as long as the lock is held; the server drops it the moment
// that session ends, so a process that dies (or loses the server) frees it
// for a standby. On SQLite it is an OS lock (flock, or LockFileEx on
// Windows) on the file "<database>.lock", which the operating system drops
// when the process dies.
type Lock struct {
	check   func(ctx context.Context) error // nil when the lock cannot be lost
	release func() error

	lost     chan struct{}
	lostOnce sync.Once
	stop     chan struct{}
	stopOnce sync.Once
	err      error // why the lock was lost
	mu       sync.Mutex
}

// LockCheckInterval is how often a held PostgreSQL lock checks that its
// session is still alive.
const LockCheckInterval = 10 * time.Second

// lockCheckTimeout bounds one check of a held lock.
const lockCheckTimeout = 10 * time.Second

func newLock(check func(ctx context.Context) error, release func() error) *Lock {
	l := &Lock{check: check, release: release, lost: make(chan struct{}), stop: make(chan struct{})}
	if check != nil {
		go l.watch()
	}
	return l
}

// watch checks the lock every LockCheckInterval until it is lost or
// released.
func (l *Lock) watch() {
	t := time.NewTicker(LockCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-l.lost:
			return
		case <-t.C:
			_ = l.Check(context.Background())
		}
	}
}

// Lost is closed when the lock turns out to be lost: the PostgreSQL session
// holding it has ended, so another process may now hold it. A file lock is
// never lost.
func (l *Lock) Lost() <-chan struct{} { return l.lost }

// Err says why the lock was lost; nil while it is held.
func (l *Lock) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Check makes sure the lock is still held, closing Lost and returning why
// when it is not.
func (l *Lock) Check(ctx context.Context) error {
	if err := l.Err(); err != nil {
		return err
	}
	if l.check == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, lockCheckTimeout)
	defer cancel()
	err := l.check(ctx)
	if err == nil {
		return nil
	}
	err = fmt.Errorf("scheduler lock lost: %w", err)
	l.lostOnce.Do(func() {
		l.mu.Lock()
		l.err = err
		l.mu.Unlock()
		close(l.lost)
	})
	return err
}

// Release gives the lock up. Calls after the first do nothing.
func (l *Lock) Release() error {
	var err error
	l.stopOnce.Do(func() {
		close(l.stop)
		err = l.release()
	})
	return err
}

// TryLockScheduler takes the scheduler lock for holder, a name for this
// process such as "pid 4242 on ws01" that other processes see. When another
// process holds the lock it returns a nil Lock and, when it can tell, the
// holder's name.
func (s *Store) TryLockScheduler(ctx context.Context, holder string) (*Lock, string, error) {
	if s.dialect == Postgres {
		return s.tryLockPostgres(ctx, holder)
	}
	return s.tryLockSQLite(ctx, holder)
}

// schedulerLockClass is the first key of the PostgreSQL advisory lock ("prev"
// in ASCII); the second is the hash of the schema, so that databases kept in
// different schemas of one PostgreSQL database each have their own lock.
const schedulerLockClass = 0x70726576

// applicationNamePrefix marks the lock holder's session in pg_stat_activity.
const applicationNamePrefix = "prevent serve "

func (s *Store) tryLockPostgres(ctx context.Context, holder string) (*Lock, string, error) {
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, "", s.wrap("take the scheduler lock", err)
	}
	var got bool
	err = conn.QueryRowContext(ctx, `SELECT pg_try_advisory_lock($1, hashtext(current_schema()))`, schedulerLockClass).Scan(&got)
	if err != nil {
		discard(conn)
		return nil, "", s.wrap("take the scheduler lock", err)
	}
	if !got {
		heldBy := pgLockHolder(ctx, conn)
		conn.Close()
		return nil, heldBy, nil
	}
	// Name the session after its process, so that a standby, and anyone
	// looking at pg_stat_activity, can see which process is active.
	if _, err := conn.ExecContext(ctx, `SELECT set_config('application_name', $1, false)`,
		applicationNamePrefix+holder); err != nil {
		discard(conn) // ending the session drops the lock
		return nil, "", s.wrap("take the scheduler lock", err)
	}
	check := func(ctx context.Context) error {
		_, err := conn.ExecContext(ctx, `SELECT 1`)
		return err
	}
	release := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), lockCheckTimeout)
		defer cancel()
		_, err := conn.ExecContext(ctx, `SELECT pg_advisory_unlock($1, hashtext(current_schema()))`, schedulerLockClass)
		// The session is closed rather than returned to the pool, so
		// that the lock goes with it even if the unlock failed.
		discard(conn)
		return s.wrap("release the scheduler lock", err)
	}
	return newLock(check, release), "", nil
}

// pgLockHolder names the process holding the scheduler lock, or "".
func pgLockHolder(ctx context.Context, conn *sql.Conn) string {
	var name sql.NullString
	err := conn.QueryRowContext(ctx, `SELECT a.application_name
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted
		  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		  AND l.classid = $1 AND l.objid = hashtext(current_schema())::oid AND l.objsubid = 2
		LIMIT 1`, schedulerLockClass).Scan(&name)
	if err != nil {
		return ""
	}
	return strings.TrimPrefix(name.String, applicationNamePrefix)
}

// discard closes a connection instead of returning it to the pool.
func discard(conn *sql.Conn) {
	_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	conn.Close()
}

// lockSuffix ends the name of the scheduler's lock file beside an SQLite
// database (see Files).
const lockSuffix = ".lock"

func (s *Store) tryLockSQLite(ctx context.Context, holder string) (*Lock, string, error) {
	file, err := s.databaseFile(ctx)
	if err != nil {
		return nil, "", err
	}
	if file == "" { // an in-memory database: no other process can open it
		return newLock(nil, func() error { return nil }), "", nil
	}
	path := file + lockSuffix
	f, ok, err := lockFile(path)
	if err != nil {
		return nil, "", fmt.Errorf("cannot take the scheduler lock %s: %w", path, err)
	}
	if !ok {
		return nil, lockFileHolder(ctx, path), nil
	}
	// Say who holds it, for the standby's log; the lock itself is what
	// counts, not the text.
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(holder+"\n"), 0)
	}
	return newLock(nil, func() error { return unlockFile(f) }), "", nil
}

// lockFileHolder reads the holder's name from a lock file, waiting a moment
// for a holder that has only just taken the lock to write it.
func lockFileHolder(ctx context.Context, path string) string {
	for try := 0; ; try++ {
		held, _ := os.ReadFile(path)
		if name := strings.TrimSpace(string(held)); name != "" || try == 20 {
			return name
		}
		select {
		case <-ctx.Done():
			return ""
		case <-time.After(5 * time.Millisecond):
		}
	}
}
