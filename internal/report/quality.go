package report

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/glob"
	"github.com/nhs-prevent/prevent/internal/store"
)

// Quality is the data-quality report: what the imports could not use or
// that an analyst should check.
type Quality struct {
	Imports   []store.Import
	RowErrors []store.ImportRowError
	Unmatched []store.UnmatchedCompletion
	Future    []store.FutureCompletion
	// Unmapped are course names that map to no Prevent level; Suspect are
	// those among them that look like Prevent training (probably a missing
	// course rule).
	Unmapped []store.CourseCount
	Suspect  []store.CourseCount
	// Exemptions is true when any exemption is held; UnknownExemptions
	// are those for employee numbers in no staff snapshot.
	Exemptions        bool
	UnknownExemptions []store.HeldExemption
	// Shared are the emails keying completions that more than one person
	// holds in a staff extract: the completions count for the first only.
	Shared []store.SharedEmail
	// Unstored are the completions files holding courses the rules now
	// count whose rows were counted, not stored, at import.
	Unstored []UnstoredFile
}

// UnstoredFile is a completions file imported before the course rules
// counted some of its courses: their rows were counted, not stored, and
// count for nobody until the file is imported again (which stores them).
type UnstoredFile struct {
	FileName   string
	ImportedAt time.Time
	Courses    []string
	Rows       int
}

// Unstored lists, by import, the courses the policy now counts that
// imports counted without storing, and that no later import stored.
func Unstored(ctx context.Context, s *store.Store, pol compliance.Policy) ([]UnstoredFile, error) {
	counted, err := s.CountedCourses(ctx)
	if err != nil {
		return nil, err
	}
	var out []UnstoredFile
	last := int64(-1)
	for _, c := range counted {
		if pol.CourseGroup(c.Course) == 0 {
			continue
		}
		// A later export holding the course stored its rows (LMS exports
		// are cumulative). Asked only of the courses left, which are few:
		// none once the rules stand still.
		later, err := s.StoredAfter(ctx, c.CourseKey, c.ImportID)
		if err != nil {
			return nil, err
		}
		if later {
			continue
		}
		if c.ImportID != last {
			out = append(out, UnstoredFile{FileName: c.FileName, ImportedAt: c.ImportedAt})
			last = c.ImportID
		}
		f := &out[len(out)-1]
		f.Courses = append(f.Courses, c.Course)
		f.Rows += c.Rows
	}
	return out, nil
}

// Advice says what an unstored file's courses are and how to count them,
// as quality and every report's note put it.
func (f UnstoredFile) Advice() string {
	names := make([]string, 0, min(len(f.Courses), 3))
	for i, c := range f.Courses {
		if i == 3 {
			names = append(names, fmt.Sprintf("and %d more", len(f.Courses)-3))
			break
		}
		names = append(names, strconv.Quote(figures.Printable(c)))
	}
	return fmt.Sprintf("%s, imported %s before a course rule counted %s (%d %s), holds completions counted then but not stored, which count for nobody: import it again to count them (prevent import completions %q, from the folder it was imported from; import dir keeps the files it took in processed/)",
		figures.Printable(f.FileName), f.ImportedAt.Local().Format("2006-01-02"), strings.Join(names, ", "), f.Rows,
		pluralWord(f.Rows, "row", "rows"), figures.Printable(f.FileName))
}

var suspectWords = glob.Set{glob.MustCompile("*prevent *"), glob.MustCompile("*prevent"), glob.MustCompile("*radicali*"), glob.MustCompile("*wrap*")}

// LoadQuality gathers the data-quality findings.
func LoadQuality(ctx context.Context, s *store.Store, pol compliance.Policy) (*Quality, error) {
	return loadQuality(ctx, s, pol, true)
}

// LoadQualityCounts gathers the findings the annual report counts: all
// but the emails several people hold and the files of courses not stored,
// which are the workforce team's to act on and cost a national database
// seconds to find.
func LoadQualityCounts(ctx context.Context, s *store.Store, pol compliance.Policy) (*Quality, error) {
	return loadQuality(ctx, s, pol, false)
}

