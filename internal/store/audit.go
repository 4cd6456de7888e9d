package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// AuditEntry is one line of the audit trail.
type AuditEntry struct {
	ID     int64
	At     time.Time
	Who    string
	Action string
	Detail string
}

// Audit actions.
const (
	AuditImport       = "import"
	AuditConfig       = "config"
	AuditReturnSent   = "return-sent"
	AuditReturnResent = "return-resent"
	AuditPurge        = "purge"
	// The dashboard's: a download of personal or reported data, a
	// sign-in, a failed sign-in, and a request naming its user in the
	// proxy header from an address not trusted to.
	AuditExport        = "export"
	AuditSignIn        = "sign-in"
	AuditSignInFailed  = "sign-in-failed"
	AuditProxyRefused  = "proxy-refused"
	AuditRemindersSent = "reminders-sent"
)

// AuditActions are every action the trail records, in the order the
// audit command lists them.
var AuditActions = []string{AuditImport, AuditConfig, AuditReturnSent, AuditReturnResent, AuditPurge,
	AuditRemindersSent, AuditExport, AuditSignIn, AuditSignInFailed, AuditProxyRefused}

// ReturnAudit is the audit-trail line of a quarterly return sent to a
// recipient; with a reason, a resend.
func ReturnAudit(at time.Time, who, quarter, recipient, resendReason string) AuditEntry {
	e := AuditEntry{At: at, Who: who, Action: AuditReturnSent, Detail: quarter + " to " + recipient}
	if resendReason != "" {
		e.Action, e.Detail = AuditReturnResent, e.Detail+": "+resendReason
	}
	return e
}

// Audit records who did what.
func (s *Store) Audit(ctx context.Context, at time.Time, who, action, detail string) error {
	return s.audit(ctx, s.db, AuditEntry{At: at, Who: who, Action: action, Detail: detail})
}

// audit records an entry (its ID is ignored) through db or a transaction.
func (s *Store) audit(ctx context.Context, db sqlx.ExtContext, e AuditEntry) error {
	_, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO audit (at, who, action, detail) VALUES (?, ?, ?, ?)`),
		s.instantArg(e.At), e.Who, e.Action, e.Detail)
	return s.wrap("record audit", err)
}

// AuditTrail lists the trail, newest first; action "" lists every action.
func (s *Store) AuditTrail(ctx context.Context, action string, limit int) ([]AuditEntry, error) {
	var rows []struct {
		ID     int64   `db:"id"`
		At     instant `db:"at"`
		Who    string  `db:"who"`
		Action string  `db:"action"`
		Detail string  `db:"detail"`
	}
	q := `SELECT id, at, who, action, detail FROM audit WHERE (? = '' OR action = ?) ORDER BY id DESC`
	args := []any{action, action}
	if limit > 0 {
		q += ` LIMIT ?`
		args = append(args, limit)
	}
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
		return nil, s.wrap("read audit trail", err)
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		out[i] = AuditEntry{ID: r.ID, At: r.At.Time, Who: r.Who, Action: r.Action, Detail: r.Detail}
	}
	return out, nil
}

// LastAudit returns the newest entry for an action, or nil.
func (s *Store) LastAudit(ctx context.Context, action string) (*AuditEntry, error) {
	list, err := s.AuditTrail(ctx, action, 1)
	if err != nil || len(list) == 0 {
		return nil, err
	}
	return &list[0], nil
}

// PurgeResult counts what a purge deleted.
type PurgeResult struct {
	Snapshots, Assignments, Completions, RowErrors int64
}

// Purge deletes, in one transaction, the staff snapshots effective before
// the cut-off date (their assignments with them) and the completions dated
// before it that a later completion of the same person and course
// supersedes, and records the purge in the audit trail. The snapshot in
// force on the cut-off date and each person's latest completion of each
// course are kept, so every figure from the cut-off date on is unchanged.
// Import log lines are kept (file names and counts only).
func (s *Store) Purge(ctx context.Context, before time.Time, who string, now time.Time) (PurgeResult, error) {
	var res PurgeResult
	cut := dayArg(before)
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := s.lockSnapshots(ctx, tx); err != nil {
			return err
		}
		// The latest snapshot effective on or before the cut-off stays: it
		// is the workforce on that date.
		var keep []int64
		if err := tx.SelectContext(ctx, &keep, tx.Rebind(`SELECT id FROM snapshots WHERE effective_date <= ? ORDER BY effective_date DESC LIMIT 1`), cut); err != nil {
			return s.wrap("purge", err)
		}
		keepID := int64(-1)
		if len(keep) > 0 {
			keepID = keep[0]
		}
		// The emails' owners and the employee numbers held stay as they
		// are: a completion keyed by an email that only a purged snapshot
		// held (a name changed since) still counts for its owner, and one
		// naming someone in a purged snapshot does not come to name nobody.
		// (No snapshot kept is older than one purged, so no owner changes.)
		r, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM assignments WHERE snapshot_id IN (SELECT id FROM snapshots WHERE effective_date < ? AND id <> ?)`), cut, keepID)
		if err != nil {
			return s.wrap("purge assignments", err)
		}
		res.Assignments, _ = r.RowsAffected()
		r, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM snapshots WHERE effective_date < ? AND id <> ?`), cut, keepID)
		if err != nil {
			return s.wrap("purge snapshots", err)
		}
		res.Snapshots, _ = r.RowsAffected()
		// A completion before the cut-off goes when a later one of the same
		// person and course, also before the cut-off, supersedes it: the
		// latest stays, since it sets the person's status until renewed.
		r, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM completions WHERE completed_on < ? AND EXISTS (
			SELECT 1 FROM completions d WHERE d.employee_number = completions.employee_number
			AND d.email_key = completions.email_key AND d.course_key = completions.course_key
			AND d.completed_on > completions.completed_on AND d.completed_on < ?)`), cut, cut)
		if err != nil {
			return s.wrap("purge completions", err)
		}
		res.Completions, _ = r.RowsAffected()
		// Rejected rows quote values from the files: they go with the data.
		r, err = tx.ExecContext(ctx, tx.Rebind(`DELETE FROM row_errors WHERE import_id IN (SELECT id FROM imports WHERE imported_on < ?)`), cut)
		if err != nil {
			return s.wrap("purge rejected rows", err)
		}
		res.RowErrors, _ = r.RowsAffected()
		detail := fmt.Sprintf("before %s: %d snapshots (%d assignments), %d completions, %d rejected rows deleted",
			cut, res.Snapshots, res.Assignments, res.Completions, res.RowErrors)
		return s.audit(ctx, tx, AuditEntry{At: now, Who: who, Action: AuditPurge, Detail: detail})
	})
	return res, err
}
