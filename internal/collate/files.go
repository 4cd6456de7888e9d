package collate

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// FileOptions tune Files.
type FileOptions struct {
	Rules     Rules
	Providers []Provider // the configured providers; a return from another is kept, flagged unknown
	// Received, when set, is when every file arrived; otherwise each file's
	// modification time (when the attachment was saved) is taken.
	Received time.Time
	Now      time.Time // when the collation runs; time.Now when zero
}

// Result is what became of one file.
type Result struct {
	Path       string
	ReceivedAt time.Time
	Return     *Return   // as read; nil when the file is not a return
	Problems   []Problem // why the return was refused; empty when accepted
	Err        error     // the file is not a return or cannot be read
	Known      bool      // its provider is configured
	// RefusedBefore is set when the same content was refused before for
	// the same reason: nothing new was recorded.
	RefusedBefore bool
	Saved         store.SavedReturn
	// Referrals is the file's referrals section (the referrals CSV, or the
	// Referrals sheet of an XLSX return), stored per provider and quarter;
	// nil when it has none. A referrals CSV alone has no Return.
	Referrals *Referrals
}

// ReferralsOnly reports whether the file is a referrals section alone (the
// referrals CSV), collated as such.
func (r Result) ReferralsOnly() bool { return r.Err == nil && r.Return == nil && r.Referrals != nil }

// Accepted reports whether the file was accepted as a return.
func (r Result) Accepted() bool { return r.Err == nil && len(r.Problems) == 0 && r.Return != nil }

// Dir lists the files in a folder to collate: every file, hidden ones and
// subfolders left out, by name.
func Dir(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot read folder %s: %w", dir, unwrapPath(err))
	}
	var paths []string
	for _, e := range entries {
		if e.IsDir() || strings.HasPrefix(e.Name(), ".") || strings.HasPrefix(e.Name(), "~$") {
			continue // lock files Excel leaves beside an open workbook too
		}
		paths = append(paths, filepath.Join(dir, e.Name()))
	}
	return paths, nil
}

// maxDetail bounds the problems kept with a rejected file.
const maxDetail = 100

// Files reads, checks and stores each file, in the order received (then
// by name), so that a resubmission replaces the return it corrects. An
// accepted return is stored per provider and quarter; a refused one is
// recorded with its problems and never used. A file that is not a return
// is reported in its Result and stored nowhere. The error is for the
// store failing, which stops the run.
func Files(ctx context.Context, s *store.Store, paths []string, opt FileOptions) ([]Result, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	results := make([]Result, len(paths))
	for i, p := range paths {
		results[i] = Result{Path: p, ReceivedAt: opt.Received}
		if opt.Received.IsZero() {
			st, err := os.Stat(p)
			if err != nil {
				results[i].Err = fmt.Errorf("cannot read %s: %w", filepath.Base(p), unwrapPath(err))
				continue
			}
			results[i].ReceivedAt = st.ModTime()
		}
	}
	sort.SliceStable(results, func(i, j int) bool {
		a, b := results[i], results[j]
		if !a.ReceivedAt.Equal(b.ReceivedAt) {
			return a.ReceivedAt.Before(b.ReceivedAt)
		}
		return a.Path < b.Path
	})
	known := map[string]bool{}
	for _, p := range opt.Providers {
		known[strings.ToUpper(p.ODSCode)] = true
	}
	for i := range results {
		res := &results[i]
		if res.Err != nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			return results[:i], err
		}
		ref, err := ReadReferralsFile(res.Path)
		if err != nil {
			res.Err = err
			continue
		}
		// A referrals section for another quarter than the one being
		// collated is refused, as a training return for another quarter
		// is: it would stand as this quarter's.
		var wrongQuarter *Problem
		if q := opt.Rules.Quarter; ref != nil && q != (returns.Quarter{}) && ref.Quarter != q {
			wrongQuarter = &Problem{File: ref.File, Column: "quarter",
				Reason: fmt.Sprintf("the referrals section is for %s, but %s is being collated", ref.Quarter, q)}
			ref = nil
		}
		res.Referrals = ref
		if res.Referrals != nil {
			if _, err := s.SaveProviderReferrals(ctx, storeReferrals(res, opt.Now)); err != nil {
				return results[:i], err
			}
		}
		t, err := ReadFile(res.Path)
		if err != nil {
			switch {
			case wrongQuarter != nil && IsNotReturn(err): // a referrals file alone
				res.Err = errors.New(wrongQuarter.Error())
			case res.Referrals == nil || !IsNotReturn(err):
				res.Err = err
			}
			continue
		}
		res.Return, res.Problems = Check(t, opt.Rules)
		if wrongQuarter != nil {
			// A workbook whose Referrals sheet is for another quarter is
			// refused whole, whatever its training table says.
			res.Problems = append(res.Problems, *wrongQuarter)
		}
		res.Known = known[res.Return.Provider.ODSCode]
		if len(res.Problems) > 0 {
			if err := reject(ctx, s, res, opt); err != nil {
				return results[:i], err
			}
			continue
		}
		if res.Saved, err = s.SaveProviderReturn(ctx, storeReturn(res, opt.Now)); err != nil {
			return results[:i], err
		}
	}
	return results, nil
}

