// Package ingest owns the import of one extract file: it opens the file
// once, hashes it, skips content already imported, streams the rows from
// importers into one store transaction, and decides (with --strict) whether row errors reject
// the file. It also sorts a drop folder's files into staff and completions.
package ingest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/user"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/nhs-prevent/prevent/importers"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/store"
)

// Options configure an import.
type Options struct {
	Aliases   map[string][]string
	Limits    importers.Limits // resource limits (zero: the importers' defaults)
	Strict    bool             // reject the whole file when any row is bad
	Course    string           // completions: the course of a one-course report with no course column
	Effective time.Time        // staff: the snapshot's effective date; zero = from the file name, else Today
	Today     time.Time        // the calendar day of the import (defaults to time.Now)
	Progress  func(file string, rows int, done, total int64)
	// Only, when set, limits Dir to the files it accepts (by name); the
	// others stay in the folder untouched. The scheduler uses it to leave
	// files that are still being copied.
	Only func(name string) bool
	// Policy, when set, is the config's rules: a completions import then
	// stores only completions of courses that map to a Prevent level, and
	// of the other courses only how many rows each had (for the quality
	// report). Most rows of an LMS export are other mandatory courses, so
	// this is most of the import's work saved. Should the course rules
	// later map a course that was only counted, importing the same file
	// again stores its rows.
	Policy *compliance.Policy
	// RegularOnly reads only regular files, never through a symbolic link
	// or from a device or pipe (importers.OpenRegular). Dir sets it: who
	// can write to a drop folder chooses what its entries are.
	RegularOnly bool
	// Skipped, when set, is told of each entry Dir leaves alone because it
	// is not a regular file (a symbolic link, a pipe, a device), and why.
	Skipped func(name, why string)
	// Keep lists files Dir leaves where they are should they be in the
	// folder, such as the config file in use (the store's own files are
	// left there always).
	Keep []string
}

// Result reports one file's import.
type Result struct {
	File    string
	Kind    importers.Kind
	Skipped bool // same content imported before
	// Previous is the earlier import of the same content: the one that
	// made this one Skipped, or the first import of a file read again for
	// ReRead.
	Previous *store.Import
	// ReRead names, when a completions file imported before is read again
	// because the course rules now map courses its first import only
	// counted (Import.ReReadOf), those courses; nil otherwise.
	ReRead    []string
	Import    store.Import
	Effective time.Time
	Errors    []importers.RowError
	// Unknown is, after an exemptions import, how many exemptions held
	// name an employee number in no staff snapshot (kept: the person may
	// appear in a later extract).
	Unknown int
	// EffectiveToday is set when a staff extract's effective date is the
	// day of its import: neither --effective nor its file name gave one.
	EffectiveToday bool
	// Replaced is, after a staff import, the snapshot held for the same
	// effective date that it replaced (FileName "" when there was none).
	Replaced store.ReplacedSnapshot
}

// RejectedError is a file refused whole under --strict: nothing was imported.
type RejectedError struct {
	File   string
	Errors []importers.RowError
}

func (e *RejectedError) Error() string {
	first := e.Errors[0].Error()
	more := ""
	if n := len(e.Errors) - 1; n > 0 {
		more = fmt.Sprintf(" (and %d more bad row%s)", n, plural(n))
	}
	return fmt.Sprintf("%s rejected under --strict, nothing imported: %s%s", filepath.Base(e.File), first, more)
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func (o *Options) today() time.Time {
	if o.Today.IsZero() {
		return compliance.Day(time.Now())
	}
	return compliance.Day(o.Today)
}

func (o *Options) readOptions(file string) importers.Options {
	ro := importers.Options{Aliases: o.Aliases, Limits: o.Limits, RegularOnly: o.RegularOnly, Course: o.Course,
		StartDatesUnused: o.Policy != nil && o.Policy.NewStarterDays <= 0}
	if o.Progress != nil {
		ro.Progress = func(rows int, done, total int64) { o.Progress(file, rows, done, total) }
	}
	return ro
}

// courseFilter keeps the courses that map to a Prevent level or are
// annual-update courses, matching
// each distinct course name against the rules once.
func courseFilter(pol *compliance.Policy) func(string) bool {
	seen := make(map[string]bool)
	return func(course string) bool {
		keep, ok := seen[course]
		if !ok {
			keep = pol.CourseGroup(course) != 0
			seen[strings.Clone(course)] = keep
		}
		return keep
	}
}

// Operator names who ran the import, for the imports log.
func Operator() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return u.Username
	}
	return os.Getenv("USER")
}

