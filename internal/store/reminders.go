package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// ReminderKind is the deliveries kind of every reminder message.
const ReminderKind = "reminder"

// ReturnKind is the deliveries kind of the quarterly return, keyed by the
// quarter: `prevent return --send` and the scheduler's return job send
// through it alike, so that the two never both send one.
const ReturnKind = "return"

// DueNever is the due key of a person with no qualifying completion.
const DueNever = "never"

// ReminderNotice is one person on one reminder to one recipient. A notice
// is held at most once per (Recipient, EmployeeNumber, DueKey, Point), so
// nobody is told twice about one lapse.
type ReminderNotice struct {
	Recipient      string // lower case
	EmployeeNumber string
	DueKey         string // the due date as YYYY-MM-DD, or DueNever
	Point          string // "lead", "manager", "before-30", "expired", ...
	// DeliveryKey is the key of the reminder delivery (kind ReminderKind)
	// whose message lists the person; "" for a point passed without a
	// message.
	DeliveryKey string
	AsOf        time.Time // the as-of date the message describes
	CreatedAt   time.Time
}

// NoticeKey identifies a notice.
type NoticeKey struct {
	Recipient, EmployeeNumber, DueKey, Point string
}

// Key is the notice's identity.
func (n ReminderNotice) Key() NoticeKey {
	return NoticeKey{n.Recipient, n.EmployeeNumber, n.DueKey, n.Point}
}

type noticeRow struct {
	Recipient      string  `db:"recipient"`
	EmployeeNumber string  `db:"employee_number"`
	DueKey         string  `db:"due_key"`
	Point          string  `db:"point"`
	DeliveryKey    string  `db:"delivery_key"`
	AsOf           day     `db:"as_of"`
	CreatedAt      instant `db:"created_at"`
}

func (r noticeRow) notice() ReminderNotice {
	return ReminderNotice{Recipient: r.Recipient, EmployeeNumber: r.EmployeeNumber, DueKey: r.DueKey, Point: r.Point,
		DeliveryKey: r.DeliveryKey, AsOf: r.AsOf.Time, CreatedAt: r.CreatedAt.Time}
}

const noticeColumns = `n.recipient, n.employee_number, n.due_key, n.point, n.delivery_key, n.as_of, n.created_at`

// reminderLock is the PostgreSQL advisory lock key that serialises
// recording reminder notices between processes ("remind" in ASCII).
const reminderLock = 0x72656d696e64

// noticesPerInsert bounds the rows of one multi-row INSERT (7 parameters
// each, well inside SQLite's limit).
const noticesPerInsert = 200

