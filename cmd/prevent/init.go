package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/nhs-prevent/prevent/importers"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/setup"
)

const initUsage = `Usage:
  prevent init [DIR|FILE...] [--out prevent.yaml]

Writes a commented config for a new trust from its own extracts (a folder
of them, or files; default the current folder): the organisation and ODS
code where the files show them, requirement rules from the staff groups
and job roles found (registered professional staff groups at level 3,
safeguarding and Prevent roles face to face, everyone else basic), each
with how many people it catches, course rules from the course names that
look like Prevent training (listing the near misses left out, such as
"Infection Prevention and Control"), and columns: aliases only for columns
it could not recognise. It never overwrites an existing file, and reads
files only: nothing is imported.

Then read the file, change what the trust's training needs analysis says
otherwise, and import:

Examples:
  prevent init drop/
  prevent init "ESR Staff Extract 2026-10-31.xlsx" lms_export.csv --out prevent.yaml
  prevent import dir drop/
  prevent summary
`

func (m *Main) runInit(ctx context.Context, args []string) error {
	fl := m.newFlags("init", initUsage)
	out := fl.String("out", "prevent.yaml", "the config `file` to write (never overwritten)")
	args, err := parse(fl, args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		args = []string{"."}
	}
	if _, err := os.Stat(*out); err == nil {
		return fmt.Errorf("%s exists already: init never overwrites a config (move it aside, or write another with --out FILE)", *out)
	}
	files, err := setup.Files(args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		return fmt.Errorf("no extracts found in %v: give the folder or files of the trust's ESR and LMS exports", args)
	}
	// A new trust has no config yet: the built-in headers and limits, and
	// no new starters counted (so start dates are read as an import with
	// the written config reads them).
	p, err := setup.Propose(files, importers.Options{StartDatesUnused: true})
	if err != nil {
		return err
	}
	text := p.YAML()
	if err := checkConfig(text, *out); err != nil {
		return err
	}
	f, err := os.OpenFile(*out, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s exists already: init never overwrites a config", *out)
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", *out, errors.Unwrap(err))
	}
	if _, err := f.WriteString(text); err != nil {
		_ = f.Close()
		return fmt.Errorf("cannot write %s: %w", *out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", *out, err)
	}
	next := "prevent import staff FILE, then prevent import completions FILE"
	if len(args) == 1 {
		if st, err := os.Stat(args[0]); err == nil && st.IsDir() {
			next = fmt.Sprintf("prevent import dir %q", args[0])
			// import dir files away everything in its folder, a config
			// too: the extracts want a folder of their own.
			if abs, _ := filepath.Abs(args[0]); abs == absDir(*out) {
				next = "move the extracts into a folder of their own (drop/, say) and run prevent import dir drop/"
			}
		}
	}
	fmt.Fprintf(m.Stdout, "%s written from %s. Read it through, then: %s\n", *out, count(len(files), "file"), next)
	return nil
}

// checkConfig loads the text as a config, as every command will, so init
// never writes a file that is then refused.
func checkConfig(text, out string) error {
	tmp, err := os.CreateTemp(filepath.Dir(out), ".prevent-init-*.yaml")
	if err != nil {
		return fmt.Errorf("cannot write beside %s: %w", out, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.WriteString(text); err != nil {
		_ = tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if _, err := config.Load(tmp.Name()); err != nil {
		return fmt.Errorf("init proposed a config that does not validate (please report it): %w", err)
	}
	return nil
}

// absDir is the absolute folder of a file.
func absDir(file string) string {
	abs, _ := filepath.Abs(file)
	return filepath.Dir(abs)
}
