package ingest

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/nhs-prevent/prevent/importers"
	"github.com/nhs-prevent/prevent/internal/store"
)

// Referrals imports a referral log: each concern replaces the row held for
// its case reference, so a case whose outcome has moved on counts at its
// latest stage. A log with a column of personal data is refused whole.
func Referrals(ctx context.Context, s *store.Store, path string, opt Options) (Result, error) {
	return activityLog(ctx, s, path, opt, importers.Referrals, func(x *importers.Extract, tx *store.ActivityImport) (importers.Summary, error) {
		return x.ReadReferrals(opt.readOptions(path), func(r importers.ReferralRow) error {
			return tx.AddReferral(r.Reference, r.Referral, r.Row)
		})
	})
}

// Meetings imports a partnership meetings log: a meeting (day and forum)
// imported again takes its last row.
func Meetings(ctx context.Context, s *store.Store, path string, opt Options) (Result, error) {
	return activityLog(ctx, s, path, opt, importers.Meetings, func(x *importers.Extract, tx *store.ActivityImport) (importers.Summary, error) {
		return x.ReadMeetings(opt.readOptions(path), func(m importers.MeetingRow) error {
			return tx.AddMeeting(m.Meeting, m.Row)
		})
	})
}

// activityLog imports a referral or meetings log in one transaction,
// through the same content check (SHA-256) as every import.
func activityLog(ctx context.Context, s *store.Store, path string, opt Options, kind importers.Kind, read func(*importers.Extract, *store.ActivityImport) (importers.Summary, error)) (Result, error) {
	res := Result{File: path, Kind: kind}
	x, hash, err := opt.open(path)
	if err != nil {
		return res, err
	}
	defer x.Close()
	if prev, err := s.PriorImport(ctx, hash, string(kind), filepath.Base(path)); err != nil {
		return res, err
	} else if prev != nil {
		res.Skipped, res.Previous = true, prev
		return res, nil
	}
	imp := store.Import{FileName: filepath.Base(path), SHA256: hash, ImportedBy: Operator()}
	begin := s.BeginReferralImport
	if kind == importers.Meetings {
		begin = s.BeginMeetingImport
	}
	tx, err := begin(ctx, imp)
	if err != nil {
		return res, err
	}
	sum, err := read(x, tx)
	res.Errors = sum.Errors
	if err == nil {
		err = opt.strict(path, sum)
	}
	// The audit line holds counts only: never a case reference.
	return finish(ctx, s, tx, res, sum, err, func(imp store.Import) string {
		return fmt.Sprintf("%s %s: %d rows read, %d new, %d replaced, %d rejected",
			kind, imp.FileName, imp.RowsRead, imp.RowsImported, imp.RowsDuplicate, imp.RowsRejected)
	})
}
