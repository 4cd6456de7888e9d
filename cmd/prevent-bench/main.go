// Command prevent-bench times prevent end to end on a generated workload,
// side by side with the two yardsticks the performance targets are set
// against: a bare reader that only iterates the rows, and a vectorised
// pandas script doing the same computation.
//
// Usage:
//
//	prevent-bench [-data DIR] [-scales 1,3] [-orders person,shuffled] [-prevent bin/prevent] [-config FILE]
//	              [-as-of DATE] [-quarter Q] [-pandas python3|""] [-pg DSN|auto|""]
//	prevent-bench bare FILE...
//	prevent-bench national [-pg DSN|auto] [-people 2000000] [-completions 10000000] [-seeded] [-cli=false] [-web=false]
//
// Each workload is a folder DIR/xSCALE written by `make bench-data` (one
// staff XLSX, one completions CSV, one completions XLSX), or DIR/xSCALE-ORDER
// for the completions files' rows in another order (prevent-gen -order);
// with more than one order, a table puts the orders side by side. Every step runs as
// a child process, so its wall time and peak RSS (ru_maxrss) are its own.
// `prevent-bench bare` is the bare reader: excelize Rows() with raw values
// over each XLSX, encoding/csv over each CSV, parsing every date cell.
// `prevent-bench national` seeds a national-scale PostgreSQL database
// (people and completions inserted with SQL) and times status and the
// return on it, then the dashboard's pages (`prevent serve` on loopback).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "national" {
		if err := national(os.Args[2:], os.Stdout); err != nil && !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "prevent-bench national:", err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == "bare" {
		if err := bare(os.Args[2:], os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "prevent-bench bare:", err)
			os.Exit(1)
		}
		return
	}
	if err := run(os.Args[1:], os.Stdout); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "prevent-bench:", err)
		os.Exit(1)
	}
}

type options struct {
	data    string
	scales  []string
	orders  []string
	prevent string
	config  string
	asOf    string
	quarter string
	pandas  string
	pg      string
	work    string
	keep    bool
}

func run(args []string, out io.Writer) error {
	var o options
	fs := flag.NewFlagSet("prevent-bench", flag.ContinueOnError)
	fs.StringVar(&o.data, "data", "bench/data", "workload `dir` (from make bench-data)")
	scales := fs.String("scales", "1", "comma-separated workload `scales` to run (folders DIR/xSCALE)")
	orders := fs.String("orders", "person", "comma-separated row `orders` of the completions files to run (folders DIR/xSCALE-ORDER; person is DIR/xSCALE)")
	fs.StringVar(&o.prevent, "prevent", "bin/prevent", "the prevent `binary`")
	fs.StringVar(&o.config, "config", "prevent.example.yaml", "prevent config `file`")
	fs.StringVar(&o.asOf, "as-of", "2026-09-30", "status as-of `date` (the workload's snapshot date)")
	fs.StringVar(&o.quarter, "quarter", "2026-27Q2", "return `quarter`")
	fs.StringVar(&o.pandas, "pandas", "python3", "`python` with pandas for the pandas leg; empty to skip it")
	fs.StringVar(&o.pg, "pg", "", "PostgreSQL `DSN` for the PostgreSQL leg (\"auto\": a throwaway server from initdb; empty: skip)")
	fs.StringVar(&o.work, "work", "", "scratch `dir` for databases and outputs (default a temp dir)")
	fs.BoolVar(&o.keep, "keep", false, "keep the scratch dir")
	if err := fs.Parse(args); err != nil {
		return err
	}
	o.scales = strings.Split(*scales, ",")
	o.orders = strings.Split(*orders, ",")
	if o.work == "" {
		dir, err := os.MkdirTemp("", "prevent-bench-")
		if err != nil {
			return err
		}
		o.work = dir
		if !o.keep {
			defer os.RemoveAll(dir)
		}
	}
	self, err := os.Executable()
	if err != nil {
		return err
	}
	if o.pandas != "" {
		if err := exec.Command(o.pandas, "-c", "import pandas, yaml, openpyxl").Run(); err != nil {
			fmt.Fprintf(out, "pandas leg skipped: %s cannot import pandas, yaml and openpyxl (apt-get install -y python3-pandas python3-yaml python3-openpyxl)\n\n", o.pandas)
			o.pandas = ""
		}
	}
	var pg *pgServer
	if o.pg == "auto" {
		_ = os.Chmod(o.work, 0o755) // the server runs as the postgres user
		pg, err = startPostgres(o.work, false)
		if err != nil {
			fmt.Fprintf(out, "PostgreSQL leg skipped: %v\n\n", err)
			o.pg = ""
		} else {
			defer pg.stop()
			o.pg = pg.dsn
		}
	}
	fmt.Fprintf(out, "machine: %s\n\n", machine())
	var growth []growthRow
	for _, scale := range o.scales {
		var byOrder []growthRow
		for _, order := range o.orders {
			dir := "x" + scale
			if order != "person" {
				dir += "-" + order
			}
			w, err := findWorkload(filepath.Join(o.data, dir))
			if err != nil {
				return err
			}
			g, err := benchWorkload(out, o, self, scale, w)
			if err != nil {
				return err
			}
			g.order = order
			byOrder = append(byOrder, g)
		}
		growth = append(growth, byOrder[0])
		if len(byOrder) > 1 {
			printOrders(out, scale, byOrder)
		}
	}
	if len(growth) > 1 {
		printGrowth(out, growth)
	}
	return nil
}