func storeErrors(errs []importers.RowError) []store.RowError {
	out := make([]store.RowError, len(errs))
	for i, e := range errs {
		out[i] = store.RowError{Row: e.Row, Column: e.Column, Value: e.Value, Reason: e.Reason}
	}
	return out
}

// open opens a file for its import, once: the SHA-256 that tells content
// imported before and the rows come through the same handle.
func (o *Options) open(path string) (*importers.Extract, string, error) {
	x, err := importers.Open(path, importers.Options{Limits: o.Limits, RegularOnly: o.RegularOnly})
	if err != nil {
		return nil, "", err
	}
	hash, err := x.SHA256()
	if err != nil {
		_ = x.Close()
		return nil, "", err
	}
	return x, hash, nil
}

// Staff imports one staff extract as the snapshot for its effective date.
func Staff(ctx context.Context, s *store.Store, path string, opt Options) (Result, error) {
	res := Result{File: path, Kind: importers.Staff}
	x, hash, err := opt.open(path)
	if err != nil {
		return res, err
	}
	defer x.Close()
	if prev, err := s.PriorImport(ctx, hash, store.KindStaff, filepath.Base(path)); err != nil {
		return res, err
	} else if prev != nil {
		res.Skipped, res.Previous = true, prev
		return res, nil
	}
	eff := opt.Effective
	if eff.IsZero() {
		if d, ok := importers.EffectiveDateFromName(filepath.Base(path)); ok {
			eff = d
		} else {
			eff, res.EffectiveToday = opt.today(), true
		}
	}
	res.Effective = eff
	tx, err := s.BeginStaffImport(ctx, store.Import{
		Kind: string(importers.Staff), FileName: filepath.Base(path), SHA256: hash,
		EffectiveDate: eff, ImportedBy: Operator(),
	})
	if err != nil {
		return res, err
	}
	res.Replaced, _ = tx.Replaced()
	sum, err := pipe(func(emit func(compliance.Assignment) error) (importers.Summary, error) {
		return x.ReadStaff(opt.readOptions(path), emit)
	}, tx.Add)
	res.Errors = sum.Errors
	if err == nil {
		err = opt.strict(path, sum)
	}
	return finish(ctx, s, tx, res, sum, err, func(imp store.Import) string {
		return fmt.Sprintf("staff extract %s effective %s: %d rows read, %d imported, %d rejected%s",
			imp.FileName, eff.Format(time.DateOnly), imp.RowsRead, imp.RowsImported, imp.RowsRejected, RepeatedNote(imp))
	})
}

// RepeatedNote ends a staff import's summary with the rows that repeated
// an earlier row word for word and were stored once; "" when none did.
func RepeatedNote(imp store.Import) string {
	switch imp.RowsDuplicate {
	case 0:
		return ""
	case 1:
		return ", 1 row repeating another word for word (stored once)"
	}
	return fmt.Sprintf(", %d rows repeating others word for word (stored once)", imp.RowsDuplicate)
}

// strict refuses a file with bad rows under --strict.
func (o *Options) strict(path string, sum importers.Summary) error {
	if o.Strict && len(sum.Errors) > 0 {
		return &RejectedError{File: path, Errors: sum.Errors}
	}
	return nil
}

// importTx is a file's import transaction, staff or completions.
type importTx interface {
	Commit(rowsRead, rowsRejected int, errs []store.RowError) (store.Import, error)
	Rollback() error
}

