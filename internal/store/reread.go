package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"strings"

	"github.com/jmoiron/sqlx"
)

// afterMigration holds what a migration needs that SQL alone cannot do,
// run in the migration's transaction right after its SQL.
var afterMigration = map[int]func(ctx context.Context, tx *sqlx.Tx) error{
	14: markReReads,
}

// markReReads marks, as migration 0014 adds imports.reread_of, the
// completions imports made before it that read a file again for courses a
// rule had come to map. Such an import's SHA-256 is that of the first
// import's SHA-256 followed by the names of those courses, sorted, one a
// line (ingest.Completions): a candidate (a completions import sharing its
// file name with an earlier one, all of whose rows were stored or held
// already) is marked when that hash, over the course names of the rows
// it stored, is its own. A re-read that stored no row of one of its
// courses (all of them held already) cannot be told apart this way and
// stays an ordinary import.
func markReReads(ctx context.Context, tx *sqlx.Tx) error {
	var pairs []struct {
		ID       int64  `db:"id"`
		SHA256   string `db:"sha256"`
		FirstID  int64  `db:"first_id"`
		FirstSHA string `db:"first_sha256"`
	}
	err := tx.SelectContext(ctx, &pairs, `SELECT b.id, b.sha256, a.id AS first_id, a.sha256 AS first_sha256
		FROM imports b JOIN imports a ON a.file_name = b.file_name AND a.kind = 'completions' AND a.id < b.id
		WHERE b.kind = 'completions' AND b.rows_imported > 0 AND b.rows_rejected = 0 AND b.rows_not_completed = 0
		AND b.rows_read = b.rows_imported + b.rows_duplicate
		AND NOT EXISTS (SELECT 1 FROM course_counts c WHERE c.import_id = b.id)
		ORDER BY b.id, a.id`)
	if err != nil || len(pairs) == 0 {
		return err
	}
	ids := make([]int64, 0, len(pairs))
	for _, p := range pairs {
		if len(ids) == 0 || ids[len(ids)-1] != p.ID {
			ids = append(ids, p.ID)
		}
	}
	// One pass over the completions for every candidate at once: there
	// is no index by import.
	q, args, err := sqlx.In(`SELECT DISTINCT import_id, course FROM completions WHERE import_id IN (?)`, ids)
	if err != nil {
		return err
	}
	var stored []struct {
		ImportID int64  `db:"import_id"`
		Course   string `db:"course"`
	}
	if err := tx.SelectContext(ctx, &stored, tx.Rebind(q), args...); err != nil {
		return err
	}
	courses := make(map[int64][]string)
	for _, c := range stored {
		courses[c.ImportID] = append(courses[c.ImportID], strings.TrimSpace(c.Course))
	}
	marked := make(map[int64]bool)
	for _, p := range pairs {
		if marked[p.ID] {
			continue
		}
		names := courses[p.ID]
		sort.Strings(names)
		sum := sha256.Sum256([]byte(strings.ToLower(p.FirstSHA) + "\n" + strings.Join(names, "\n")))
		if hex.EncodeToString(sum[:]) != strings.ToLower(p.SHA256) {
			continue
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE imports SET reread_of = ? WHERE id = ?`), p.FirstID, p.ID); err != nil {
			return err
		}
		marked[p.ID] = true
	}
	return nil
}