// printOrders puts one scale's row orders side by side, against the
// targets: at least 5x faster than pandas, at most 1.5x the bare reader.
func printOrders(out io.Writer, scale string, rows []growthRow) {
	fmt.Fprintf(out, "== row orders at x%s (SQLite)\n", scale)
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "order\tprevent s\trows/s\tpeak RSS MB\timport s\tbare s\tbare rows/s\tbare MB\tpandas s\tpandas rows/s\tpandas MB\tx bare\tpandas/prevent\t\n")
	rate := func(rows int, d time.Duration) string {
		if d <= 0 {
			return "-"
		}
		return strconv.FormatFloat(float64(rows)/d.Seconds(), 'f', 0, 64)
	}
	for _, g := range rows {
		pandas, prate, pmb, ratio := "-", "-", "-", "-"
		if g.pandas > 0 {
			pandas, prate = fmt.Sprintf("%.2f", g.pandas.Seconds()), rate(g.rows, g.pandas)
			pmb = fmt.Sprintf("%.0f", float64(g.pandasRSS)/1024)
			ratio = fmt.Sprintf("%.1f", g.pandas.Seconds()/g.sqlite.Seconds())
		}
		fmt.Fprintf(tw, "%s\t%.2f\t%s\t%.0f\t%.2f\t%.2f\t%s\t%.0f\t%s\t%s\t%s\t%.2f\t%s\t\n", g.order, g.sqlite.Seconds(), rate(g.rows, g.sqlite),
			float64(g.sqliteRSS)/1024, g.imports.Seconds(), g.bareT.Seconds(), rate(g.rows, g.bareT), float64(g.bareRSS)/1024,
			pandas, prate, pmb, g.sqlite.Seconds()/g.bareT.Seconds(), ratio)
	}
	_ = tw.Flush()
	fmt.Fprintln(out)
}

// workload is one generated set of extracts.
type workload struct {
	dir                string
	staff, csv, xlsx   string
	staffN, csvN, xlsN int // data rows, from the import output
}

func findWorkload(dir string) (*workload, error) {
	w := &workload{dir: dir}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("%w (run make bench-data first)", err)
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		switch n := e.Name(); {
		case strings.HasPrefix(n, "ESR Staff Extract") && strings.HasSuffix(n, ".xlsx"):
			w.staff = p
		case strings.HasPrefix(n, "LMS completions") && strings.HasSuffix(n, ".csv"):
			w.csv = p
		case strings.HasPrefix(n, "ESR competences") && strings.HasSuffix(n, ".xlsx"):
			w.xlsx = p
		}
	}
	if w.staff == "" || w.csv == "" || w.xlsx == "" {
		return nil, fmt.Errorf("%s: want a staff XLSX, an LMS CSV and an ESR competences XLSX (run make bench-data)", dir)
	}
	return w, nil
}

// step is one timed child process.
type step struct {
	name  string
	rows  int
	wall  time.Duration
	rssKB int64
}

func (s step) rate() string {
	if s.rows == 0 || s.wall <= 0 {
		return ""
	}
	return strconv.FormatFloat(float64(s.rows)/s.wall.Seconds(), 'f', 0, 64)
}

// timed runs a command and returns its wall time, peak RSS and output.
func timed(name string, cmd *exec.Cmd) (step, string, error) {
	var stdout, stderr strings.Builder
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	start := time.Now()
	err := cmd.Run()
	s := step{name: name, wall: time.Since(start)}
	if cmd.ProcessState != nil {
		if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
			s.rssKB = ru.Maxrss
		}
	}
	if err != nil {
		return s, stdout.String(), fmt.Errorf("%s: %v\n%s%s", name, err, stdout.String(), stderr.String())
	}
	return s, stdout.String(), nil
}