// finish ends a file's import: on any error so far, or a stop, it rolls
// the whole file back; else it commits and records the import in the audit
// trail, described by describe.
func finish(ctx context.Context, s *store.Store, tx importTx, res Result, sum importers.Summary, err error, describe func(store.Import) string) (Result, error) {
	if err == nil {
		err = ctx.Err()
	}
	if err != nil {
		_ = tx.Rollback()
		return res, err
	}
	if res.Import, err = tx.Commit(sum.RowsRead, len(sum.Errors), storeErrors(sum.Errors)); err != nil {
		return res, err
	}
	// The import has committed: record it even if the run is being stopped.
	err = s.Audit(context.WithoutCancel(ctx), time.Now(), res.Import.ImportedBy, store.AuditImport, describe(res.Import))
	return res, err
}

// Completions imports one completions extract; completions already held
// count once.
func Completions(ctx context.Context, s *store.Store, path string, opt Options) (Result, error) {
	res := Result{File: path, Kind: importers.Completions}
	x, hash, err := opt.open(path)
	if err != nil {
		return res, err
	}
	defer x.Close()
	prev, err := s.PriorImport(ctx, hash, store.KindCompletions, filepath.Base(path))
	if err != nil {
		return res, err
	}
	ro := opt.readOptions(path)
	imp := store.Import{Kind: string(importers.Completions), FileName: filepath.Base(path), SHA256: hash, ImportedBy: Operator()}
	var newlyMapped []string
	if prev != nil {
		if newlyMapped, err = nowMapped(ctx, s, prev, opt.Policy); err != nil || len(newlyMapped) == 0 {
			res.Skipped, res.Previous = true, prev
			return res, err
		}
		// The course rules now map courses that this file's import only
		// counted: store their rows, as an import of their own.
		want := make(map[string]bool, len(newlyMapped))
		for _, c := range newlyMapped {
			want[c] = true
		}
		ro.KeepCourse = func(c string) bool { return want[c] }
		imp.SHA256 = importers.HashOf(hash + "\n" + strings.Join(newlyMapped, "\n"))
		imp.ReReadOf, res.Previous, res.ReRead = prev.ID, prev, newlyMapped
	} else if opt.Policy != nil {
		ro.KeepCourse = courseFilter(opt.Policy)
		// What the quality report lists is stored whatever its course:
		// completions naming nobody in the staff snapshots, and those
		// dated after today.
		known, err := s.KnownStaff(ctx)
		if err != nil {
			return res, err
		}
		today := opt.today()
		ro.KeepAnyway = func(emp, email string, day time.Time) bool {
			return day.After(today) || !known.Names(emp, email)
		}
	}
	tx, err := s.BeginCompletionImport(ctx, imp)
	if errors.Is(err, store.ErrAlreadyImported) && prev != nil {
		res.Skipped, res.Previous = true, prev
		return res, nil
	}
	if err != nil {
		return res, err
	}
	var rows []store.CompletionRow
	sum, err := pipeBatches(func(emit func(importers.CompletionRow) error) (importers.Summary, error) {
		return x.ReadCompletions(ro, emit)
	}, func(batch []importers.CompletionRow) error {
		rows = rows[:0]
		for _, r := range batch {
			rows = append(rows, store.CompletionRow(r))
		}
		return tx.AddBatch(rows)
	})
	res.Errors = sum.Errors
	if err == nil {
		err = opt.strict(path, sum)
	}
	if err == nil && prev == nil {
		err = tx.CountSkipped(sum.Skipped)
		tx.NotCompleted(sum.NotCompleted)
	}
	if err == nil && prev != nil {
		// Rows that were only counted are stored now; bad rows were
		// reported by the first import.
		err = tx.StoredSkipped(prev.ID, newlyMapped)
		res.Errors, sum.RowsRead, sum.Errors = nil, sum.RowsOK, nil
	}
	return finish(ctx, s, tx, res, sum, err, func(imp store.Import) string {
		if prev != nil {
			return fmt.Sprintf("completions %s read again for %s: %d rows, %d new, %d already held",
				imp.FileName, ReReadCourses(newlyMapped), imp.RowsRead, imp.RowsImported, imp.RowsDuplicate)
		}
		return fmt.Sprintf("completions %s: %d rows read, %d new, %d already held, %d rejected%s",
			imp.FileName, imp.RowsRead, imp.RowsImported, imp.RowsDuplicate, imp.RowsRejected, NotCompletedNote(imp))
	})
}

