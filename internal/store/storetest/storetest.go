// Package storetest runs store tests against every database prevent
// supports: a fresh SQLite file, and a fresh schema of its own on
// PostgreSQL.
//
// PostgreSQL is found, once per test binary, at
//
//  1. TEST_DATABASE_URL, when set (failing the tests when it does not answer);
//  2. postgres://postgres@127.0.0.1:5432/test?sslmode=disable, when it answers;
//  3. a throwaway server started with initdb (on PATH or under
//     /usr/lib/postgresql/*/bin) in a temporary folder, stopped when the
//     test binary ends (call Main from TestMain to also remove its files).
//
// With none of these the PostgreSQL tests are skipped with a message, or fail
// when CI=true, so that a CI run cannot pass having tested one database.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq" // registers the "postgres" driver

	"github.com/nhs-prevent/prevent/internal/store"
)

// DefaultPostgresURL is the server tried when TEST_DATABASE_URL is not set.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// ForEach runs fn once per database, as subtests named "sqlite" (a fresh
// file in t.TempDir()) and "postgres" (a fresh schema).
func ForEach(t *testing.T, fn func(t *testing.T, s *store.Store)) {
	t.Helper()
	ForEachDSN(t, func(t *testing.T, dsn string) { fn(t, Open(t, dsn)) })
}

// ForEachDSN is ForEach for tests that open the database themselves: fn
// gets the DSN of a fresh, empty database.
func ForEachDSN(t *testing.T, fn func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run(store.SQLite, func(t *testing.T) { fn(t, SQLiteDSN(t)) })
	t.Run(store.Postgres, func(t *testing.T) { fn(t, PostgresDSN(t)) })
}

// Open opens (and migrates) the store a DSN names, closing it when the test
// ends.
func Open(t testing.TB, dsn string) *store.Store {
	t.Helper()
	s, err := store.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// SQLiteDSN returns the DSN of a new SQLite file in t.TempDir().
func SQLiteDSN(t testing.TB) string {
	return "sqlite:" + filepath.Join(t.TempDir(), "prevent.db")
}

// PostgresDSN returns a DSN for a fresh, empty schema of its own (dropped
// when the test ends), or skips the test when no PostgreSQL is available
// (fails it when CI=true).
func PostgresDSN(t testing.TB) string {
	t.Helper()
	pg := postgres()
	if pg.err != nil {
		unavailable(t, pg)
	}
	name := "t_" + randomHex(8)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := pg.admin.ExecContext(ctx, `CREATE SCHEMA `+name); err != nil {
		t.Fatalf("create test schema on %s: %v", pg.where, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := pg.admin.ExecContext(ctx, `DROP SCHEMA `+name+` CASCADE`); err != nil {
			t.Errorf("drop test schema %s: %v", name, err)
		}
	})
	// lib/pq passes parameters it does not know, such as search_path, to
	// the server as run-time parameters of every connection.
	return withParam(pg.url, "search_path", name)
}

// Main runs the tests and then stops a throwaway PostgreSQL server if one
// was started. Use it from TestMain:
//
//	func TestMain(m *testing.M) { storetest.Main(m) }
func Main(m *testing.M) {
	code := m.Run()
	if pg.admin != nil {
		pg.admin.Close()
	}
	if pg.server != nil {
		pg.server.stop()
	}
	os.Exit(code)
}

// pgState is the PostgreSQL the test binary uses.
type pgState struct {
	url      string  // without search_path
	where    string  // for messages
	admin    *sql.DB // creates and drops test schemas
	err      error   // why there is none
	explicit bool    // TEST_DATABASE_URL was set: its failure is an error, not a skip
	server   *server // the throwaway server started, if any
}

var (
	pgOnce sync.Once
	pg     pgState
)

func postgres() *pgState {
	pgOnce.Do(func() { pg = findPostgres() })
	return &pg
}

func findPostgres() pgState {
	if u := os.Getenv("TEST_DATABASE_URL"); u != "" {
		st := pgState{url: u, where: "TEST_DATABASE_URL", explicit: true}
		st.admin, st.err = connect(u, 10*time.Second)
		return st
	}
	if db, err := connect(DefaultPostgresURL, time.Second); err == nil {
		return pgState{url: DefaultPostgresURL, where: DefaultPostgresURL, admin: db}
	}
	srv, u, err := startServer()
	if err != nil {
		return pgState{err: fmt.Errorf("nothing answers at %s and %w", DefaultPostgresURL, err)}
	}
	st := pgState{url: u, where: "throwaway server " + u, server: srv}
	st.admin, st.err = connect(u, 10*time.Second)
	return st
}

// connect opens and pings a database within the timeout.
func connect(dsn string, timeout time.Duration) (*sql.DB, error) {
	db, err := sql.Open("postgres", withParam(dsn, "connect_timeout", fmt.Sprint(int(timeout.Seconds()))))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

var warnOnce sync.Once

func unavailable(t testing.TB, pg *pgState) {
	t.Helper()
	msg := fmt.Sprintf("PostgreSQL not available: set TEST_DATABASE_URL=postgres://USER@HOST/DB?sslmode=disable or install PostgreSQL (initdb) to run the store tests on it (%v)", pg.err)
	if pg.explicit {
		msg = fmt.Sprintf("PostgreSQL at TEST_DATABASE_URL does not answer: %v", pg.err)
	}
	if pg.explicit || os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	warnOnce.Do(func() { fmt.Fprintln(os.Stderr, "WARNING: "+msg) })
	t.Skip(msg)
}

// withParam sets a query parameter of a URL DSN.
func withParam(dsn, key, value string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return dsn
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}