func storeReturn(res *Result, now time.Time) store.ProviderReturn {
	r, t := res.Return, res.Return.Total
	return store.ProviderReturn{
		ProviderCode: r.Provider.ODSCode, ProviderName: r.Provider.Name, Quarter: r.Quarter.String(),
		FileName: r.Table.File, SHA256: r.Table.SHA256, Format: r.Table.Format,
		ReceivedAt: res.ReceivedAt, CollatedAt: now,
		Organisations: r.Organisations, Headcount: t.Headcount,
		Basic: t.Level(compliance.Basic), Level3: t.Level(compliance.Level3), FaceToFace: t.Level(compliance.FaceToFace),
		AllCompliant: t.All.Compliant, Table: r.CSV(),
	}
}

func storeReferrals(res *Result, now time.Time) store.ProviderReferrals {
	r := res.Referrals
	return store.ProviderReferrals{ProviderCode: r.Provider.ODSCode, Quarter: r.Quarter.String(), FileName: r.File,
		SHA256: r.SHA256, ReceivedAt: res.ReceivedAt, CollatedAt: now, Record: r.CSV(), ReferredToPrevent: r.ReferredToPrevent()}
}

func reject(ctx context.Context, s *store.Store, res *Result, opt FileOptions) error {
	r, first := res.Return, res.Problems[0]
	quarter := ""
	switch {
	case r.Quarter != (returns.Quarter{}):
		quarter = r.Quarter.String()
	case opt.Rules.Quarter != (returns.Quarter{}):
		quarter = opt.Rules.Quarter.String()
	}
	lines := make([]string, 0, min(len(res.Problems), maxDetail))
	for i, p := range res.Problems {
		if i == maxDetail {
			lines = append(lines, fmt.Sprintf("... and %d more", len(res.Problems)-maxDetail))
			break
		}
		lines = append(lines, p.Error())
	}
	recorded, err := s.RecordProviderRejection(ctx, store.ProviderRejection{
		FileName: r.Table.File, SHA256: r.Table.SHA256, ProviderCode: r.Provider.ODSCode, Quarter: quarter,
		ReceivedAt: res.ReceivedAt, CollatedAt: opt.Now, Row: first.Row, Column: first.Column, Reason: first.Reason,
		Detail: strings.Join(lines, "\n"),
	})
	res.RefusedBefore = err == nil && !recorded
	return err
}

// IsNotReturn reports whether err says a file is not a return at all.
func IsNotReturn(err error) bool {
	var nr *NotReturnError
	return errors.As(err, &nr)
}