// maxReReadCourses caps the course names ReReadCourses lists.
const maxReReadCourses = 3

// ReReadCourses names the courses a re-read stored, for its import line:
// `the newly mapped course "Prevent Awareness v2"`, or `3 newly mapped
// courses ("A", "B", "C")`, with at most three names.
func ReReadCourses(courses []string) string {
	if len(courses) == 1 {
		return fmt.Sprintf("the newly mapped course %q", courses[0])
	}
	names := make([]string, 0, maxReReadCourses)
	for i, c := range courses {
		if i == maxReReadCourses {
			names = append(names, fmt.Sprintf("and %d more", len(courses)-maxReReadCourses))
			break
		}
		names = append(names, fmt.Sprintf("%q", c))
	}
	return fmt.Sprintf("%d newly mapped courses (%s)", len(courses), strings.Join(names, ", "))
}

// NotCompletedNote is ", N not completed" for an import with rows that
// were not completions yet, else "": lines that had none read as before.
func NotCompletedNote(imp store.Import) string {
	if imp.RowsNotCompleted == 0 {
		return ""
	}
	return fmt.Sprintf(", %d not completed", imp.RowsNotCompleted)
}

// nowMapped lists the course names an earlier import of the file counted
// without storing that the course rules now map to a Prevent level.
func nowMapped(ctx context.Context, s *store.Store, prev *store.Import, pol *compliance.Policy) ([]string, error) {
	if pol == nil {
		return nil, nil
	}
	skipped, err := s.SkippedCourses(ctx, prev.ID)
	if err != nil {
		return nil, err
	}
	var out []string
	for c := range skipped {
		if pol.CourseGroup(c) != 0 {
			out = append(out, c)
		}
	}
	sort.Strings(out)
	return out, nil
}

// batchRows is how many rows cross from the reading goroutine to the
// storing one at a time.
const batchRows = 1024

// errStopped stops the reader when storing has failed.
var errStopped = errors.New("import stopped")

// pipe reads a file on one goroutine and stores its rows on this one, so
// that decoding the file and writing the database use both cores. Rows
// keep their order. A storing error stops the reader and is returned.
func pipe[T any](read func(emit func(T) error) (importers.Summary, error), add func(T) error) (importers.Summary, error) {
	return pipeBatches(read, func(batch []T) error {
		for _, r := range batch {
			if err := add(r); err != nil {
				return err
			}
		}
		return nil
	})
}

// pipeBatches is pipe handing the rows over a batch at a time.
func pipeBatches[T any](read func(emit func(T) error) (importers.Summary, error), add func([]T) error) (importers.Summary, error) {
	full := make(chan []T, 4)
	empty := make(chan []T, 5)
	stop := make(chan struct{})
	var sum importers.Summary
	var readErr error
	go func() {
		defer close(full)
		batch := make([]T, 0, batchRows)
		send := func() error {
			select {
			case full <- batch:
			case <-stop:
				return errStopped
			}
			select {
			case batch = <-empty:
			default:
				batch = make([]T, 0, batchRows)
			}
			return nil
		}
		sum, readErr = read(func(r T) error {
			if batch = append(batch, r); len(batch) == batchRows {
				return send()
			}
			return nil
		})
		if readErr == nil && len(batch) > 0 {
			readErr = send()
		}
	}()
	var addErr error
	for batch := range full {
		if addErr == nil {
			if addErr = add(batch); addErr != nil {
				close(stop)
			}
		}
		clear(batch)
		select {
		case empty <- batch[:0]:
		default:
		}
	}
	if addErr != nil {
		return sum, addErr
	}
	return sum, readErr
}

