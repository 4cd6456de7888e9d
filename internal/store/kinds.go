package store

import (
	"context"
	"fmt"
	"time"
)

// kindPhrases say, per kind of file, what content imported as another
// kind is not.
var kindPhrases = map[string]string{
	KindStaff:       "not a staff extract",
	KindCompletions: "not a completions file",
	KindExemptions:  "not an exemptions list",
	KindReferrals:   "not a referral log",
	KindMeetings:    "not a meetings log",
}

// KindError is file content offered as one kind that was imported before
// as another: a completions file offered as a staff extract, say. The
// content cannot be both, so the second import is refused rather than
// passed over as a repeat.
type KindError struct {
	File     string // base name of the file offered
	Offered  string // the kind it was offered as
	Previous Import // the first import of the same content
}

// Error reads `lms.csv: already imported as completions on 2026-11-01; not
// a staff extract`.
func (e *KindError) Error() string {
	not, ok := kindPhrases[e.Offered]
	if !ok {
		not = "not a " + e.Offered + " file"
	}
	return fmt.Sprintf("%s: already imported as %s on %s; %s", e.File, e.Previous.Kind,
		e.Previous.ImportedAt.Local().Format(time.DateOnly), not)
}

// PriorImport returns the import of the content with this SHA-256, or nil
// when there is none. Every kind's import asks it first: content imported
// before as the same kind is a repeat (the caller says so and does
// nothing), while content imported as another kind is a *KindError.
func (s *Store) PriorImport(ctx context.Context, sha, kind, file string) (*Import, error) {
	prev, err := s.ImportByHash(ctx, sha)
	if err != nil || prev == nil {
		return prev, err
	}
	if prev.Kind != kind {
		return nil, &KindError{File: file, Offered: kind, Previous: *prev}
	}
	return prev, nil
}