type growthRow struct {
	scale, order  string
	imports       time.Duration // the three imports
	bareRSS       int64
	pandasRSS     int64
	rows          int
	sqlite, bareT time.Duration
	sqliteRSS     int64
	pandas        time.Duration
}

func benchWorkload(out io.Writer, o options, self, scale string, w *workload) (growthRow, error) {
	fmt.Fprintf(out, "== workload x%s: %s\n", scale, w.dir)
	g := growthRow{scale: scale}

	bareStep, bareOut, err := timed("bare reader", exec.Command(self, "bare", w.staff, w.csv, w.xlsx))
	if err != nil {
		return g, err
	}
	bareStep.rows = atoiField(bareOut, "rows")
	g.bareT, g.bareRSS = bareStep.wall, bareStep.rssKB

	sq, err := preventLeg(o, w, "sqlite:"+filepath.Join(o.work, "x"+scale+".db"), "sqlite-")
	if err != nil {
		return g, err
	}
	total := sum(sq)
	g.sqlite, g.sqliteRSS, g.rows = total.wall, total.rssKB, w.staffN+w.csvN+w.xlsN
	for _, s := range sq[:3] {
		g.imports += s.wall
	}

	var pandasStep *step
	if o.pandas != "" {
		dir := filepath.Join(o.work, "pandas-x"+scale)
		_ = os.MkdirAll(dir, 0o755)
		s, _, err := timed("pandas", exec.Command(o.pandas, "bench/pandas_prevent.py", o.config, o.asOf, w.staff, w.csv, w.xlsx, dir))
		if err != nil {
			return g, err
		}
		s.rows = g.rows
		pandasStep = &s
		g.pandas, g.pandasRSS = s.wall, s.rssKB
	}

	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "step\ttime s\trows\trows/s\tpeak RSS MB\t\n")
	line := func(s step) {
		fmt.Fprintf(tw, "%s\t%.2f\t%d\t%s\t%.0f\t\n", s.name, s.wall.Seconds(), s.rows, s.rate(), float64(s.rssKB)/1024)
	}
	for _, s := range sq {
		line(s)
	}
	line(total)
	var pgTotal step
	if o.pg != "" {
		pgSteps, err := preventLeg(o, w, o.pg, "pg-")
		if err != nil {
			return g, err
		}
		for _, s := range pgSteps {
			s.name = "pg " + s.name
			line(s)
		}
		pgTotal = sum(pgSteps)
		pgTotal.name = "pg prevent total"
		line(pgTotal)
	}
	line(bareStep)
	if pandasStep != nil {
		line(*pandasStep)
	}
	_ = tw.Flush()

	fmt.Fprintf(out, "prevent (SQLite) is %.2fx the bare reader's time (target at most 1.5x)\n", total.wall.Seconds()/bareStep.wall.Seconds())
	if pandasStep != nil {
		fmt.Fprintf(out, "prevent (SQLite) is %.1fx faster than pandas (target at least 5x)\n", pandasStep.wall.Seconds()/total.wall.Seconds())
		if err := compareReturns(filepath.Join(o.work, "sqlite-return.csv"), filepath.Join(o.work, "pandas-x"+scale, "return.csv")); err != nil {
			fmt.Fprintf(out, "the returns DIFFER: %v\n", err)
		} else {
			fmt.Fprintf(out, "prevent's and pandas' returns agree\n")
		}
	}
	if o.pg != "" {
		fmt.Fprintf(out, "prevent on PostgreSQL is %.2fx its SQLite time (target at most 2x)\n", pgTotal.wall.Seconds()/total.wall.Seconds())
	}
	fmt.Fprintln(out)
	return g, nil
}