// File imports a file of the given kind.
func File(ctx context.Context, s *store.Store, kind importers.Kind, path string, opt Options) (Result, error) {
	switch kind {
	case importers.Staff:
		return Staff(ctx, s, path, opt)
	case importers.Exemptions:
		return Exemptions(ctx, s, path, opt)
	case importers.Referrals:
		return Referrals(ctx, s, path, opt)
	case importers.Meetings:
		return Meetings(ctx, s, path, opt)
	}
	return Completions(ctx, s, path, opt)
}

// Exemptions imports one exemptions file. Its rows add to the exemptions
// held; a row with the employee number and From of one held replaces it,
// and within the file the last such row wins.
func Exemptions(ctx context.Context, s *store.Store, path string, opt Options) (Result, error) {
	res := Result{File: path, Kind: importers.Exemptions}
	x, hash, err := opt.open(path)
	if err != nil {
		return res, err
	}
	defer x.Close()
	if prev, err := s.PriorImport(ctx, hash, store.KindExemptions, filepath.Base(path)); err != nil {
		return res, err
	} else if prev != nil {
		res.Skipped, res.Previous = true, prev
		return res, nil
	}
	tx, err := s.BeginExemptionImport(ctx, store.Import{FileName: filepath.Base(path), SHA256: hash, ImportedBy: Operator()})
	if err != nil {
		return res, err
	}
	sum, err := pipe(func(emit func(importers.ExemptionRow) error) (importers.Summary, error) {
		return x.ReadExemptions(opt.readOptions(path), emit)
	}, func(r importers.ExemptionRow) error { return tx.Add(r.Exemption, r.Row) })
	res.Errors = sum.Errors
	if err == nil {
		err = opt.strict(path, sum)
	}
	res, err = finish(ctx, s, tx, res, sum, err, func(imp store.Import) string {
		return fmt.Sprintf("exemptions %s: %d rows read, %d new, %d replacing one held, %d rejected",
			imp.FileName, imp.RowsRead, imp.RowsImported, imp.RowsDuplicate, imp.RowsRejected)
	})
	if err != nil {
		return res, err
	}
	unknown, err := s.UnknownExemptions(ctx)
	if err != nil {
		return res, fmt.Errorf("%s is imported, but its exemptions could not be checked against the staff extracts: %w", filepath.Base(path), err)
	}
	res.Unknown = len(unknown)
	return res, nil
}

// DirResult is one file's outcome in a drop folder.
type DirResult struct {
	Result
	Err     error
	MovedTo string
}

// dirJob is a drop-folder file waiting for its turn.
type dirJob struct {
	path     string
	kind     importers.Kind
	eff      time.Time
	modified time.Time
	err      error
}

// Dir imports every extract in a drop folder: each file is classified by its
// header row, staff extracts go first so that completions keyed by email
// can be matched (oldest effective date first; of two for one date, the
// one saved last goes last, so that it stands), then completions. Each file is
// moved to DIR/processed or, when it failed, DIR/failed with a
// NAME.error.txt beside it saying why.
//
// Whoever can write to the folder chooses what is in it, so Dir reads only
// regular files (a symbolic link, a pipe or a device is skipped and told to
// opt.Skipped), refuses processed/ or failed/ when they are links, and
// moves and writes only inside the folder, never through a link.
func Dir(ctx context.Context, s *store.Store, dir string, opt Options) ([]DirResult, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot read drop folder %s: %w", dir, err)
	}
	if err := CheckSubfolders(dir); err != nil {
		return nil, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("cannot open drop folder %s: %w", dir, err)
	}
	defer root.Close()
	opt.RegularOnly = true
	kept, err := KeptFiles(ctx, s, opt.Keep)
	if err != nil {
		return nil, err
	}
	jobs := dirJobs(dir, entries, kept, opt)
	var out []DirResult
	for _, j := range jobs {
		if ctx.Err() != nil {
			break
		}
		r := DirResult{Result: Result{File: j.path, Kind: j.kind}, Err: j.err}
		if j.err == nil {
			r.Result, r.Err = File(ctx, s, j.kind, j.path, opt)
		}
		if ctx.Err() != nil && r.Err != nil {
			break // interrupted: leave the file where it is for the next run
		}
		dest := "processed"
		if r.Err != nil {
			dest = "failed"
		}
		moved, err := move(root, filepath.Base(j.path), dest, r.Err)
		if err != nil {
			return out, fmt.Errorf("drop folder %s: %w", dir, err)
		}
		r.MovedTo = filepath.Join(dir, moved)
		out = append(out, r)
	}
	return out, ctx.Err()
}

