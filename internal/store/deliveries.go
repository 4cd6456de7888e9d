package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Delivery statuses.
const (
	DeliveryQueued  = "queued"  // owed, no attempt yet
	DeliverySending = "sending" // claimed by a sender that is sending it (or died doing so)
	DeliverySent    = "sent"    // the server accepted it: never sent again
	DeliveryFailed  = "failed"  // the last attempt failed; it is retried
)

// Delivery is one message owed to one recipient: the return of a quarter to
// a commissioner, a reminder to a lead, ... Generation 0 is the original
// send; each explicit resend of a corrected message is a new row with the
// next generation. The message itself is not stored, only its delivery.
type Delivery struct {
	ID            int64
	Kind          string // "return", "reminder", ...
	Key           string // what is sent, e.g. the quarter "2026-27Q2"
	Recipient     string // lower case
	Generation    int
	Status        string // DeliveryQueued, DeliverySending, DeliverySent or DeliveryFailed
	Attempts      int    // sends begun, counting one whose sender died
	LastError     string // of the last failed attempt
	NextAttemptAt time.Time
	ClaimedAt     time.Time // when the current or last attempt began
	SentAt        time.Time
	CreatedAt     time.Time
	UpdatedAt     time.Time
	MessageID     string // the stable ID the message carried
	Reason        string // resends: why
	RequestedBy   string // resends: who asked
	// FiguresDigest is, for a return recorded sent, the digest of the
	// figures it carried (returns.Return.FiguresDigest); "" when not known
	// (sent before migration 0017) and for other kinds.
	FiguresDigest string
}

type deliveryRow struct {
	ID            int64   `db:"id"`
	Kind          string  `db:"kind"`
	Key           string  `db:"dkey"`
	Recipient     string  `db:"recipient"`
	Generation    int     `db:"generation"`
	Status        string  `db:"status"`
	Attempts      int     `db:"attempts"`
	LastError     string  `db:"last_error"`
	NextAttemptAt instant `db:"next_attempt_at"`
	ClaimedAt     instant `db:"claimed_at"`
	SentAt        instant `db:"sent_at"`
	MessageID     string  `db:"message_id"`
	Reason        string  `db:"reason"`
	RequestedBy   string  `db:"requested_by"`
	FiguresDigest string  `db:"figures_digest"`
	CreatedAt     instant `db:"created_at"`
	UpdatedAt     instant `db:"updated_at"`
}

const deliveryColumns = `id, kind, dkey, recipient, generation, status, attempts, last_error,
	next_attempt_at, claimed_at, sent_at, message_id, reason, requested_by, figures_digest, created_at, updated_at`

func (r deliveryRow) Delivery() Delivery {
	return Delivery{ID: r.ID, Kind: r.Kind, Key: r.Key, Recipient: r.Recipient, Generation: r.Generation,
		Status: r.Status, Attempts: r.Attempts, LastError: r.LastError,
		NextAttemptAt: r.NextAttemptAt.Time, ClaimedAt: r.ClaimedAt.Time, SentAt: r.SentAt.Time,
		CreatedAt: r.CreatedAt.Time, UpdatedAt: r.UpdatedAt.Time,
		MessageID: r.MessageID, Reason: r.Reason, RequestedBy: r.RequestedBy, FiguresDigest: r.FiguresDigest}
}

// maxDeliveryError caps the error text kept for a failed attempt.
const maxDeliveryError = 2000

// EnsureDelivery returns the original (generation 0) delivery of kind and
// key to recipient, recording it as queued when it is new. Two processes
// ensuring the same delivery at once get the same row.
func (s *Store) EnsureDelivery(ctx context.Context, kind, key, recipient string, now time.Time) (Delivery, error) {
	recipient = normEmail(recipient)
	what := fmt.Sprintf("record delivery %s/%s to %s", kind, key, recipient)
	if err := checkDelivery(kind, key, recipient); err != nil {
		return Delivery{}, fmt.Errorf("%s: %w", what, err)
	}
	if err := s.queueDelivery(ctx, s.db, kind, key, recipient, s.instantArg(now)); err != nil {
		return Delivery{}, s.wrap(what, err)
	}
	var r deliveryRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+deliveryColumns+` FROM deliveries
		WHERE kind = ? AND dkey = ? AND recipient = ? AND generation = 0`), kind, key, recipient)
	if err != nil {
		return Delivery{}, s.wrap(what, err)
	}
	return r.Delivery(), nil
}