// preventLeg imports the three files into a fresh database and writes the
// status and the return, one child process per step.
func preventLeg(o options, w *workload, dsn, prefix string) ([]step, error) {
	if strings.HasPrefix(dsn, "sqlite:") {
		for _, suffix := range []string{"", "-wal", "-shm"} {
			_ = os.Remove(strings.TrimPrefix(dsn, "sqlite:") + suffix)
		}
	} else if err := resetPostgres(dsn); err != nil {
		return nil, err
	}
	prevent := func(args ...string) *exec.Cmd {
		cmd := exec.Command(o.prevent, append([]string{"--db", dsn, "--config", o.config}, args...)...)
		cmd.Env = append(os.Environ(), "PREVENT_CONFIG=", "PREVENT_DB=")
		return cmd
	}
	var steps []step
	imports := []struct {
		name, kind, file string
		rows             *int
	}{
		{"import staff xlsx", "staff", w.staff, &w.staffN},
		{"import completions csv", "completions", w.csv, &w.csvN},
		{"import completions xlsx", "completions", w.xlsx, &w.xlsN},
	}
	for _, im := range imports {
		s, stdout, err := timed(im.name, prevent("import", im.kind, im.file))
		if err != nil {
			return nil, err
		}
		s.rows = atoiField(stdout, "rows read")
		*im.rows = s.rows
		steps = append(steps, s)
	}
	statusOut := filepath.Join(o.work, prefix+"status.csv")
	s, _, err := timed("status --format csv", prevent("status", "--as-of", o.asOf, "--format", "csv", "--out", statusOut))
	if err != nil {
		return nil, err
	}
	s.rows = countLines(statusOut) - 1
	people := s.rows
	steps = append(steps, s)
	s, _, err = timed("return --format csv", prevent("return", "--quarter", o.quarter, "--format", "csv", "--out", filepath.Join(o.work, prefix+"return.csv")))
	if err != nil {
		return nil, err
	}
	s.rows = people
	steps = append(steps, s)
	return steps, nil
}

// sum is the leg's total: wall times add up, the peak is the largest.
func sum(steps []step) step {
	t := step{name: "prevent total"}
	for _, s := range steps[:3] {
		t.rows += s.rows
	}
	for _, s := range steps {
		t.wall += s.wall
		t.rssKB = max(t.rssKB, s.rssKB)
	}
	return t
}

// atoiField finds the number before a phrase in a command's output, e.g.
// "1000000 rows read".
func atoiField(s, phrase string) int {
	i := strings.Index(s, " "+phrase)
	if i < 0 {
		return 0
	}
	j := i
	for j > 0 && s[j-1] >= '0' && s[j-1] <= '9' {
		j--
	}
	n, _ := strconv.Atoi(s[j:i])
	return n
}

func countLines(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), "\n")
}

// compareReturns checks that prevent's return CSV and pandas' agree on
// every organisation's figures.
func compareReturns(prevent, pandas string) error {
	pr, err := os.ReadFile(prevent)
	if err != nil {
		return err
	}
	pa, err := os.ReadFile(pandas)
	if err != nil {
		return err
	}
	// prevent: quarter,provider_code,provider,organisation,...; pandas: organisation,...
	var want []string
	for _, l := range strings.Split(strings.TrimSpace(strings.ReplaceAll(string(pr), "\r\n", "\n")), "\n")[1:] {
		f := strings.SplitN(l, ",", 4)
		want = append(want, f[3])
	}
	got := strings.Split(strings.TrimSpace(string(pa)), "\n")[1:]
	if strings.Join(want, "\n") != strings.Join(got, "\n") {
		return fmt.Errorf("prevent:\n%s\npandas:\n%s", strings.Join(want, "\n"), strings.Join(got, "\n"))
	}
	return nil
}

func printGrowth(out io.Writer, rows []growthRow) {
	fmt.Fprintf(out, "== growth\n")
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "scale\trows\tprevent s\tµs/row\tpeak RSS MB\tbare s\tpandas s\t\n")
	for _, g := range rows {
		pandas := "-"
		if g.pandas > 0 {
			pandas = fmt.Sprintf("%.2f", g.pandas.Seconds())
		}
		fmt.Fprintf(tw, "x%s\t%d\t%.2f\t%.2f\t%.0f\t%.2f\t%s\t\n", g.scale, g.rows, g.sqlite.Seconds(),
			float64(g.sqlite.Microseconds())/float64(max(g.rows, 1)), float64(g.sqliteRSS)/1024, g.bareT.Seconds(), pandas)
	}
	_ = tw.Flush()
}

// machine says what the figures were measured on: cores and load.
func machine() string {
	m := fmt.Sprintf("%d CPUs", numCPU())
	load, _ := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(load)); len(f) >= 3 {
		m += fmt.Sprintf(", load average %s %s %s", f[0], f[1], f[2])
	}
	if thp := hugePages(); thp != "" {
		m += ", transparent huge pages " + thp
	}
	return m
}

// hugePages is the kernel's transparent huge page mode (always, madvise
// or never), or "" where it cannot be read. Go's heap gets huge pages
// only with "always": at national scale that is a third of the CPU of a
// report, spent in TLB misses on tables of millions of people.
func hugePages() string {
	b, err := os.ReadFile("/sys/kernel/mm/transparent_hugepage/enabled")
	if err != nil {
		return ""
	}
	for _, f := range strings.Fields(string(b)) {
		if strings.HasPrefix(f, "[") && strings.HasSuffix(f, "]") {
			return strings.Trim(f, "[]")
		}
	}
	return ""
}
