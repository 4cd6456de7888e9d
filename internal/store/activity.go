package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/nhs-prevent/prevent/internal/activity"
	"github.com/nhs-prevent/prevent/internal/glob"
)

// Import kinds of the Prevent activity logs.
const (
	KindReferrals = "referrals"
	KindMeetings  = "meetings"
)

// ReferenceKey is the form in which a case reference is kept: the SHA-256
// of the reference trimmed and in upper case, so that "pr-001 " and
// "PR-001" are one case and the reference itself is never stored.
func ReferenceKey(reference string) string {
	h := sha256.Sum256([]byte(strings.ToUpper(strings.TrimSpace(reference))))
	return hex.EncodeToString(h[:])
}

// ActivityImport is a referral or meetings log being imported, in one
// transaction: each row replaces the one held for its case (referrals) or
// its day and forum (meetings), so the last row in import order stands.
// RowsImported counts rows new to the store, RowsDuplicate rows that
// replaced one held (from this or an earlier file).
type ActivityImport struct {
	importTx
	seen map[string]bool // keys written by this import
}

// BeginReferralImport starts importing a referral log.
func (s *Store) BeginReferralImport(ctx context.Context, imp Import) (*ActivityImport, error) {
	return s.beginActivity(ctx, imp, KindReferrals)
}

// BeginMeetingImport starts importing a partnership meetings log.
func (s *Store) BeginMeetingImport(ctx context.Context, imp Import) (*ActivityImport, error) {
	return s.beginActivity(ctx, imp, KindMeetings)
}

func (s *Store) beginActivity(ctx context.Context, imp Import, kind string) (*ActivityImport, error) {
	imp.Kind = kind
	imp.EffectiveDate = time.Time{}
	t, err := s.begin(ctx, imp)
	if err != nil {
		return nil, err
	}
	return &ActivityImport{importTx: *t, seen: map[string]bool{}}, nil
}

// AddReferral stores a concern under its case reference, replacing any row
// held for the same reference.
func (t *ActivityImport) AddReferral(reference string, r activity.Referral, row int) error {
	if err := t.check(); err != nil {
		return err
	}
	key := ReferenceKey(reference)
	if strings.TrimSpace(reference) == "" || r.Raised.IsZero() {
		return fmt.Errorf("referral log %s row %d: no reference or date", t.imp.FileName, row)
	}
	return t.upsert(key, row, `INSERT INTO referrals (reference_key, raised_on, subject, service, outcome, import_id, source_row)
		VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (reference_key) DO UPDATE SET raised_on = excluded.raised_on, subject = excluded.subject,
			service = excluded.service, outcome = excluded.outcome, import_id = excluded.import_id, source_row = excluded.source_row`,
		`SELECT 1 FROM referrals WHERE reference_key = ?`, []any{key},
		key, dayArg(r.Raised), string(r.Subject), r.Service, r.Outcome.String(), t.imp.ID, row)
}

// AddMeeting stores a meeting, replacing any held for the same day and
// forum (trimmed, spaces collapsed, any case).
func (t *ActivityImport) AddMeeting(m activity.Meeting, row int) error {
	if err := t.check(); err != nil {
		return err
	}
	fk := glob.Normalize(m.Forum)
	if fk == "" || m.Date.IsZero() {
		return fmt.Errorf("meetings log %s row %d: no date or forum", t.imp.FileName, row)
	}
	d := dayArg(m.Date)
	return t.upsert(d+"|"+fk, row, `INSERT INTO meetings (met_on, forum_key, forum, attended, import_id, source_row)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (met_on, forum_key) DO UPDATE SET forum = excluded.forum, attended = excluded.attended,
			import_id = excluded.import_id, source_row = excluded.source_row`,
		`SELECT 1 FROM meetings WHERE met_on = ? AND forum_key = ?`, []any{d, fk},
		d, fk, strings.TrimSpace(m.Forum), m.Attended, t.imp.ID, row)
}

// upsert writes a row, counting it new or a replacement.
func (t *ActivityImport) upsert(key string, row int, insert, exists string, existsArgs []any, args ...any) error {
	var one int
	err := t.tx.QueryRowxContext(t.ctx, t.tx.Rebind(exists), existsArgs...).Scan(&one)
	held := err == nil
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return t.s.wrap(fmt.Sprintf("%s row %d", t.imp.FileName, row), err)
	}
	if _, err := t.tx.ExecContext(t.ctx, t.tx.Rebind(insert), args...); err != nil {
		return t.s.wrap(fmt.Sprintf("%s row %d", t.imp.FileName, row), err)
	}
	switch {
	case !held:
		t.imp.RowsImported++
	case !t.seen[key]:
		t.imp.RowsDuplicate++ // replaced a row of an earlier import
	default:
		t.imp.RowsDuplicate++ // repeated within this file: the last row stands
	}
	t.seen[key] = true
	return nil
}