// NewResend records a queued resend of kind and key to recipient: the next
// generation after any held (1 at least, whether or not the original went
// out), with the reason and who asked.
func (s *Store) NewResend(ctx context.Context, kind, key, recipient, reason, by string, now time.Time) (Delivery, error) {
	recipient = normEmail(recipient)
	what := fmt.Sprintf("record resend of %s/%s to %s", kind, key, recipient)
	if err := checkDelivery(kind, key, recipient); err != nil {
		return Delivery{}, fmt.Errorf("%s: %w", what, err)
	}
	at := s.instantArg(now)
	var id int64
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		// Two resends at once must not both take the same generation.
		// SQLite runs one write transaction at a time (BEGIN IMMEDIATE);
		// PostgreSQL takes a lock on this delivery's name until commit.
		if s.dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, resendLock(kind, key, recipient)); err != nil {
				return s.wrap(what, err)
			}
		}
		var next int
		err := tx.GetContext(ctx, &next, tx.Rebind(`SELECT COALESCE(MAX(generation), 0) + 1 FROM deliveries
			WHERE kind = ? AND dkey = ? AND recipient = ?`), kind, key, recipient)
		if err != nil {
			return s.wrap(what, err)
		}
		err = tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO deliveries
			(kind, dkey, recipient, generation, status, reason, requested_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?) RETURNING id`),
			kind, key, recipient, next, strings.TrimSpace(reason), strings.TrimSpace(by), at, at).Scan(&id)
		return s.wrap(what, err)
	})
	if err != nil {
		return Delivery{}, err
	}
	return s.Delivery(ctx, id)
}

// queueDelivery records the first generation of a delivery as queued,
// unless it is held already, through db or a transaction.
func (s *Store) queueDelivery(ctx context.Context, db sqlx.ExtContext, kind, key, recipient string, at any) error {
	_, err := db.ExecContext(ctx, db.Rebind(`INSERT INTO deliveries
		(kind, dkey, recipient, generation, status, created_at, updated_at)
		VALUES (?, ?, ?, 0, 'queued', ?, ?)
		ON CONFLICT (kind, dkey, recipient, generation) DO NOTHING`),
		kind, key, recipient, at, at)
	return err
}

// resendLock is the PostgreSQL advisory lock key for resends of one
// delivery. Two deliveries sharing a key merely wait for each other.
func resendLock(kind, key, recipient string) int64 {
	return advisoryKey("resend", kind, key, recipient)
}

// advisoryKey is a PostgreSQL advisory lock key for the parts given: their
// FNV-64a hash, each part ended by a NUL.
func advisoryKey(parts ...string) int64 {
	h := fnv.New64a()
	for _, part := range parts {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	return int64(h.Sum64())
}

func checkDelivery(kind, key, recipient string) error {
	switch {
	case strings.TrimSpace(kind) == "":
		return errors.New("no kind of message given")
	case strings.TrimSpace(key) == "":
		return errors.New("no delivery key given")
	case recipient == "":
		return errors.New("no recipient given")
	}
	return nil
}

// Delivery returns the delivery with this id.
func (s *Store) Delivery(ctx context.Context, id int64) (Delivery, error) {
	var r deliveryRow
	err := s.db.GetContext(ctx, &r, s.db.Rebind(`SELECT `+deliveryColumns+` FROM deliveries WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, fmt.Errorf("database %s: no delivery %d", s.name, id)
	}
	if err != nil {
		return Delivery{}, s.wrap(fmt.Sprintf("read delivery %d", id), err)
	}
	return r.Delivery(), nil
}