// KeptFiles tells the files a drop folder leaves where they are, and why
// ("" for one not worth a word), by a folder entry's FileInfo: the store's
// own files (an SQLite database kept in the folder, and the files SQLite
// and the scheduler keep beside it), for moving the database away would
// leave the next run an empty one, and the files in keep (the config file
// in use), which would otherwise go to failed/ as no extract.
func KeptFiles(ctx context.Context, s *store.Store, keep []string) (func(fs.FileInfo) (why string, kept bool), error) {
	files, err := s.Files(ctx)
	if err != nil {
		return nil, err
	}
	type kept struct {
		info os.FileInfo
		why  string
	}
	var mine []kept
	for i, f := range files {
		why := ""
		if i == 0 {
			why = "it is the database prevent is using (keep the database outside the drop folder)"
		}
		if info, err := os.Stat(f); err == nil {
			mine = append(mine, kept{info, why})
		}
	}
	for _, f := range keep {
		if info, err := os.Stat(f); err == nil {
			mine = append(mine, kept{info, "it is the config file prevent is using"})
		}
	}
	return func(info fs.FileInfo) (string, bool) {
		for _, m := range mine {
			if os.SameFile(info, m.info) {
				return m.why, true
			}
		}
		return "", false
	}, nil
}

// dirJobs classifies the folder's files and puts them in import order,
// leaving out those kept (KeptFiles).
func dirJobs(dir string, entries []os.DirEntry, kept func(fs.FileInfo) (string, bool), opt Options) []dirJob {
	var jobs []dirJob
	for _, e := range entries {
		name := e.Name()
		if !Importable(e) || (opt.Only != nil && !opt.Only(name)) {
			continue
		}
		info, infoErr := e.Info() // infoErr: gone since the listing, which Classify says
		if infoErr == nil {
			if why, ok := kept(info); ok {
				if why != "" && opt.Skipped != nil {
					opt.Skipped(name, why)
				}
				continue
			}
		}
		if !e.Type().IsRegular() {
			if opt.Skipped != nil {
				opt.Skipped(name, notRegular(e.Type()))
			}
			continue
		}
		p := filepath.Join(dir, name)
		k, err := importers.Classify(p, importers.Options{Aliases: opt.Aliases, Limits: opt.Limits, RegularOnly: true})
		j := dirJob{path: p, kind: k, err: err}
		if d, ok := importers.EffectiveDateFromName(name); ok {
			j.eff = d
		}
		if infoErr == nil {
			j.modified = info.ModTime()
		}
		jobs = append(jobs, j)
	}
	rank := func(j dirJob) int {
		switch {
		case j.err != nil:
			return 2
		case j.kind == importers.Staff:
			return 0
		}
		return 1
	}
	sort.SliceStable(jobs, func(a, b int) bool {
		ra, rb := rank(jobs[a]), rank(jobs[b])
		if ra != rb {
			return ra < rb
		}
		if !jobs[a].eff.Equal(jobs[b].eff) {
			return jobs[a].eff.Before(jobs[b].eff)
		}
		// Of two staff extracts for one date (an extract and its
		// correction), the one saved last is imported last, and so stands.
		if ra == 0 && !jobs[a].modified.Equal(jobs[b].modified) { // both staff
			return jobs[a].modified.Before(jobs[b].modified)
		}
		return jobs[a].path < jobs[b].path
	})
	return jobs
}

