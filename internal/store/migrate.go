package store

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/nhs-prevent/prevent/schema"
)

// migration is one numbered schema change.
type migration struct {
	Version int
	Name    string
	SQL     string
}

// migrations reads the dialect's migrations from package schema, in order.
func migrations(dialect string) ([]migration, error) {
	entries, err := fs.ReadDir(schema.FS, dialect)
	if err != nil {
		return nil, fmt.Errorf("schema for %s: %w", dialect, err)
	}
	var out []migration
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".sql") {
			continue
		}
		num, _, _ := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if err != nil || v <= 0 {
			return nil, fmt.Errorf("schema/%s/%s: name must start with a version number (0001_...)", dialect, name)
		}
		body, err := fs.ReadFile(schema.FS, path.Join(dialect, name))
		if err != nil {
			return nil, err
		}
		out = append(out, migration{Version: v, Name: name, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i := 1; i < len(out); i++ {
		if out[i].Version == out[i-1].Version {
			return nil, fmt.Errorf("schema/%s: two migrations numbered %d", dialect, out[i].Version)
		}
	}
	return out, nil
}

// migrationLock is the PostgreSQL advisory lock key that serialises
// migrations between processes ("prevent" in ASCII).
const migrationLock = 0x70726576656e74

// Migrate applies the migrations not yet applied, in one transaction, and
// returns their versions. It is safe to run from two processes at once: on
// PostgreSQL the second waits on an advisory lock, on SQLite on the write
// lock, and then finds nothing left to do.
func (s *Store) Migrate(ctx context.Context) (applied []int, err error) {
	all, err := migrations(s.dialect)
	if err != nil {
		return nil, err
	}
	// Most runs find nothing to do: look first without the write lock, so
	// that a command does not queue behind an import in progress.
	if pending, err := s.pendingMigrations(ctx, all); err == nil && !pending {
		return nil, nil
	}
	err = s.migrationTx(ctx, func(tx *sqlx.Tx) error {
		if s.dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, migrationLock); err != nil {
				return s.wrap("lock for migration", err)
			}
		}
		done, err := s.appliedVersions(ctx, tx)
		if err != nil {
			return err
		}
		known := 0
		if len(all) > 0 {
			known = all[len(all)-1].Version
		}
		for v := range done {
			if v > known {
				return fmt.Errorf("database %s has schema version %d, newer than this prevent knows (%d): upgrade prevent", s.name, v, known)
			}
		}
		for _, m := range all {
			if done[m.Version] {
				continue
			}
			if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
				return s.wrap("migration "+m.Name, err)
			}
			if after := afterMigration[m.Version]; after != nil {
				if err := after(ctx, tx); err != nil {
					return s.wrap("migration "+m.Name, err)
				}
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO schema_migrations (version) VALUES (?)`), m.Version); err != nil {
				return s.wrap("record migration "+m.Name, err)
			}
			applied = append(applied, m.Version)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return applied, nil
}

// migrationTx runs fn in one transaction. On SQLite it runs with foreign
// keys off, as SQLite's procedure for rebuilding a table requires (a
// CHECK constraint cannot be altered in place), and checks every foreign
// key before it commits; the setting is per connection and cannot change
// inside a transaction, so the transaction has a connection of its own.
func (s *Store) migrationTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	if s.dialect != SQLite {
		return s.inTx(ctx, fn)
	}
	conn, err := s.db.Connx(ctx)
	if err != nil {
		return s.wrap("connect for migration", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return s.wrap("migration: foreign keys off", err)
	}
	defer conn.ExecContext(context.Background(), `PRAGMA foreign_keys = ON`) //nolint:errcheck // the connection is closed next
	tx, err := conn.BeginTxx(ctx, nil)
	if err != nil {
		return s.wrap("begin transaction", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	var broken int
	if err := tx.GetContext(ctx, &broken, `SELECT count(*) FROM pragma_foreign_key_check`); err != nil {
		_ = tx.Rollback()
		return s.wrap("migration: check foreign keys", err)
	}
	if broken > 0 {
		_ = tx.Rollback()
		return fmt.Errorf("database %s: migration left %d rows whose foreign key names nothing; nothing was changed", s.name, broken)
	}
	return s.wrap("commit", tx.Commit())
}

// appliedVersions reads schema_migrations, which the first migration
// creates: a database without it has none applied.
func (s *Store) appliedVersions(ctx context.Context, tx *sqlx.Tx) (map[int]bool, error) {
	var exists bool
	q := `SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'`
	if s.dialect == Postgres {
		q = `SELECT to_regclass('schema_migrations') IS NOT NULL`
	}
	if err := tx.GetContext(ctx, &exists, q); err != nil {
		return nil, s.wrap("read schema version", err)
	}
	done := map[int]bool{}
	if !exists {
		return done, nil
	}
	var versions []int
	if err := tx.SelectContext(ctx, &versions, `SELECT version FROM schema_migrations`); err != nil {
		return nil, s.wrap("read schema version", err)
	}
	for _, v := range versions {
		done[v] = true
	}
	return done, nil
}

// SchemaVersion is the highest migration applied.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	err := s.db.GetContext(ctx, &v, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`)
	return v, s.wrap("read schema version", err)
}

// pendingMigrations reports, with a plain read, whether any migration is
// not yet applied. An error means "cannot tell": the caller migrates.
func (s *Store) pendingMigrations(ctx context.Context, all []migration) (bool, error) {
	var versions []int
	if err := s.db.SelectContext(ctx, &versions, `SELECT version FROM schema_migrations`); err != nil {
		return true, err
	}
	known := 0
	if len(all) > 0 {
		known = all[len(all)-1].Version
	}
	done := make(map[int]bool, len(versions))
	for _, v := range versions {
		if v > known {
			return true, nil // the migration path says why it refuses
		}
		done[v] = true
	}
	for _, m := range all {
		if !done[m.Version] {
			return true, nil
		}
	}
	return false, nil
}
