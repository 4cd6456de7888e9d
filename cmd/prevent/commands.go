package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/nhs-prevent/prevent/importers"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/glob"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/report"
)

const importUsage = `Usage:
  prevent import staff FILE... [--effective YYYY-MM-DD] [--strict]
  prevent import completions FILE... [--strict] [--course NAME]
  prevent import exemptions FILE... [--strict]
  prevent import referrals FILE... [--strict]
  prevent import meetings FILE... [--strict]
  prevent import dir DIR

Staff extracts (ESR, one row per assignment) are full snapshots of the
workforce on their effective date: --effective, else a date in the file name
(2026-09-30, 20260930, 30-09-2026), else today. Importing another extract for
the same effective date replaces that snapshot.

Completion extracts (LMS or ESR competences) are cumulative history: the same
person, course and date count once however often they arrive. Rows keyed by
email are matched to the person with that email in any staff snapshot.

Rows that are not completions yet (a blank date; Progress or Status "In
progress", "Not yet started" or "Not started"; a Yes/No "Completed" of No)
are skipped and counted as not completed: they are not errors, and
--strict does not refuse a file for them. Dates may be written as Totara
("5 Mar 2024") and Moodle ("Thursday, 14 March 2024, 10:30 AM",
"14/03/24, 10:30") write them. A report of one course that has no course
column takes its course from --course.

Files may be .csv (comma, semicolon or tab; BOM and Windows line ends are
fine) or .xlsx (title rows above the header are skipped). A bad row is
skipped and reported; --strict rejects the whole file instead. A file with a
missing column imports nothing. The same file imported twice is a no-op,
unless a course rule added since maps a course its first import only
counted: the file is then read again for that course, and its rows stored
(the import line, 'quality' and the dashboard show it as the same file read
again).

Referral logs (Reference, Date or Date Raised, Subject, Service, Outcome)
hold one row per concern raised; a case reference imported again takes its
latest row. Meetings logs (Date, Forum, Attended) hold partnership forum
meetings; a repeated date and forum takes the last row. Both are counted,
never listed: a log with a column headed Name, Patient Name, Full Name,
First Name, Surname, NHS Number, Date of Birth, DOB, Address or Postcode is
refused whole.

'import dir' classifies each file in DIR by its header row, imports staff
extracts first, and moves each file to DIR/processed or DIR/failed (with a
.error.txt saying why).

Exemption files list periods in which people count in no figure (maternity
leave, long-term sickness, career break, secondment): columns Employee
Number, Reason, From and Until (blank Until: open-ended), dates in the forms
completion dates take. Imports add to the exemptions held; a row with the
employee number and From of one held replaces it. 'prevent exemptions' lists
them.

Examples:
  prevent import staff "ESR Staff Extract 2026-10-31.xlsx"
  prevent import staff staff.csv --effective 2026-09-30 --strict
  prevent import completions lms_export.csv esr_competences.xlsx
  prevent import exemptions exemptions-2026-11.csv
  prevent import referrals "Prevent referral log 2026-27.xlsx"
  prevent import meetings partnership-meetings.csv
  prevent import completions --course "Prevent Awareness" moodle_prevent_report.csv
  prevent import dir /srv/prevent/drop
`

