package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// rowWriter streams many rows into one table inside a transaction: a
// prepared INSERT reused for every row on SQLite, COPY FROM STDIN on
// PostgreSQL. While a COPY is open the transaction can run nothing else, so
// a writer is closed before the next statement.
type rowWriter interface {
	// write adds one row. inserted is false when a conflict clause skipped
	// it; a COPY writer always reports true (it cannot tell before close).
	write(args ...any) (inserted bool, err error)
	// close finishes the rows. It is safe to call more than once.
	close() error
}

// newWriter returns the dialect's writer for table. onConflict ("ON
// CONFLICT ... DO NOTHING") applies to the INSERT form only: COPY cannot
// skip rows, so tables with conflicts load through a staging table on
// PostgreSQL (see CompletionImport).
func (s *Store) newWriter(ctx context.Context, tx *sqlx.Tx, table string, columns []string, onConflict string) (rowWriter, error) {
	cols := strings.Join(columns, ", ")
	if s.dialect == Postgres {
		stmt, err := tx.PrepareContext(ctx, fmt.Sprintf("COPY %s (%s) FROM STDIN", table, cols))
		if err != nil {
			return nil, s.wrap("start copy into "+table, err)
		}
		return &copyWriter{s: s, ctx: ctx, table: table, stmt: stmt}, nil
	}
	marks := strings.TrimSuffix(strings.Repeat("?, ", len(columns)), ", ")
	q := fmt.Sprintf("INSERT INTO %s (%s) VALUES (%s) %s", table, cols, marks, onConflict)
	stmt, err := tx.PreparexContext(ctx, q)
	if err != nil {
		return nil, s.wrap("prepare insert into "+table, err)
	}
	return &insertWriter{s: s, ctx: ctx, table: table, stmt: stmt}, nil
}

type insertWriter struct {
	s     *Store
	ctx   context.Context
	table string
	stmt  *sqlx.Stmt
}

func (w *insertWriter) write(args ...any) (bool, error) {
	res, err := w.stmt.ExecContext(w.ctx, args...)
	if err != nil {
		return false, w.s.wrap("insert into "+w.table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, w.s.wrap("insert into "+w.table, err)
	}
	return n > 0, nil
}

func (w *insertWriter) close() error {
	if w.stmt == nil {
		return nil
	}
	err := w.stmt.Close()
	w.stmt = nil
	return w.s.wrap("insert into "+w.table, err)
}

type copyWriter struct {
	s     *Store
	ctx   context.Context
	table string
	stmt  *sql.Stmt
}

func (w *copyWriter) write(args ...any) (bool, error) {
	if _, err := w.stmt.ExecContext(w.ctx, args...); err != nil {
		return false, w.s.wrap("copy into "+w.table, err)
	}
	return true, nil
}

func (w *copyWriter) close() error {
	if w.stmt == nil {
		return nil
	}
	_, err := w.stmt.ExecContext(w.ctx) // no arguments: end of data
	if cerr := w.stmt.Close(); err == nil {
		err = cerr
	}
	w.stmt = nil
	return w.s.wrap("copy into "+w.table, err)
}