// Commit records the counts and row errors and commits.
func (t *ActivityImport) Commit(rowsRead, rowsRejected int, errs []RowError) (Import, error) {
	if err := t.check(); err != nil {
		return Import{}, err
	}
	t.imp.RowsRead, t.imp.RowsRejected = rowsRead, rowsRejected
	return t.commit(errs)
}

// Rollback abandons the import: nothing of it is kept.
func (t *ActivityImport) Rollback() error { return t.rollback(nil) }

type referralRow struct {
	Raised  day    `db:"raised_on"`
	Subject string `db:"subject"`
	Service string `db:"service"`
	Outcome string `db:"outcome"`
}

// Referrals returns every concern held (its latest row), in date order.
// References are not returned: they are not stored.
func (s *Store) Referrals(ctx context.Context) ([]activity.Referral, error) {
	var rows []referralRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT raised_on, subject, service, outcome FROM referrals ORDER BY raised_on, reference_key`); err != nil {
		return nil, s.wrap("list referrals", err)
	}
	out := make([]activity.Referral, len(rows))
	for i, r := range rows {
		o, err := activity.ParseOutcome(r.Outcome)
		if err != nil {
			return nil, fmt.Errorf("referrals: stored outcome %q: %w", r.Outcome, err)
		}
		out[i] = activity.Referral{Raised: r.Raised.Time, Subject: activity.Subject(r.Subject), Service: r.Service, Outcome: o}
	}
	return out, nil
}

type meetingRow struct {
	Date     day    `db:"met_on"`
	Forum    string `db:"forum"`
	Attended bool   `db:"attended"`
}

// Meetings returns every partnership meeting held, in date order.
func (s *Store) Meetings(ctx context.Context) ([]activity.Meeting, error) {
	var rows []meetingRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT met_on, forum, attended FROM meetings ORDER BY met_on, forum_key`); err != nil {
		return nil, s.wrap("list meetings", err)
	}
	out := make([]activity.Meeting, len(rows))
	for i, r := range rows {
		out[i] = activity.Meeting{Date: r.Date.Time, Forum: r.Forum, Attended: r.Attended}
	}
	return out, nil
}

// HasActivityLogs reports whether a referral or meetings log has ever been
// imported: the return's referrals section appears from then on.
func (s *Store) HasActivityLogs(ctx context.Context) (bool, error) {
	var n int
	err := s.db.GetContext(ctx, &n, s.db.Rebind(`SELECT COUNT(*) FROM imports WHERE kind IN (?, ?)`), KindReferrals, KindMeetings)
	return n > 0, s.wrap("look for activity logs", err)
}

// LeadRecord is a Prevent lead as recorded when first seen.
type LeadRecord struct {
	ID         int64
	Lead       activity.Lead
	SeenOn     time.Time
	RecordedAt time.Time
	IsChange   bool // false for the first lead ever seen
}

type leadRow struct {
	ID         int64   `db:"id"`
	Name       string  `db:"name"`
	Email      string  `db:"email"`
	Phone      string  `db:"phone"`
	SeenOn     day     `db:"seen_on"`
	RecordedAt instant `db:"recorded_at"`
	IsChange   bool    `db:"is_change"`
}