func (m *Main) runImport(ctx context.Context, args []string) error {
	fs := m.newFlags("import", importUsage)
	effective := fs.String("effective", "", "staff snapshot's effective `date` (YYYY-MM-DD)")
	strict := fs.Bool("strict", false, "reject a whole file when any row is bad")
	course := fs.String("course", "", "completions: the course `name` of a one-course report that has no course column")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("import needs what to import: staff, completions, exemptions or dir, or the logs referrals and meetings (run 'prevent help import')")
	}
	kind, files := pos[0], pos[1:]
	switch kind {
	case "staff", "completions", "exemptions", "referrals", "meetings", "dir":
	default:
		return usagef("import %q: say staff, completions, exemptions, referrals, meetings or dir (run 'prevent help import')", kind)
	}
	if len(files) == 0 {
		return usagef("import %s needs at least one file", kind)
	}
	opt := ingest.Options{Strict: *strict, Today: m.Now(), Progress: m.progress()}
	if *course != "" {
		if kind != "completions" {
			return usagef("--course applies to completions files only (import completions --course NAME FILE)")
		}
		opt.Course = strings.TrimSpace(*course)
	}
	if *effective != "" {
		if kind != "staff" {
			return usagef("--effective applies to staff extracts only")
		}
		if opt.Effective, err = parseDate("effective", *effective); err != nil {
			return err
		}
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	opt.Aliases = m.Config.Aliases()
	opt.Limits = m.Config.Limits()
	pol := m.Config.Policy()
	opt.Policy = &pol
	if kind == "dir" {
		if len(files) != 1 {
			return usagef("import dir takes one folder")
		}
		return m.importDir(ctx, files[0], opt)
	}
	failed := 0
	for _, f := range files {
		res, err := ingest.File(ctx, m.Store, importers.Kind(kind), f, opt)
		m.reportImport(res, err)
		if err == nil {
			continue
		}
		failed++
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("interrupted: %s was not imported (nothing from it was kept)", filepath.Base(f))
		case len(files) == 1:
			return notImported(f, err)
		}
		fmt.Fprintf(m.Stderr, "prevent: %s\n", oneLine(notImported(f, err).Error()))
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files not imported", failed, len(files))
	}
	return nil
}

// notImported names the file in an error that does not name it already,
// such as the database failing under the import (connection lost, locked,
// disk full): each file is one transaction, so nothing of it was kept.
func notImported(file string, err error) error {
	name := filepath.Base(file)
	if strings.Contains(err.Error(), name) {
		return err
	}
	return fmt.Errorf("%s was not imported (nothing from it was kept): %w", name, err)
}

func (m *Main) importDir(ctx context.Context, dir string, opt ingest.Options) error {
	opt.Skipped = func(name, why string) {
		fmt.Fprintf(m.Stderr, "prevent: %s skipped: %s\n", filepath.Join(dir, name), why)
	}
	if m.Config.Path != "" {
		opt.Keep = append(opt.Keep, m.Config.Path)
	}
	results, err := ingest.Dir(ctx, m.Store, dir, opt)
	failed := 0
	for _, r := range results {
		m.reportImport(r.Result, r.Err)
		if r.Err != nil {
			failed++
			fmt.Fprintf(m.Stderr, "prevent: %s\n", oneLine(r.Err.Error()))
		}
		if r.MovedTo != "" {
			fmt.Fprintf(m.Stdout, "  moved to %s\n", r.MovedTo)
		}
	}
	if err != nil {
		return err
	}
	if len(results) == 0 {
		fmt.Fprintf(m.Stdout, "%s: no files to import\n", dir)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d files in %s not imported (see %s)", failed, len(results), dir, filepath.Join(dir, "failed"))
	}
	return nil
}

// maxRowErrors caps row errors printed per file; all are kept for 'quality'.
const maxRowErrors = 20