func loadQuality(ctx context.Context, s *store.Store, pol compliance.Policy, all bool) (*Quality, error) {
	var q Quality
	var err error
	if q.Imports, err = s.Imports(ctx); err != nil {
		return nil, err
	}
	if q.RowErrors, err = s.RowErrors(ctx, 0); err != nil {
		return nil, err
	}
	if q.Exemptions, err = s.HasExemptions(ctx); err != nil {
		return nil, err
	}
	if q.Exemptions {
		if q.UnknownExemptions, err = s.UnknownExemptions(ctx); err != nil {
			return nil, err
		}
	}
	// Each of these reads every completion held: on their own connections
	// at once, a national history takes the time of the slowest.
	var courses []store.CourseCount
	var wg sync.WaitGroup
	errs := make([]error, 5)
	wg.Go(func() { q.Unmatched, errs[0] = s.UnmatchedCompletions(ctx) })
	wg.Go(func() { q.Future, errs[1] = s.FutureCompletions(ctx) })
	wg.Go(func() { courses, errs[2] = s.CourseNames(ctx) })
	if all {
		wg.Go(func() { q.Shared, errs[3] = s.SharedEmails(ctx) })
		wg.Go(func() { q.Unstored, errs[4] = Unstored(ctx, s, pol) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	for _, c := range courses {
		if pol.CourseGroup(c.Course) != 0 {
			continue
		}
		q.Unmapped = append(q.Unmapped, c)
		n := glob.Normalize(c.Course)
		if suspectWords.MatchNormalized(n) && !strings.Contains(n, "prevention") {
			q.Suspect = append(q.Suspect, c)
		}
	}
	sort.SliceStable(q.Unmapped, func(i, j int) bool { return q.Unmapped[i].Count > q.Unmapped[j].Count })
	return &q, nil
}

// SharedNote says who holds a shared email and whom its completions count
// for, as quality and the imports page put it.
func SharedNote(e store.SharedEmail) string {
	holders := e.Owner
	for i, o := range e.Others {
		sep := ", "
		if i == len(e.Others)-1 {
			sep = " and "
		}
		holders += sep + o
	}
	return fmt.Sprintf("held by %s in the extract effective %s; its %d %s %s for %s only",
		figures.Printable(holders), e.Effective.Format(time.DateOnly), e.Completions,
		pluralWord(e.Completions, "completion", "completions"), pluralWord(e.Completions, "counts", "count"), figures.Printable(e.Owner))
}

// NotCompleted counts the completion rows of every import that were not
// completions yet: not errors, but an analyst sees how many there were.
func (q *Quality) NotCompleted() int {
	n := 0
	for _, imp := range q.Imports {
		n += imp.RowsNotCompleted
	}
	return n
}

// Gone says why a staff extract's snapshot is no longer held (see
// store.Import.Gone), as the quality report and the imports page put it;
// "" while it is held.
func Gone(gone string) string {
	switch gone {
	case store.SnapshotReplaced:
		return "replaced by a later import of an extract for that date; not in force"
	case store.SnapshotPurged:
		return "purged; not held"
	}
	return ""
}

// ReReads counts the imports that read a completions file again for
// courses a rule had come to map (store.Import.ReReadOf).
func (q *Quality) ReReads() int { return q.Totals().ReReads }

// FirstImport returns the import that a re-read read the file of again.
func (q *Quality) FirstImport(reread store.Import) (store.Import, bool) {
	for _, imp := range q.Imports {
		if imp.ID == reread.ReReadOf {
			return imp, true
		}
	}
	return store.Import{}, false
}

// ImportTotals count the files imported and their rows, each file once: a
// re-read of a completions file for newly mapped courses is not another
// file, and its rows were read by the file's first import.
type ImportTotals struct {
	Files   int            // files imported, of every kind
	ByKind  map[string]int // files imported, by store kind
	ReReads int            // completions files read again for newly mapped courses
	// RowsRead counts each file's rows once; RowsImported counts the rows
	// stored, by first imports and re-reads alike (a re-read stores rows
	// its file's first import did not).
	RowsRead, RowsImported int
}

// Totals counts the imports held, each file once.
func (q *Quality) Totals() ImportTotals {
	t := ImportTotals{ByKind: make(map[string]int)}
	for _, imp := range q.Imports {
		t.RowsImported += imp.RowsImported
		if imp.IsReRead() {
			t.ReReads++
			continue
		}
		t.Files++
		t.ByKind[imp.Kind]++
		t.RowsRead += imp.RowsRead
	}
	return t
}

// listLimit caps each section on the terminal; the counts are always whole.
const listLimit = 20

// writeList writes a section of the report: a blank line, its heading with
// the whole count, then the first listLimit items a line each and how
// many more there are.
func writeList[T any](w io.Writer, heading string, items []T, line func(T) string) {
	fmt.Fprintf(w, "\n%s: %d\n", heading, len(items))
	for i, it := range items {
		if i == listLimit {
			fmt.Fprintf(w, "  ... %d more\n", len(items)-listLimit)
			break
		}
		fmt.Fprintf(w, "  %s\n", line(it))
	}
}

// Write prints the report for people to read.
func (q *Quality) Write(w io.Writer) error {
	fmt.Fprintf(w, "Data quality\n\n")
	rereads := ""
	switch n := q.ReReads(); n {
	case 0:
	case 1:
		rereads = " (1 of them a completions file read again for newly mapped courses)"
	default:
		rereads = fmt.Sprintf(" (%d of them completions files read again for newly mapped courses)", n)
	}
	fmt.Fprintf(w, "Imports: %d%s\n", len(q.Imports), rereads)
	for i, imp := range q.Imports {
		if i == listLimit {
			fmt.Fprintf(w, "  ... %d more\n", len(q.Imports)-listLimit)
			break
		}
		if imp.IsReRead() {
			// Its rows were read, and are counted, by the first import.
			first := ""
			if f, ok := q.FirstImport(imp); ok {
				first = " (first imported " + f.ImportedAt.Local().Format("2006-01-02 15:04") + ")"
			}
			fmt.Fprintf(w, "  %s  %-11s %s, read again for newly mapped courses%s: %d rows of those courses, %d imported, %d duplicate\n",
				imp.ImportedAt.Local().Format("2006-01-02 15:04"), imp.Kind, figures.Printable(imp.FileName), first,
				imp.RowsRead, imp.RowsImported, imp.RowsDuplicate)
			continue
		}
		eff := ""
		if !imp.EffectiveDate.IsZero() {
			eff = " effective " + imp.EffectiveDate.Format(time.DateOnly)
			if gone := Gone(imp.Gone); gone != "" {
				eff += " (" + gone + ")"
			}
		}
		notDone := ""
		if imp.RowsNotCompleted > 0 {
			notDone = fmt.Sprintf(", %d not completed", imp.RowsNotCompleted)
		}
		fmt.Fprintf(w, "  %s  %-11s %s%s: %d rows read, %d imported, %d duplicate, %d rejected%s\n",
			imp.ImportedAt.Local().Format("2006-01-02 15:04"), imp.Kind, figures.Printable(imp.FileName), eff,
			imp.RowsRead, imp.RowsImported, imp.RowsDuplicate, imp.RowsRejected, notDone)
	}
	if n := q.NotCompleted(); n > 0 {
		fmt.Fprintf(w, "\nCompletion rows not completed yet (blank date, in progress, not started; skipped, not errors): %d\n", n)
	}

	writeList(w, "Rejected rows", q.RowErrors, func(e store.ImportRowError) string {
		// The sentence the import gave: the cell's value before its reason.
		if e.Value != "" {
			return fmt.Sprintf("%s row %d, column %q: %q %s", figures.Printable(e.FileName), e.Row, e.Column, e.Value, figures.Printable(e.Reason))
		}
		return fmt.Sprintf("%s row %d, column %q: %s", figures.Printable(e.FileName), e.Row, e.Column, figures.Printable(e.Reason))
	})
	writeList(w, "Completions naming nobody in any staff extract", q.Unmatched, func(u store.UnmatchedCompletion) string {
		return fmt.Sprintf("%s row %d: %s, %q on %s", figures.Printable(u.FileName), u.Row, figures.Printable(cmp.Or(u.EmployeeNumber, u.Email)),
			u.Course, u.CompletedOn.Format(time.DateOnly))
	})
	// Printed only when there are some: a report without them reads as
	// it always has.
	if len(q.Shared) > 0 {
		writeList(w, "Emails keying completions that more than one person holds in a staff extract (each counts for the first holder only)", q.Shared,
			func(e store.SharedEmail) string { return figures.Printable(e.Email) + ": " + SharedNote(e) })
	}
	if q.Exemptions {
		writeList(w, "Exemptions for employee numbers in no staff extract (kept, in case they appear later)", q.UnknownExemptions, func(e store.HeldExemption) string {
			return fmt.Sprintf("%s row %d: %s, %q from %s", e.FileName, e.Row, e.EmployeeNumber, e.Reason, e.From.Format(time.DateOnly))
		})
	}
	writeList(w, "Completions dated after the day they were imported", q.Future, func(f store.FutureCompletion) string {
		return fmt.Sprintf("%s row %d: %s, %q dated %s, imported %s", figures.Printable(f.FileName), f.Row, figures.Printable(cmp.Or(f.EmployeeNumber, f.Email)),
			f.Course, f.CompletedOn.Format(time.DateOnly), f.ImportedAt.Format(time.DateOnly))
	})
	if len(q.Unstored) > 0 { // as the shared emails, only when there are some
		writeList(w, "Files with completions of courses the rules now count, not stored when imported", q.Unstored, UnstoredFile.Advice)
	}

	fmt.Fprintf(w, "\nCourse names that look like Prevent training but match no course rule: %d\n", len(q.Suspect))
	for _, c := range q.Suspect {
		fmt.Fprintf(w, "  %q (%d completions): add a rule under courses: in the config if it counts\n", c.Course, c.Count)
	}
	fmt.Fprintf(w, "\nOther course names that map to no Prevent level (ignored): %d\n", len(q.Unmapped)-len(q.Suspect))
	shown := 0
	for _, c := range q.Unmapped {
		if slices.Contains(q.Suspect, c) {
			continue
		}
		if shown == listLimit {
			fmt.Fprintf(w, "  ...\n")
			break
		}
		fmt.Fprintf(w, "  %q (%d)\n", c.Course, c.Count)
		shown++
	}
	return nil
}
