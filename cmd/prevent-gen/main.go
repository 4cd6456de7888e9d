// Command prevent-gen writes realistic, messy synthetic extracts for a
// fictional NHS trust (ODS code RXX): monthly ESR staff snapshots, an LMS
// course-completion export and an ESR competence report, in the layouts
// and with the faults real ones have.
//
// Usage:
//
//	prevent-gen [-out DIR] [-people N] [-months N] [-end YYYY-MM-DD]
//	            [-completions N] [-esr-completions N] [-seed N]
//	            [-staff-format xlsx|csv] [-prevent-share F] [-quiet]
//	            [-order person|shuffled|course-date|learner-name|employee]
//
// The output is a pure function of the flags: the same seed gives the same
// bytes. Every fact about a person is derived from (seed, person index) by
// hashing, so each file is written in one streaming pass in constant memory
// and the files agree with each other; the same command scales from the
// 1,500-person demo to a national-scale benchmark (use -staff-format csv
// beyond about 850,000 people: one XLSX sheet holds 1,048,576 rows).
//
// Files written to DIR (dates are the effective dates, which the importer
// reads from the name):
//
//	esr_staff_2026-09-30.csv            earlier snapshots (CSV by default)
//	ESR Staff Extract 2026-10-31.xlsx   the last snapshot (XLSX by default)
//	LMS completions export 2026-11-01.csv
//	ESR competences 2026-11-01.xlsx
//
// See testdata/README.md for the columns and the mess each file carries.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// config is the command line.
type config struct {
	out            string
	people         int
	months         int
	end            time.Time
	completions    int
	esrCompletions int
	seed           uint64
	staffFormat    string // "", "xlsx" or "csv"
	preventShare   float64
	order          string // of the completions files' rows: rowOrders
	quiet          bool
	// counting adds what counting as the trust counts needs: each staff
	// snapshot's Date First Hired and Org L4 (the team) columns, and an
	// exemptions register.
	counting bool
}

// usageError is a bad command line (exit 2). shown: the flag package has
// already printed it with the usage.
type usageError struct {
	msg   string
	shown bool
}

func (e usageError) Error() string { return e.msg }

// optionalInt is an int flag whose default depends on other flags.
type optionalInt struct {
	n   int
	set bool
}

func (o *optionalInt) String() string {
	if o == nil || !o.set {
		return ""
	}
	return strconv.Itoa(o.n)
}

func (o *optionalInt) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil {
		return errors.New("not a whole number")
	}
	o.n, o.set = n, true
	return nil
}

func (o *optionalInt) or(def int) int {
	if o.set {
		return o.n
	}
	return def
}

func main() {
	err := run(os.Args[1:], os.Stdout, os.Stderr)
	var ue usageError
	switch {
	case errors.Is(err, flag.ErrHelp):
		os.Exit(0)
	case errors.As(err, &ue):
		if !ue.shown {
			fmt.Fprintln(os.Stderr, "prevent-gen:", err)
		}
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "prevent-gen:", err)
		os.Exit(1)
	}
}