func (m *Main) reportImport(res ingest.Result, err error) {
	name := filepath.Base(res.File)
	suffix, errs := " (row skipped)", res.Errors
	if ingest.IsRejected(err) && len(errs) > 0 {
		// The rejection names the first bad row: list the others.
		suffix, errs = "", errs[1:]
	}
	for i, e := range errs {
		if i == maxRowErrors {
			fmt.Fprintf(m.Stderr, "prevent: ... and %d more bad rows in %s (run 'prevent quality' for all)\n", len(errs)-maxRowErrors, name)
			break
		}
		fmt.Fprintf(m.Stderr, "prevent: %s%s\n", e.Error(), suffix)
	}
	if err != nil {
		return // the caller reports the error
	}
	if res.Skipped {
		fmt.Fprintf(m.Stdout, "%s: already imported on %s (same content): nothing to do\n", name,
			res.Previous.ImportedAt.Local().Format("2006-01-02 15:04"))
		return
	}
	imp := res.Import
	if len(res.ReRead) > 0 {
		// The file's rows were read and counted by its first import: this
		// one stored the rows of the courses a rule maps now.
		fmt.Fprintf(m.Stdout, "%s: completions: read again for %s (the file was first imported on %s): %s, %d new, %d already held\n",
			name, ingest.ReReadCourses(res.ReRead), res.Previous.ImportedAt.Local().Format("2006-01-02 15:04"),
			count(imp.RowsRead, "row"), imp.RowsImported, imp.RowsDuplicate)
		return
	}
	switch res.Kind {
	case importers.Referrals, importers.Meetings:
		fmt.Fprintf(m.Stdout, "%s: %s: %s read, %d new, %d replacing rows held, %d rejected\n",
			name, logTitle(res.Kind), count(imp.RowsRead, "row"), imp.RowsImported, imp.RowsDuplicate, imp.RowsRejected)
	case importers.Staff:
		fmt.Fprintf(m.Stdout, "%s: staff snapshot effective %s: %s read, %s imported, %d rejected%s\n",
			name, res.Effective.Format(time.DateOnly), count(imp.RowsRead, "row"), count(imp.RowsImported, "assignment"), imp.RowsRejected,
			ingest.RepeatedNote(imp))
		if res.EffectiveToday {
			fmt.Fprintf(m.Stderr, "prevent: note: %s has no date in its name (such as esr_staff_2026-09-30.csv): taken as effective today, %s; --effective YYYY-MM-DD gives the day the extract was run\n",
				name, res.Effective.Format(time.DateOnly))
		}
		if r := res.Replaced; r.FileName != "" {
			fmt.Fprintf(m.Stderr, "prevent: note: %s replaces the staff snapshot effective %s imported from %s (%s): one staff extract is held for each effective date\n",
				name, res.Effective.Format(time.DateOnly), r.FileName, count(r.Assignments, "assignment"))
		}
	case importers.Exemptions:
		fmt.Fprintf(m.Stdout, "%s: exemptions: %s read, %d new, %d replacing one held, %d rejected\n",
			name, count(imp.RowsRead, "row"), imp.RowsImported, imp.RowsDuplicate, imp.RowsRejected)
		if res.Unknown > 0 {
			fmt.Fprintf(m.Stdout, "%s held %s an employee number in no staff extract: kept, in case they appear in a later one ('prevent quality' lists them)\n",
				count(res.Unknown, "exemption"), plural(res.Unknown, "names", "name"))
		}
	default:
		// Rows of courses that map to no Prevent level are counted for
		// 'quality', not stored.
		other := ""
		if n := imp.RowsRead - imp.RowsImported - imp.RowsDuplicate - imp.RowsRejected - imp.RowsNotCompleted; n > 0 {
			other = fmt.Sprintf(", %d of other courses (counted, not stored)", n)
		}
		fmt.Fprintf(m.Stdout, "%s: completions: %s read, %d new, %d already held, %d rejected%s%s\n",
			name, count(imp.RowsRead, "row"), imp.RowsImported, imp.RowsDuplicate, imp.RowsRejected,
			ingest.NotCompletedNote(imp), other)
	}
}

// logTitle names an activity log in an import summary.
func logTitle(k importers.Kind) string {
	if k == importers.Referrals {
		return "referral log"
	}
	return "partnership meetings log"
}