// RecordReminderNotices records notices in one transaction, skipping every
// notice already held (recorded by an earlier run, or by another process
// at the same moment), and returns the notices it inserted, sorted. For
// each delivery key among them it queues the reminder delivery to its
// recipient in the same transaction, so a notice is never held without
// the message that carries it.
//
// Of two processes recording the same notice at once, the UNIQUE
// constraint lets exactly one insert it: the other skips it.
func (s *Store) RecordReminderNotices(ctx context.Context, notices []ReminderNotice, now time.Time) ([]ReminderNotice, error) {
	list, err := normaliseNotices(notices)
	if err != nil {
		return nil, fmt.Errorf("record reminder notices: %w", err)
	}
	if len(list) == 0 {
		return nil, nil
	}
	at := s.instantArg(now)
	var inserted []ReminderNotice
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if s.dialect == Postgres {
			// One recorder at a time, as SQLite's write lock gives: a
			// second run waits, then finds the notices held and skips them.
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, reminderLock); err != nil {
				return s.wrap("lock reminder notices", err)
			}
		}
		byKey := make(map[NoticeKey]ReminderNotice, len(list))
		for start := 0; start < len(list); start += noticesPerInsert {
			chunk := list[start:min(start+noticesPerInsert, len(list))]
			args := make([]any, 0, 7*len(chunk))
			for _, n := range chunk {
				byKey[n.Key()] = n
				args = append(args, n.Recipient, n.EmployeeNumber, n.DueKey, n.Point, n.DeliveryKey, dayArg(n.AsOf), at)
			}
			q := `INSERT INTO reminder_notices
				(recipient, employee_number, due_key, point, delivery_key, as_of, created_at) VALUES ` +
				strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?), ", len(chunk)), ", ") + `
				ON CONFLICT (recipient, employee_number, due_key, point) DO NOTHING
				RETURNING recipient, employee_number, due_key, point`
			rows, err := tx.QueryxContext(ctx, tx.Rebind(q), args...)
			if err != nil {
				return s.wrap("record reminder notices", err)
			}
			for rows.Next() {
				var k NoticeKey
				if err := rows.Scan(&k.Recipient, &k.EmployeeNumber, &k.DueKey, &k.Point); err != nil {
					rows.Close()
					return s.wrap("record reminder notices", err)
				}
				n := byKey[k]
				n.CreatedAt = now.UTC().Truncate(time.Microsecond)
				inserted = append(inserted, n)
			}
			if err := rows.Close(); err != nil {
				return s.wrap("record reminder notices", err)
			}
			if err := rows.Err(); err != nil {
				return s.wrap("record reminder notices", err)
			}
		}
		sortNotices(inserted)
		queued := map[[2]string]bool{}
		for _, n := range inserted {
			d := [2]string{n.DeliveryKey, n.Recipient}
			if n.DeliveryKey == "" || queued[d] {
				continue
			}
			queued[d] = true
			if err := s.queueDelivery(ctx, tx, ReminderKind, n.DeliveryKey, n.Recipient, at); err != nil {
				return s.wrap(fmt.Sprintf("queue reminder %s to %s", n.DeliveryKey, n.Recipient), err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return inserted, nil
}

// normaliseNotices lower-cases recipients, checks every field, drops
// repeats (the first wins) and sorts the notices.
func normaliseNotices(notices []ReminderNotice) ([]ReminderNotice, error) {
	seen := make(map[NoticeKey]bool, len(notices))
	out := make([]ReminderNotice, 0, len(notices))
	for _, n := range notices {
		n.Recipient = normEmail(n.Recipient)
		n.EmployeeNumber = strings.TrimSpace(n.EmployeeNumber)
		n.DeliveryKey = strings.TrimSpace(n.DeliveryKey)
		switch {
		case n.Recipient == "":
			return nil, errors.New("a notice has no recipient")
		case n.EmployeeNumber == "":
			return nil, fmt.Errorf("a notice to %s has no employee number", n.Recipient)
		case strings.TrimSpace(n.DueKey) == "" || strings.TrimSpace(n.Point) == "":
			return nil, fmt.Errorf("the notice to %s about %s has no due date or point", n.Recipient, n.EmployeeNumber)
		case n.AsOf.IsZero():
			return nil, fmt.Errorf("the notice to %s about %s has no as-of date", n.Recipient, n.EmployeeNumber)
		}
		if k := n.Key(); !seen[k] {
			seen[k] = true
			out = append(out, n)
		}
	}
	sortNotices(out)
	return out, nil
}

func sortNotices(list []ReminderNotice) {
	sort.Slice(list, func(i, j int) bool {
		a, b := list[i], list[j]
		switch {
		case a.Recipient != b.Recipient:
			return a.Recipient < b.Recipient
		case a.EmployeeNumber != b.EmployeeNumber:
			return a.EmployeeNumber < b.EmployeeNumber
		case a.DueKey != b.DueKey:
			return a.DueKey < b.DueKey
		}
		return a.Point < b.Point
	})
}

// recipientsPerQuery bounds the IN list of one query.
const recipientsPerQuery = 500

// ReminderNotices returns every notice held for the recipients, sorted by
// recipient, employee number, due key and point. It only reads.
func (s *Store) ReminderNotices(ctx context.Context, recipients []string) ([]ReminderNotice, error) {
	seen := map[string]bool{}
	var addrs []string
	for _, r := range recipients {
		if r = normEmail(r); r != "" && !seen[r] {
			seen[r] = true
			addrs = append(addrs, r)
		}
	}
	var out []ReminderNotice
	for start := 0; start < len(addrs); start += recipientsPerQuery {
		chunk := addrs[start:min(start+recipientsPerQuery, len(addrs))]
		q, args, err := sqlx.In(`SELECT `+noticeColumns+` FROM reminder_notices n WHERE n.recipient IN (?)`, chunk)
		if err != nil {
			return nil, err
		}
		var rows []noticeRow
		if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
			return nil, s.wrap("read reminder notices", err)
		}
		for _, r := range rows {
			out = append(out, r.notice())
		}
	}
	sortNotices(out)
	return out, nil
}

// PendingReminder is a reminder message recorded but not yet delivered:
// its delivery failed, is queued, or its sender died. Its content is its
// notices.
type PendingReminder struct {
	Delivery Delivery
	Notices  []ReminderNotice // sorted by employee number
}

// PendingReminders lists the reminder messages not yet delivered, oldest
// first, each with its notices. It only reads.
func (s *Store) PendingReminders(ctx context.Context) ([]PendingReminder, error) {
	var ds []deliveryRow
	err := s.db.SelectContext(ctx, &ds, s.db.Rebind(`SELECT `+deliveryColumns+` FROM deliveries
		WHERE kind = ? AND status <> 'sent' AND generation = 0
		ORDER BY created_at, id`), ReminderKind)
	if err != nil {
		return nil, s.wrap("list reminders not yet sent", err)
	}
	if len(ds) == 0 {
		return nil, nil
	}
	out := make([]PendingReminder, len(ds))
	index := make(map[[2]string]int, len(ds))
	keys := make([]string, 0, len(ds))
	for i, d := range ds {
		out[i].Delivery = d.Delivery()
		index[[2]string{d.Key, d.Recipient}] = i
		keys = append(keys, d.Key)
	}
	for start := 0; start < len(keys); start += recipientsPerQuery {
		chunk := keys[start:min(start+recipientsPerQuery, len(keys))]
		q, args, err := sqlx.In(`SELECT `+noticeColumns+` FROM reminder_notices n WHERE n.delivery_key IN (?)
			ORDER BY n.delivery_key, n.employee_number, n.due_key, n.point`, chunk)
		if err != nil {
			return nil, err
		}
		var rows []noticeRow
		if err := s.db.SelectContext(ctx, &rows, s.db.Rebind(q), args...); err != nil {
			return nil, s.wrap("read reminder notices", err)
		}
		for _, r := range rows {
			if i, ok := index[[2]string{r.DeliveryKey, r.Recipient}]; ok {
				out[i].Notices = append(out[i].Notices, r.notice())
			}
		}
	}
	return out, nil
}
