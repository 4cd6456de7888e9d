// Package store owns prevent's database: the imports log, staff snapshots
// and their assignments, the cumulative completion history and the rows an
// import rejected. It runs the same plain SQL on SQLite (modernc.org/sqlite,
// pure Go) and PostgreSQL (lib/pq), rebinding placeholders per dialect, and
// applies the embedded migrations from package schema when it opens.
//
// Calendar days cross the API as time.Time at midnight UTC
// (compliance.Date); they are stored as 'YYYY-MM-DD' text in SQLite and as
// DATE in PostgreSQL.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"
)

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Store is the database. It is safe for concurrent use.
type Store struct {
	db      *sqlx.DB
	dialect string
	name    string // the DSN without any password, for messages
	applied []int  // migrations applied by Open
}

// ErrNoSnapshot is returned when no staff snapshot is effective on or before
// the date asked for.
var ErrNoSnapshot = errors.New("no staff snapshot on or before that date")

// connectTimeout bounds the first connection when the caller's context has
// no deadline of its own.
const connectTimeout = 15 * time.Second

// Open opens the database a DSN names and applies pending migrations.
//
//   - "sqlite:FILE", "sqlite://FILE" or a bare path ending .db, .sqlite or
//     .sqlite3: SQLite, creating FILE and its folder when missing;
//   - "postgres://..." or "postgresql://...": PostgreSQL.
func Open(ctx context.Context, dsn string) (*Store, error) {
	for attempt := 1; ; attempt++ {
		start := time.Now()
		s, err := openAndMigrate(ctx, dsn)
		// Several processes opening a new SQLite file at once can see
		// SQLITE_BUSY at once (not after the busy timeout) while one of
		// them switches it to WAL; try again. A lock held longer has
		// already been waited for.
		if err == nil || !isBusy(err) || attempt == 5 || ctx.Err() != nil || time.Since(start) > 2*time.Second {
			return s, err
		}
		time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
	}
}

func openAndMigrate(ctx context.Context, dsn string) (*Store, error) {
	s, err := open(ctx, dsn)
	if err != nil {
		return nil, err
	}
	if s.applied, err = s.Migrate(ctx); err != nil {
		s.db.Close()
		return nil, err
	}
	return s, nil
}

// Applied lists the migrations Open applied.
func (s *Store) Applied() []int { return s.applied }

// isBusy reports an SQLite "database is locked" error of any kind.
func isBusy(err error) bool {
	var liteErr *sqlite.Error
	return errors.As(err, &liteErr) && liteErr.Code()&0xff == sqlite3.SQLITE_BUSY
}

func open(ctx context.Context, dsn string) (*Store, error) {
	dsn = strings.TrimSpace(dsn)
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return openPostgres(ctx, dsn)
	case strings.HasPrefix(dsn, "sqlite:"):
		path := strings.TrimPrefix(strings.TrimPrefix(dsn, "sqlite:"), "//")
		return openSQLite(ctx, dsn, path)
	case isSQLitePath(dsn):
		return openSQLite(ctx, dsn, dsn)
	}
	return nil, fmt.Errorf("cannot open database %q: want sqlite:FILE or postgres://USER@HOST/DB", redact(dsn))
}

func isSQLitePath(dsn string) bool {
	path, _, _ := strings.Cut(dsn, "?")
	if urlScheme.MatchString(path) {
		// "sqlit:prevent.db" or "file:prevent.db" is a mistyped or
		// unsupported scheme, not a file in a folder named "sqlit:".
		return false
	}
	switch strings.ToLower(filepath.Ext(path)) {
	case ".db", ".sqlite", ".sqlite3":
		return true
	}
	return false
}