// count writes "1 row", "2 rows".
func count(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// progress returns a progress reporter for long imports: a bar on a
// terminal, a line every quarter of a large file otherwise.
func (m *Main) progress() func(file string, rows int, done, total int64) {
	tty := m.isTerminal(m.Stderr)
	start := time.Now()
	lastQuarter := map[string]int64{}
	return func(file string, rows int, done, total int64) {
		name := filepath.Base(file)
		if tty {
			if time.Since(start) < 500*time.Millisecond && done < total {
				return
			}
			const width = 30
			fill := 0
			if total > 0 {
				fill = int(done * width / total)
			}
			if fill > width {
				fill = width
			}
			fmt.Fprintf(m.Stderr, "\r%s [%s%s] %d rows", figures.Clip(name, 30), strings.Repeat("=", fill), strings.Repeat(" ", width-fill), rows)
			if done >= total {
				fmt.Fprint(m.Stderr, "\r\033[K")
			}
			return
		}
		if total < 20<<20 || total == 0 { // only large files get progress lines in logs
			return
		}
		q := done * 4 / total
		if q > lastQuarter[file] && q < 4 {
			lastQuarter[file] = q
			fmt.Fprintf(m.Stderr, "prevent: %s: %d%% (%d rows)\n", name, q*25, rows)
		}
	}
}

const statusUsage = `Usage: prevent status [--as-of DATE] [--format table|csv|json|xlsx] [--out FILE]
                      [--org GLOB] [--status S[,S]]

Lists everyone in the workforce on the as-of date (the latest staff snapshot
effective on or before it) with their required level, the completion that
counts, its three-yearly due date and their status:
  expired    the refresher was due before the as-of date
  never      no completion at or above the required level
  due_soon   due within due_soon_days (default 90)
  compliant  otherwise
With new_starter_days set, or exemptions imported, two more statuses leave
people out of every figure, and the start_date and exempt_reason columns
appear:
  new_starter  started within new_starter_days and never trained or expired
  exempt       an exemption (prevent import exemptions) covers the as-of date
With annual_update configured, update_due says whether each person is due
their annual update (a separate measure, never in the 85% figures).
People are sorted by employee number.

Examples:
  prevent status --status expired,never --org "*Mental Health*"
  prevent status --as-of 2026-09-30 --format xlsx --out status-2026-09-30.xlsx
  prevent status --format json | jq '.people[] | select(.status=="due_soon")'
`

func (m *Main) runStatus(ctx context.Context, args []string) error {
	fs := m.newFlags("status", statusUsage)
	asOfFlag := fs.String("as-of", "", "as-of `date` YYYY-MM-DD (default today)")
	format := fs.String("format", "table", "output `format`: table, csv, json or xlsx")
	out := fs.String("out", "", "write to `FILE` instead of standard output")
	org := fs.String("org", "", "only organisations matching this `GLOB` (e.g. \"*Mental Health*\")")
	statuses := fs.String("status", "", "only these `statuses`, comma-separated: expired,never,due_soon,compliant,new_starter,exempt")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("status takes no file arguments (got %q)", pos[0])
	}
	if err := oneOf("format", *format, report.StatusFormats); err != nil {
		return err
	}
	asOf, err := m.asOf(*asOfFlag)
	if err != nil {
		return err
	}
	var filter report.Filter
	if *org != "" {
		p, err := glob.Compile(*org)
		if err != nil {
			return usagef("--org: %v", err)
		}
		filter.Org = glob.Set{p}
	}
	if *statuses != "" {
		for _, s := range strings.Split(*statuses, ",") {
			st, err := compliance.ParseStatus(s)
			if err != nil {
				return usagef("--status: %v", err)
			}
			filter.Statuses = append(filter.Statuses, st)
		}
	}
	if *format == "xlsx" && *out == "" && m.isTerminal(m.Stdout) {
		return usagef("--format xlsx needs --out FILE (or redirect standard output to a file)")
	}
	if err := m.openReport(ctx); err != nil {
		return err
	}
	pos2, err := report.LoadFor(ctx, m.Store, m.Config.Policy(), asOf, report.NeedName)
	if err != nil {
		return err
	}
	return m.writeOut(*out, func(w io.Writer) error {
		return report.WriteStatusWith(w, *format, asOf, filter.Apply(pos2.People), pos2.Extras())
	})
}

