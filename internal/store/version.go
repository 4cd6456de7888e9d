package store

import (
	"context"
	"fmt"
)

// DataVersion is a short text that changes whenever what reports are
// computed from changes: an import of any kind committed (imports are never
// deleted, so their count and newest id only grow) or data purged. It is
// two counts over the imports log, a few rows, and one lookup in the audit
// trail's index: cheap enough to ask on every request, so that caches of
// computed positions are used only while the data is as it was.
func (s *Store) DataVersion(ctx context.Context) (string, error) {
	var n, last, purged int64
	err := s.db.QueryRowContext(ctx, s.db.Rebind(`SELECT
		(SELECT COUNT(*) FROM imports),
		(SELECT COALESCE(MAX(id), 0) FROM imports),
		(SELECT COALESCE(MAX(id), 0) FROM audit WHERE action = ?)`), AuditPurge).Scan(&n, &last, &purged)
	if err != nil {
		return "", s.wrap("read the data's version", err)
	}
	return fmt.Sprintf("%d.%d.%d", n, last, purged), nil
}