// ClaimDelivery moves a delivery to 'sending', counting an attempt, when it
// may be sent now: it is queued; or it failed (and, when respectBackoff, its
// next attempt is due); or it has been 'sending' since staleAfter or longer
// ago, its sender having died. It reports false when the delivery is sent,
// another sender holds it, or its backoff has not run out.
//
// The claim is one UPDATE whose WHERE clause only a claimable row passes:
// of two processes claiming at once, the database lets one change the row
// and the other then finds it 'sending' and changes nothing.
func (s *Store) ClaimDelivery(ctx context.Context, id int64, now time.Time, respectBackoff bool, staleAfter time.Duration) (bool, error) {
	if staleAfter <= 0 {
		return false, fmt.Errorf("claim delivery %d: staleAfter must be positive, not %s", id, staleAfter)
	}
	at := s.instantArg(now)
	args := []any{at, at, id, s.instantArg(now.Add(-staleAfter))}
	backoff := ""
	if respectBackoff {
		backoff = ` AND (next_attempt_at IS NULL OR next_attempt_at <= ?)`
		args = append(args, at)
	}
	n, err := s.update(ctx, `UPDATE deliveries
		SET status = 'sending', claimed_at = ?, attempts = attempts + 1, updated_at = ?
		WHERE id = ? AND (status = 'queued'
			OR (status = 'sending' AND claimed_at <= ?)
			OR (status = 'failed'`+backoff+`))`, args...)
	if err != nil {
		return false, s.wrap(fmt.Sprintf("claim delivery %d", id), err)
	}
	return n == 1, nil
}

// MarkDeliverySent records that the server accepted the message, with the
// ID it carried and, for a return, the digest of its figures (else ""),
// and puts audit (when given) on the audit trail in the same
// transaction: a delivery recorded sent is never without its audit line. A
// sent delivery is never claimed again.
func (s *Store) MarkDeliverySent(ctx context.Context, id int64, messageID, figuresDigest string, now time.Time, audit *AuditEntry) error {
	at := s.instantArg(now)
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		r, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE deliveries
			SET status = 'sent', sent_at = ?, message_id = ?, figures_digest = ?, next_attempt_at = NULL, updated_at = ?
			WHERE id = ?`), at, messageID, figuresDigest, at, id)
		var n int64
		if err == nil {
			n, err = r.RowsAffected()
		}
		if err != nil {
			return s.wrap(fmt.Sprintf("record delivery %d as sent", id), err)
		}
		if n == 0 {
			return fmt.Errorf("database %s: record delivery %d as sent: no such delivery", s.name, id)
		}
		if audit != nil {
			if err := s.audit(ctx, tx, *audit); err != nil {
				return err
			}
		}
		return nil
	})
}

// MarkDeliveryFailed records a failed attempt and when the next may be made
// (none given when next is zero). A delivery already sent, by a sender that
// took over a claim thought dead, stays sent.
func (s *Store) MarkDeliveryFailed(ctx context.Context, id int64, errText string, next time.Time, now time.Time) error {
	var nextArg any
	if !next.IsZero() {
		nextArg = s.instantArg(next)
	}
	n, err := s.update(ctx, `UPDATE deliveries
		SET status = 'failed', last_error = ?, next_attempt_at = ?, updated_at = ?
		WHERE id = ? AND status <> 'sent'`,
		truncate(strings.TrimSpace(errText), maxDeliveryError), nextArg, s.instantArg(now), id)
	if err != nil {
		return s.wrap(fmt.Sprintf("record delivery %d as failed", id), err)
	}
	if n == 0 {
		_, err = s.Delivery(ctx, id) // sent meanwhile is fine; missing is not
	}
	return err
}

// update runs an UPDATE and returns the number of rows it changed.
func (s *Store) update(ctx context.Context, q string, args ...any) (int64, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(q), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// Deliveries lists the deliveries of a kind, of one key or of every key
// when key is "", newest first.
func (s *Store) Deliveries(ctx context.Context, kind, key string) ([]Delivery, error) {
	q := `SELECT ` + deliveryColumns + ` FROM deliveries WHERE kind = ?`
	args := []any{kind}
	if key != "" {
		q += ` AND dkey = ?`
		args = append(args, key)
	}
	var rows []deliveryRow
	if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q+` ORDER BY created_at DESC, id DESC`), args...); err != nil {
		return nil, s.wrap("list deliveries of "+kind, err)
	}
	out := make([]Delivery, len(rows))
	for i, r := range rows {
		out[i] = r.Delivery()
	}
	return out, nil
}

// SentDelivery reports whether any generation of kind and key has been
// sent to recipient.
func (s *Store) SentDelivery(ctx context.Context, kind, key, recipient string) (bool, error) {
	var sent bool
	err := s.db.GetContext(ctx, &sent, s.db.Rebind(`SELECT count(*) > 0 FROM deliveries
		WHERE kind = ? AND dkey = ? AND recipient = ? AND status = 'sent'`), kind, key, normEmail(recipient))
	return sent, s.wrap(fmt.Sprintf("read delivery %s/%s to %s", kind, key, normEmail(recipient)), err)
}