func (m *Main) isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// writeOut writes to a file (atomically, owner-only) or standard output.
func (m *Main) writeOut(path string, write func(io.Writer) error) error {
	if path == "" {
		return write(m.Stdout)
	}
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("cannot create %s: %w", dir, err)
		}
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	fmt.Fprintf(m.Stderr, "wrote %s\n", path)
	return nil
}

const summaryUsage = `Usage: prevent summary [--as-of DATE] [--format table|csv|json] [--by KEY]

Compliance per organisation and in total on the as-of date: for each level
(basic, level3, face_to_face) the people who require it, how many of them are
compliant (status compliant or due_soon) and the rate, and whether every level
meets the threshold (default 85%).

--by groups by another key instead: organisation (the default), org_l2 to
org_l7 (ESR's Org L2..L7, e.g. directorate, division, ward), staff_group or
manager (the manager email column), each taken from the assignment the
organisation comes from; a blank value groups as (blank). The key column of
the CSV and JSON is named after the key.

New starters (new_starter_days) and exempt people count in no figure; with
either in use their numbers are shown beside the figures. With rag: in the
config every rate is coloured red, amber or green; with annual_update: the
people due their annual update are counted per level, apart from the 85%
figures.

Examples:
  prevent summary
  prevent summary --as-of 2026-09-30 --format csv > summary-2026-09-30.csv
  prevent summary --by org_l4
  prevent summary --by manager --format json
`

func (m *Main) runSummary(ctx context.Context, args []string) error {
	fs := m.newFlags("summary", summaryUsage)
	asOfFlag := fs.String("as-of", "", "as-of `date` YYYY-MM-DD (default today)")
	format := fs.String("format", "table", "output `format`: table, csv or json")
	urgent := fs.Int("urgent", 0, "also list the `N` people most urgently needing a refresher (table only)")
	byFlag := fs.String("by", "organisation", "group by `KEY`: organisation, org_l2..org_l7, staff_group or manager")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("summary takes no file arguments (got %q)", pos[0])
	}
	if err := oneOf("format", *format, report.SummaryFormats); err != nil {
		return err
	}
	by, err := compliance.ParseGroupKey(*byFlag)
	if err != nil {
		return usagef("--by: %v", err)
	}
	asOf, err := m.asOf(*asOfFlag)
	if err != nil {
		return err
	}
	if err := m.openReport(ctx); err != nil {
		return err
	}
	var need report.Need
	if *urgent > 0 && *format == "table" {
		need = report.NeedName // the urgent list names them
	}
	if by != compliance.ByOrganisation {
		need |= report.NeedGroups
	}
	p, err := report.LoadFor(ctx, m.Store, m.Config.Policy(), asOf, need)
	if err != nil {
		return err
	}
	if err := report.WriteSummaryBy(m.Stdout, *format, p, by); err != nil {
		return err
	}
	if *urgent > 0 && *format == "table" {
		fmt.Fprintf(m.Stdout, "\nMost urgently needing a refresher:\n")
		return report.WriteStatus(m.Stdout, "table", asOf, report.Urgent(p.People, *urgent))
	}
	return nil
}

const qualityUsage = `Usage: prevent quality

The data-quality report: every import with its counts, rows rejected (file,
row, column and reason), completions naming nobody in any staff extract,
completions dated after the day they were imported, and course names that
look like Prevent training but match no course rule in the config.
`

func (m *Main) runQuality(ctx context.Context, args []string) error {
	fs := m.newFlags("quality", qualityUsage)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("quality takes no arguments (got %q)", pos[0])
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	q, err := report.LoadQuality(ctx, m.Store, m.Config.Policy())
	if err != nil {
		return err
	}
	return q.Write(m.Stdout)
}