// urlScheme is a scheme before a colon, of two letters or more, so that a
// Windows drive letter (C:\prevent\prevent.db) is still a path.
var urlScheme = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9+.-]+:`)

// sqlitePragmas are set on every connection. Transactions begin IMMEDIATE so
// that two writers queue on busy_timeout instead of one failing when it
// upgrades a read lock. For imports of large extracts: 16 KiB pages (set
// only when the file is created, before it turns to WAL, which the
// driver does after the _pragma list) write a quarter as many WAL frames,
// and a 16 MiB page cache keeps the indexes' hot pages in memory instead
// of spilling them to the WAL mid-transaction; both are bounded, so memory
// stays flat as files grow. Reads go through a memory map of the first
// 256 MiB of the file: a report reads most of the database, and through
// the page cache each page cost a pread, an allocation and, when the
// connection closed, a madvise to free it (a quarter of status's time at
// 30,000 people; 0.9 s of system time down to 0.2 s). The mapped pages are
// the kernel's file cache, shared and dropped under pressure, but they
// count in the process's resident size.
const sqlitePragmas = "_pragma=busy_timeout(10000)&_pragma=page_size(16384)&_pragma=cache_size(-16384)&_pragma=mmap_size(268435456)&_journal_mode=WAL&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"

func openSQLite(ctx context.Context, dsn, path string) (*Store, error) {
	path, query, _ := strings.Cut(path, "?")
	if path == "" {
		return nil, fmt.Errorf("cannot open database %q: no file name given (want sqlite:FILE)", dsn)
	}
	memory := path == ":memory:"
	if !memory {
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("cannot open database %s: cannot create folder %s: %w", dsn, dir, unwrapPathError(err))
			}
		}
	}
	if !memory {
		// The database holds staff records: a new file is the owner's only
		// (SQLite gives its -wal and -shm files the same mode).
		if f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600); err == nil {
			f.Close()
		}
	}
	q := sqlitePragmas
	if query != "" {
		q = query + "&" + q
	}
	db, err := sqlx.Open("sqlite", sqliteURI(path)+"?"+q)
	if err != nil {
		return nil, fmt.Errorf("cannot open database %s: %w", dsn, err)
	}
	if memory {
		db.SetMaxOpenConns(1) // each connection would be its own empty database
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot open database %s: %w", dsn, err)
	}
	return &Store{db: db, dialect: SQLite, name: dsn}, nil
}

// sqliteURI is a file name as an SQLite URI, escaping what would end the
// path ('?' and '#') and the escape character itself.
func sqliteURI(path string) string {
	return "file:" + strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	name := redact(dsn)
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		return nil, fmt.Errorf("cannot open database %s: %s", name, pgReason(err))
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, connectTimeout)
		defer cancel()
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("cannot open database %s: %s", name, pgReason(err))
	}
	// The dashboard's visitors each hold a connection for a moment (the
	// data's version, a page's own queries). database/sql keeps two open
	// between uses by default, so ten visitors at once started eight new
	// server processes each time, a connection's setup costing more than
	// its query. Connections idle for minutes are closed.
	db.SetMaxIdleConns(pgIdleConns)
	db.SetConnMaxIdleTime(pgIdleTime)
	return &Store{db: db, dialect: Postgres, name: name}, nil
}

// pgIdleConns and pgIdleTime bound the PostgreSQL connections kept open
// between uses.
const (
	pgIdleConns = 16
	pgIdleTime  = 5 * time.Minute
)

// pgReason is the cause of a connection failure in a few words, without the
// dial details (or anything else that might echo the DSN).
func pgReason(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "no such host " + dnsErr.Name
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return "timed out connecting"
	}
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Message
	}
	msg := strings.TrimPrefix(err.Error(), "pq: ")
	if strings.Contains(msg, "SSL is not enabled") {
		msg += " (add ?sslmode=disable to the DSN)"
	}
	return msg
}

func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// kvPassword is the password of a key=value DSN (host=... password=...),
// bare or single-quoted with backslash escapes, as libpq reads it.
var kvPassword = regexp.MustCompile(`(?i)(\bpassword\s*=\s*)('(?:[^'\\]|\\.)*'|[^\s']\S*|'.*)`)

// redact removes any password from a DSN for messages: the URL form's
// user password and password parameter, and the key=value form's
// password.
func redact(dsn string) string {
	if !strings.Contains(dsn, "://") {
		dsn = kvPassword.ReplaceAllString(dsn, "${1}[redacted]")
	}
	u, err := url.Parse(dsn)
	if err != nil || u.Scheme == "" {
		if i := strings.Index(dsn, "@"); i >= 0 {
			if j := strings.Index(dsn, "://"); j >= 0 && j < i {
				return dsn[:j+3] + dsn[i+1:]
			}
		}
		return dsn
	}
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if q.Has("password") {
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Dialect is "sqlite" or "postgres".
func (s *Store) Dialect() string { return s.dialect }

// DB is the underlying handle, for packages that keep tables of their own.
func (s *Store) DB() *sqlx.DB { return s.db }

// Files lists the files of an SQLite database held in a file: the
// database, and the write-ahead log, shared-memory index and rollback
// journal SQLite keeps beside it and the scheduler's lock file (which need
// not exist). None for PostgreSQL or a database in memory.
func (s *Store) Files(ctx context.Context) ([]string, error) {
	if s.dialect != SQLite {
		return nil, nil
	}
	file, err := s.databaseFile(ctx)
	if err != nil || file == "" {
		return nil, err
	}
	return []string{file, file + "-wal", file + "-shm", file + "-journal", file + lockSuffix}, nil
}

// databaseFile is the file an SQLite database is held in, "" for one in
// memory.
func (s *Store) databaseFile(ctx context.Context) (string, error) {
	var file string
	err := s.db.GetContext(ctx, &file, `SELECT file FROM pragma_database_list WHERE name = 'main'`)
	return file, s.wrap("find the database's file", err)
}

// String names the database (without any password).
func (s *Store) String() string { return s.name }

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return s.wrap("begin transaction", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return s.wrap("commit", err)
	}
	return nil
}

// isUniqueViolation reports whether err is a UNIQUE constraint failing.
func isUniqueViolation(err error) bool {
	var pqErr *pq.Error
	if errors.As(err, &pqErr) {
		return pqErr.Code == "23505"
	}
	var liteErr *sqlite.Error
	return errors.As(err, &liteErr) && liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
}

// wrap says what the store was doing when the database failed.
func (s *Store) wrap(what string, err error) error {
	if err == nil || errors.Is(err, sql.ErrNoRows) {
		return err
	}
	return fmt.Errorf("database %s: %s: %w", s.name, what, plainError{err})
}

// plainError words the database failures people meet in a sentence they
// can act on, keeping the driver's error for errors.Is and errors.As.
type plainError struct{ err error }

func (e plainError) Unwrap() error { return e.err }

func (e plainError) Error() string {
	var liteErr *sqlite.Error
	if errors.As(e.err, &liteErr) {
		switch liteErr.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return "the database is locked by another process (gave up waiting); try again when it has finished"
		case sqlite3.SQLITE_FULL:
			return "the disk is full (database or disk is full)"
		case sqlite3.SQLITE_READONLY:
			return "the database file is read-only"
		}
	}
	msg := e.err.Error()
	switch {
	case errors.Is(e.err, driver.ErrBadConn), strings.Contains(msg, "connection reset by peer"),
		strings.Contains(msg, "broken pipe"), strings.Contains(msg, "terminating connection"),
		errors.Is(e.err, io.ErrUnexpectedEOF):
		return "the connection to the database was lost (" + msg + ")"
	}
	return msg
}