// LeadHistory returns every Prevent lead recorded, oldest first.
func (s *Store) LeadHistory(ctx context.Context) ([]LeadRecord, error) {
	var rows []leadRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT id, name, email, phone, seen_on, recorded_at, is_change FROM prevent_leads ORDER BY id`); err != nil {
		return nil, s.wrap("list Prevent leads", err)
	}
	out := make([]LeadRecord, len(rows))
	for i, r := range rows {
		out[i] = LeadRecord{ID: r.ID, Lead: activity.Lead{Name: r.Name, Email: r.Email, Phone: r.Phone},
			SeenOn: r.SeenOn.Time, RecordedAt: r.RecordedAt.Time, IsChange: r.IsChange}
	}
	return out, nil
}

// RecordLead records lead as seen on seen, unless it is the same (as
// activity.Lead.Same compares) as the lead last recorded; the check and
// the insert are one transaction, so two processes record a change once.
// It returns the record and whether it was new; a new record is a change
// unless it is the first lead ever recorded.
func (s *Store) RecordLead(ctx context.Context, lead activity.Lead, seen, now time.Time) (LeadRecord, bool, error) {
	var rec LeadRecord
	var added bool
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		if s.dialect == Postgres {
			if _, err := tx.ExecContext(ctx, `LOCK TABLE prevent_leads IN EXCLUSIVE MODE`); err != nil {
				return s.wrap("lock Prevent leads", err)
			}
		}
		var last leadRow
		err := tx.GetContext(ctx, &last, `SELECT id, name, email, phone, seen_on, recorded_at, is_change FROM prevent_leads ORDER BY id DESC LIMIT 1`)
		first := errors.Is(err, sql.ErrNoRows)
		if err != nil && !first {
			return s.wrap("read the last Prevent lead", err)
		}
		if !first && lead.Same(activity.Lead{Name: last.Name, Email: last.Email, Phone: last.Phone}) {
			rec = LeadRecord{ID: last.ID, Lead: activity.Lead{Name: last.Name, Email: last.Email, Phone: last.Phone},
				SeenOn: last.SeenOn.Time, RecordedAt: last.RecordedAt.Time, IsChange: last.IsChange}
			return nil
		}
		rec = LeadRecord{Lead: trimLead(lead), SeenOn: dayOf(seen), RecordedAt: now.UTC().Truncate(time.Microsecond), IsChange: !first}
		err = tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO prevent_leads (name, email, phone, seen_on, recorded_at, is_change)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`), rec.Lead.Name, rec.Lead.Email, rec.Lead.Phone,
			dayArg(seen), s.instantArg(now), rec.IsChange).Scan(&rec.ID)
		added = err == nil
		return s.wrap("record the Prevent lead", err)
	})
	return rec, added, err
}

func trimLead(l activity.Lead) activity.Lead {
	return activity.Lead{Name: strings.TrimSpace(l.Name), Email: strings.TrimSpace(l.Email), Phone: strings.TrimSpace(l.Phone)}
}

func dayOf(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ProviderReferrals is a provider's referrals section for a quarter, as
// collated in commissioner mode.
type ProviderReferrals struct {
	ProviderCode      string
	Quarter           string
	FileName          string
	SHA256            string
	ReceivedAt        time.Time
	CollatedAt        time.Time
	Record            string // the section's row as CSV
	ReferredToPrevent string // a count, or "*" when withheld
}

// SaveProviderReferrals keeps a provider's referrals section for its
// quarter, unless one received later is held already. It reports whether
// it was kept.
func (s *Store) SaveProviderReferrals(ctx context.Context, r ProviderReferrals) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO provider_referrals
		(provider_code, quarter, file_name, file_sha256, received_at, collated_at, record_csv, referred_to_prevent)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (provider_code, quarter) DO UPDATE SET file_name = excluded.file_name,
			file_sha256 = excluded.file_sha256, received_at = excluded.received_at, collated_at = excluded.collated_at,
			record_csv = excluded.record_csv, referred_to_prevent = excluded.referred_to_prevent
		WHERE provider_referrals.received_at <= excluded.received_at`),
		strings.ToUpper(r.ProviderCode), r.Quarter, r.FileName, r.SHA256, s.instantArg(r.ReceivedAt), s.instantArg(r.CollatedAt),
		r.Record, r.ReferredToPrevent)
	if err != nil {
		return false, s.wrap("save referrals of "+r.ProviderCode, err)
	}
	n, err := res.RowsAffected()
	return n > 0, s.wrap("save referrals of "+r.ProviderCode, err)
}

// ProviderReferralsFor returns every provider's referrals section held for
// a quarter, by provider code.
func (s *Store) ProviderReferralsFor(ctx context.Context, quarter string) (map[string]ProviderReferrals, error) {
	var rows []struct {
		Code     string  `db:"provider_code"`
		Quarter  string  `db:"quarter"`
		File     string  `db:"file_name"`
		SHA      string  `db:"file_sha256"`
		Received instant `db:"received_at"`
		Collated instant `db:"collated_at"`
		Record   string  `db:"record_csv"`
		Referred string  `db:"referred_to_prevent"`
	}
	err := s.db.SelectContext(ctx, &rows, s.db.Rebind(`SELECT provider_code, quarter, file_name, file_sha256, received_at,
		collated_at, record_csv, referred_to_prevent FROM provider_referrals WHERE quarter = ?`), quarter)
	if err != nil {
		return nil, s.wrap("list providers' referrals", err)
	}
	out := make(map[string]ProviderReferrals, len(rows))
	for _, r := range rows {
		out[r.Code] = ProviderReferrals{ProviderCode: r.Code, Quarter: r.Quarter, FileName: r.File, SHA256: r.SHA,
			ReceivedAt: r.Received.Time, CollatedAt: r.Collated.Time, Record: r.Record, ReferredToPrevent: r.Referred}
	}
	return out, nil
}
