package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/nhs-prevent/prevent/importers"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/setup"
)

const inspectUsage = `Usage:
  prevent inspect FILE|DIR... [--course NAME]

Shows how each file (or each extract in a folder) would be read, without importing anything and without
a database: whether it is a staff extract or a completions file, the sheet
and header row used, which column each field is read from (and whether a
built-in header or your config's columns: alias matched it), the forms the
completion dates are written in, the first rows as read, the rows that are
not completed yet, and the row errors an import would report.

When a required column is missing it names the columns: line to add to
prevent.yaml. Run it first on any new system's export.

Exit status: 0 when every file would import, 1 when one would be refused.

Examples:
  prevent inspect "Record of Learning - Courses.csv"
  prevent inspect --config prevent.yaml moodle_report.csv esr_competences.xlsx
  prevent inspect --course "Prevent Awareness" one_course_report.csv
  prevent inspect drop
`

func (m *Main) runInspect(ctx context.Context, args []string) error {
	fs := m.newFlags("inspect", inspectUsage)
	course := fs.String("course", "", "the course `name` of a one-course report that has no course column")
	files, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return usagef("inspect needs a file (run 'prevent help inspect')")
	}
	if err := m.loadConfig(); err != nil {
		return err
	}
	// A folder is each extract in it, as init reads one.
	if files, err = setup.Files(files); err != nil {
		return err
	}
	opt := importers.Options{Aliases: m.Config.Aliases(), Limits: m.Config.Limits(), Course: strings.TrimSpace(*course),
		StartDatesUnused: m.Config.Policy().NewStarterDays <= 0}
	refused := 0
	for i, f := range files {
		if i > 0 {
			fmt.Fprintln(m.Stdout)
		}
		in, err := inspect(f, opt)
		if err != nil {
			fmt.Fprintf(m.Stderr, "prevent: %s\n", err)
			refused++
			continue
		}
		pol := m.Config.Policy()
		in.CourseLevel = func(course string) string {
			if lvl := pol.CourseLevel(course); lvl != compliance.LevelNone {
				return lvl.String()
			}
			return ""
		}
		in.Write(m.Stdout)
		if in.Err != nil {
			refused++
		}
	}
	if refused > 0 {
		return fmt.Errorf("%d of %d files would not import", refused, len(files))
	}
	return nil
}

// inspect reads a file as its import would: an exemptions list, referral
// log or meetings log by its own reader, anything else as staff or
// completions (which says what the file lacks).
func inspect(path string, opt importers.Options) (*importers.Inspection, error) {
	if kind, err := importers.Classify(path, importers.Options{Aliases: opt.Aliases, Limits: opt.Limits}); err == nil && importers.IsLog(kind) && opt.Course == "" {
		return importers.InspectLog(path, kind, opt)
	}
	return importers.Inspect(path, opt)
}