// notRegular says why a folder entry is skipped.
func notRegular(mode fs.FileMode) string {
	switch {
	case mode&fs.ModeSymlink != 0:
		return "it is a symbolic link; only files in the drop folder itself are imported"
	case mode&(fs.ModeNamedPipe|fs.ModeSocket) != 0:
		return "it is a pipe or socket, not a file"
	case mode&fs.ModeDevice != 0:
		return "it is a device, not a file"
	}
	return "it is not a regular file"
}

// CheckSubfolders refuses a drop folder whose processed/ or failed/ is
// anything but a real folder: through a link, files would be moved (and
// reasons written) wherever it points.
func CheckSubfolders(dir string) error {
	for _, sub := range []string{"processed", "failed"} {
		p := filepath.Join(dir, sub)
		st, err := os.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return fmt.Errorf("drop folder %s: %w", dir, err)
		case st.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link, so nothing is imported from %s: make %s a real folder (files are never moved through a link)", p, dir, sub)
		case !st.IsDir():
			return fmt.Errorf("%s is a file, so nothing is imported from %s: remove it, or make it a folder", p, dir)
		}
	}
	return nil
}

// Importable reports whether Dir considers a folder entry: a file whose
// name may be an extract's (importers.ExtractName).
func Importable(e os.DirEntry) bool {
	return !e.IsDir() && importers.ExtractName(e.Name())
}

// ReasonSuffix ends the name of the file Dir writes beside a failed file
// to say why it failed.
const ReasonSuffix = importers.ReasonSuffix

// maxReasonBytes bounds what ReadReason reads: Dir writes one sentence.
const maxReasonBytes = 16 << 10

// ReadReason reads the reason written beside a failed file: only a regular
// file (never through a link, nor from a device), and at most a few KB.
func ReadReason(path string) (string, error) {
	f, _, err := importers.OpenRegular(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxReasonBytes))
	return string(b), err
}

// movedStamp is the timestamp move adds before a file's extension when its
// folder holds a file of that name already; movedPattern matches a name
// with one.
const movedStamp = ".20060102T150405.000000000"

var movedPattern = regexp.MustCompile(`^(.+)\.\d{8}T\d{6}\.\d{9}((?:\.[^.]*)?)$`)

// DroppedName is the name a file moved by Dir had in the drop folder: its
// name without the timestamp a move may have added.
func DroppedName(moved string) string {
	if m := movedPattern.FindStringSubmatch(moved); m != nil {
		return m[1] + m[2]
	}
	return moved
}

// move puts the drop folder's file name into its subfolder sub, never
// overwriting: a name already there (or with a reason beside it) gets a
// timestamp suffix. With a failure, the reason is written beside it, in a
// file created new (O_EXCL does not follow a planted link). Everything
// goes through root, which refuses any path that leads out of the folder.
// It returns the file's new path within the folder.
func move(root *os.Root, name, sub string, failure error) (string, error) {
	if err := root.Mkdir(sub, 0o700); err != nil && !errors.Is(err, fs.ErrExist) {
		return "", err
	}
	if st, err := root.Lstat(sub); err != nil || !st.IsDir() {
		return "", fmt.Errorf("%s is not a real folder; nothing moved", sub)
	}
	dest := filepath.Join(sub, name)
	if taken(root, dest) || (failure != nil && taken(root, dest+ReasonSuffix)) {
		ext := filepath.Ext(dest)
		dest = strings.TrimSuffix(dest, ext) + time.Now().Format(movedStamp) + ext
	}
	if err := root.Rename(name, dest); err != nil {
		return "", fmt.Errorf("cannot move %s to %s: %w", name, sub, err)
	}
	if failure == nil {
		return dest, nil
	}
	f, err := root.OpenFile(dest+ReasonSuffix, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return dest, fmt.Errorf("cannot write why %s failed: %w", name, err)
	}
	_, err = f.WriteString(failure.Error() + "\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return dest, err
}

// taken reports whether a name is in use, whatever it is (a dangling link
// included).
func taken(root *os.Root, name string) bool {
	_, err := root.Lstat(name)
	return err == nil
}

// IsRejected reports whether err is a --strict rejection.
func IsRejected(err error) bool {
	var r *RejectedError
	return errors.As(err, &r)
}