// run parses the flags and writes every file.
func run(args []string, stdout, stderr io.Writer) error {
	cfg, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	g, err := newGen(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	report := func(path string, rows int) {
		if cfg.quiet {
			return
		}
		size := int64(0)
		if fi, err := os.Stat(path); err == nil {
			size = fi.Size()
		}
		fmt.Fprintf(stdout, "%-48s %9d rows %12s\n", filepath.Base(path), rows, humanSize(size))
	}
	note := func(format string, a ...any) {
		if !cfg.quiet {
			fmt.Fprintf(stderr, "prevent-gen: "+format+"\n", a...)
		}
	}
	for m := range g.snaps {
		path, rows, err := g.writeStaff(m, note)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		report(path, rows)
	}
	stamp := g.asOf.AddDate(0, 0, 1).Format("2006-01-02")
	if cfg.completions > 0 {
		path := filepath.Join(cfg.out, "LMS completions export "+stamp+".csv")
		rows, err := g.writeLMS(path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		report(path, rows)
	}
	if cfg.esrCompletions > 0 {
		asCSV := cfg.esrCompletions > xlsxMaxRows-50000
		ext := ".xlsx"
		if asCSV {
			ext = ".csv"
			note("%d competence rows do not fit one XLSX sheet: writing CSV", cfg.esrCompletions)
		}
		path := filepath.Join(cfg.out, "ESR competences "+stamp+ext)
		rows, err := g.writeESR(path, asCSV)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		report(path, rows)
	}
	if cfg.counting {
		path := filepath.Join(cfg.out, "exemptions "+stamp+".csv")
		rows, err := g.writeExemptions(path)
		if err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		report(path, rows)
	}
	return nil
}

// writeStaff writes snapshot m in the format the flags ask for: by default
// the first snapshot as CSV and the others as XLSX, falling back to CSV for
// a snapshot too big for one sheet.
func (g *gen) writeStaff(m int, note func(string, ...any)) (string, int, error) {
	date := g.snaps[m].Format("2006-01-02")
	csvPath := filepath.Join(g.cfg.out, "esr_staff_"+date+".csv")
	xlsxPath := filepath.Join(g.cfg.out, "ESR Staff Extract "+date+".xlsx")
	format := g.cfg.staffFormat
	if format == "" {
		format = "xlsx"
		if m == 0 && len(g.snaps) > 1 {
			format = "csv"
		}
		if format == "xlsx" && g.base > 600000 && g.countAssignments(m)+5 > xlsxMaxRows {
			note("snapshot %s has too many rows for one XLSX sheet: writing CSV", date)
			format = "csv"
		}
	}
	if format == "csv" {
		rows, err := g.writeStaffCSV(csvPath, m)
		return csvPath, rows, err
	}
	rows, err := g.writeStaffXLSX(xlsxPath, m)
	return xlsxPath, rows, err
}

func parseFlags(args []string, stderr io.Writer) (config, error) {
	var cfg config
	fs := flag.NewFlagSet("prevent-gen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&cfg.out, "out", "testdata/demo", "output `dir`ectory")
	fs.IntVar(&cfg.people, "people", 1500, "people in the first staff snapshot")
	fs.IntVar(&cfg.months, "months", 2, "monthly staff snapshots")
	end := fs.String("end", "2026-10-31", "effective `date` of the last snapshot (earlier ones at previous month ends)")
	var completions, esrCompletions optionalInt
	fs.Var(&completions, "completions", "`rows` in the LMS export, 0 for no file (default people*6)")
	fs.Var(&esrCompletions, "esr-completions", "`rows` in the ESR competence report, 0 for no file (default people*2)")
	fs.Uint64Var(&cfg.seed, "seed", 1, "random seed")
	fs.StringVar(&cfg.staffFormat, "staff-format", "", "`format` of every snapshot, xlsx or csv (default: first CSV, the rest XLSX)")
	fs.Float64Var(&cfg.preventShare, "prevent-share", 0, "least `share` of completion rows that are Prevent courses (0: only each person's own Prevent history, about 4%);\nthe extra rows are older Prevent completions, as a benchmark workload wants")
	fs.StringVar(&cfg.order, "order", orderPerson, "`order` of the completions files' rows: person (person by person, as generated),\nshuffled, course-date (by course, then date), learner-name (by surname, then first name)\nor employee (by employee number); orders other than person hold a file's rows in memory")
	fs.BoolVar(&cfg.quiet, "quiet", false, "print nothing")
	fs.BoolVar(&cfg.counting, "counting", false, "also write start dates (Date First Hired), Org L4 teams and an exemptions register")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, err
		}
		return cfg, usageError{msg: err.Error(), shown: true}
	}
	if fs.NArg() > 0 {
		return cfg, usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0))}
	}
	var err error
	if cfg.end, err = time.Parse("2006-01-02", *end); err != nil {
		return cfg, usageError{msg: fmt.Sprintf("-end %q is not a YYYY-MM-DD date", *end)}
	}
	switch {
	case cfg.people < 1:
		return cfg, usageError{msg: "-people must be at least 1"}
	case cfg.months < 1 || cfg.months > 240:
		return cfg, usageError{msg: "-months must be between 1 and 240"}
	case cfg.preventShare < 0 || cfg.preventShare > 1:
		return cfg, usageError{msg: "-prevent-share must be between 0 and 1"}
	case cfg.staffFormat != "" && cfg.staffFormat != "xlsx" && cfg.staffFormat != "csv":
		return cfg, usageError{msg: fmt.Sprintf("-staff-format %q: want xlsx or csv", cfg.staffFormat)}
	}
	if err := checkOrder(cfg.order); err != nil {
		return cfg, err
	}
	cfg.completions = completions.or(cfg.people * 6)
	cfg.esrCompletions = esrCompletions.or(cfg.people * 2)
	if cfg.completions < 0 || cfg.esrCompletions < 0 {
		return cfg, usageError{msg: "-completions and -esr-completions cannot be negative"}
	}
	return cfg, nil
}

// gen holds the derived constants of one run. Its only mutable state is the
// PCG that rng reseeds for each person and purpose.
type gen struct {
	cfg       config
	seed      uint64
	snaps     []time.Time // effective dates, oldest first
	asOf      time.Time   // the last snapshot's date: compliance is aimed at it
	base      int         // people in the first snapshot
	starters  int         // new starters per month
	total     int         // every person index ever used
	teams     int
	names     names
	emp       perm
	orgPick   picker
	groupPick []picker // per organisation
	pcg       *rand.PCG
	r         *rand.Rand
}

func newGen(cfg config) (*gen, error) {
	g := &gen{cfg: cfg, seed: mix(cfg.seed), base: cfg.people}
	g.starters = int(float64(cfg.people)*starterRate + 0.5)
	g.total = g.base + g.starters*(cfg.months-1)
	if g.total > empNoSpace {
		return nil, usageError{msg: fmt.Sprintf("-people %d is more than 8-digit employee numbers allow", cfg.people)}
	}
	g.teams = (g.base + teamSize - 1) / teamSize
	for k := cfg.months - 1; k >= 1; k-- {
		// The last day of the month k months before the end date.
		y, mo, _ := cfg.end.Date()
		g.snaps = append(g.snaps, time.Date(y, mo-time.Month(k)+1, 0, 0, 0, 0, 0, time.UTC))
	}
	g.snaps = append(g.snaps, cfg.end)
	g.asOf = cfg.end
	g.names = newNames(g.total+outsiders, g.hash(tagNames, 0, 0))
	g.emp = newPerm(empNoSpace, g.hash(tagEmpNo, 0, 0))
	ow := make([]int, len(orgs))
	for k, o := range orgs {
		ow[k] = o.Weight
		g.groupPick = append(g.groupPick, newPicker(o.Groups[:]))
	}
	g.orgPick = newPicker(ow)
	g.pcg = rand.NewPCG(0, 0)
	g.r = rand.New(g.pcg)
	return g, nil
}

func humanSize(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}
