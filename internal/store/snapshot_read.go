package store

import (
	"context"
	"database/sql"
)

// querySnapshot runs a query that reads one snapshot's assignments
// (snapshot_id = ?); end is to be called once its rows are closed.
//
// A snapshot is a twelfth of the assignments table when a year of monthly
// extracts is kept, and its rows lie together, as one import wrote them.
// PostgreSQL, left to itself, reads the whole table (its cost model makes
// a sequential scan of every snapshot a little cheaper than fetching one
// snapshot's pages through the snapshot index), which took twice as long
// on a national workforce. So on PostgreSQL the query runs in a read-only
// transaction of its own that turns sequential scans off for it.
func (s *Store) querySnapshot(ctx context.Context, query string, args ...any) (rows *sql.Rows, end func(), err error) {
	return s.querySnapshotWith(ctx, nil, query, args...)
}

// querySnapshotWith is querySnapshot with more of PostgreSQL's settings
// ("name = value") for the query.
func (s *Store) querySnapshotWith(ctx context.Context, settings []string, query string, args ...any) (rows *sql.Rows, end func(), err error) {
	query = s.db.Rebind(query)
	if s.dialect != Postgres {
		rows, err = s.db.QueryContext(ctx, query, args...)
		return rows, func() {}, err
	}
	tx, err := s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, nil, err
	}
	for _, set := range append([]string{"enable_seqscan = off"}, settings...) {
		if _, err := tx.ExecContext(ctx, `SET LOCAL `+set); err != nil {
			tx.Rollback()
			return nil, nil, err
		}
	}
	rows, err = tx.QueryContext(ctx, query, args...)
	if err != nil {
		tx.Rollback()
		return nil, nil, err
	}
	return rows, func() { tx.Rollback() }, nil // it wrote nothing: rolling back ends it
}
