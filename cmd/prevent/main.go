// Command prevent imports ESR staff extracts and LMS completion extracts,
// maps every role to its required level of the NHS Prevent training and
// competencies framework, and reports each person's refresher status and
// the organisation's compliance against the 85% minimum.
//
// This package only wires: it parses flags and config, opens the store,
// calls the packages that do the work, and prints.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/report"
	"github.com/nhs-prevent/prevent/internal/store"
)

// Version is set at build time with -ldflags "-X main.Version=...".
var Version = "dev"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, Now: time.Now}
	// PREVENT_CPUPROFILE=FILE writes a CPU profile of the run, for
	// measuring (see docs/performance.md).
	if path := os.Getenv("PREVENT_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil && pprof.StartCPUProfile(f) == nil {
			defer f.Close()
			defer pprof.StopCPUProfile()
		}
	}
	code := m.Run(ctx, os.Args[1:])
	pprof.StopCPUProfile()
	stop()
	os.Exit(code)
}

// Main holds what a command run needs; tests build one with their own
// writers and clock.
type Main struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	Now            func() time.Time

	ConfigPath string
	DSN        string
	Config     *config.Config
	Store      *store.Store
}

// usageError is a mistake on the command line: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return &usageError{fmt.Sprintf(format, a...)} }

// Run runs one command line and returns the exit code.
func (m *Main) Run(ctx context.Context, args []string) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(m.Stderr, "prevent: internal error: %v (please report this with the command you ran)\n", r)
			if m.Getenv("PREVENT_DEBUG") != "" {
				m.Stderr.Write(debug.Stack())
			}
			code = 1
		}
	}()
	defer m.Close()
	err := m.dispatch(ctx, args)
	if err == nil {
		return 0
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	msg := err.Error()
	var none *report.NoSnapshotError
	if errors.As(err, &none) && m.Store != nil && slices.Contains(m.Store.Applied(), 1) {
		// A mistyped --db answers "no staff snapshot" from a database
		// made a moment ago: say so.
		msg += " (" + m.Store.String() + " is a new, empty database that this command has just created: check --db or PREVENT_DB)"
	}
	fmt.Fprintf(m.Stderr, "prevent: %s\n", oneLine(msg))
	var ue *usageError
	var ce *config.Error
	if errors.As(err, &ue) || errors.As(err, &ce) {
		return 2
	}
	return 1
}

func oneLine(s string) string {
	s = strings.TrimSpace(s)
	// A message may quote a file's name or cells: nothing in them reaches
	// the terminal raw.
	return figures.Printable(strings.ReplaceAll(s, "\n", " "))
}

// Close releases the store.
func (m *Main) Close() {
	if m.Store != nil {
		m.Store.Close()
		m.Store = nil
	}
}

type command struct {
	name    string
	summary string
	run     func(m *Main, ctx context.Context, args []string) error
}

func commands() []command {
	return []command{
		{"import", "import staff or completion extracts, or a whole drop folder", (*Main).runImport},
		{"init", "write a commented prevent.yaml for a new trust from its own extracts", (*Main).runInit},
		{"inspect", "how a file would be read (kind, columns, dates, first rows, errors), importing nothing", (*Main).runInspect},
		{"status", "each person's requirement, last completion, due date and status", (*Main).runStatus},
		{"summary", "compliance per organisation and level against the threshold", (*Main).runSummary},
		{"exemptions", "the exemptions held (maternity leave, sickness, secondment ...), or those covering a date", (*Main).runExemptions},
		{"quality", "rows rejected, unmatched completions, unmapped courses, future dates", (*Main).runQuality},
		{"return", "the quarterly Prevent data return (XLSX or CSV); --send emails it once", (*Main).runReturn},
		{"report", "the annual Prevent report to the board (HTML, PDF or XLSX)", (*Main).runReport},
		{"lead", "the Prevent lead and its history; --send notifies the commissioners of a change", (*Main).runLead},
		{"deliveries", "the history of return emails: sent, failed, retried, resent", (*Main).runDeliveries},
		{"remind", "email Prevent leads (and managers, staff) who is expired, never trained or due soon", (*Main).runRemind},
		{"audit", "who imported, sent, purged, downloaded or signed in, and when", (*Main).runAudit},
		{"purge", "delete staff snapshots and completions older than the retention period", (*Main).runPurge},
		{"providers", "commissioner mode: the providers whose returns are collated", (*Main).runProviders},
		{"template", "a blank XLSX return for a provider without prevent to fill in", (*Main).runTemplate},
		{"collate", "read, check and store providers' quarterly returns from a folder", (*Main).runCollate},
		{"assurance", "every provider's return for a quarter: arrived, on time, rates against the threshold", (*Main).runAssurance},
		{"chase", "email providers whose return is missing once the window has closed", (*Main).runChase},
		{"serve", "run unattended: scheduled imports, reminders and returns (and the dashboard)", (*Main).runServe},
		{"jobs", "the runs of the scheduled jobs: when, how they ended, what they did", (*Main).runJobs},
		{"mail", "mail test: sign in to the mail server and send a test message, step by step (and the returns mailbox)", (*Main).runMail},
		{"migrate", "create or update the database schema", (*Main).runMigrate},
		{"version", "print the version", (*Main).runVersion},
	}
}

func (m *Main) dispatch(ctx context.Context, args []string) error {
	args, err := m.leadingGlobals(args)
	if err != nil {
		return err
	}
	if len(args) == 0 {
		m.usage(m.Stderr)
		return usagef("no command given")
	}
	name := args[0]
	switch name {
	case "-h", "--help", "-help", "help":
		if len(args) > 1 {
			return m.dispatch(ctx, []string{args[1], "--help"})
		}
		m.usage(m.Stdout)
		return nil
	case "-v", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.name == name {
			return c.run(m, ctx, args[1:])
		}
	}
	return usagef("unknown command %q (run 'prevent help' for the list)", name)
}

func (m *Main) usage(w io.Writer) {
	fmt.Fprint(w, `prevent: Prevent training compliance from ESR and LMS extracts.

Usage: prevent COMMAND [flags] [files]

Commands:
`)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, `
Global flags (every command):
  --config FILE   YAML config (env PREVENT_CONFIG; default ./prevent.yaml if present, else built-in defaults)
  --db DSN        database (env PREVENT_DB; default sqlite:prevent.db; or postgres://user@host/db?sslmode=disable)

A month's work:
  prevent import staff "ESR Staff 2026-10-31.xlsx"      # a full snapshot; date from the name or --effective
  prevent import completions lms-export.csv             # cumulative: duplicates count once
  prevent summary                                       # where the organisation stands today
  prevent status --status expired,never --org "*Mental Health*"
  prevent summary --as-of 2026-09-30                    # reproduce any past date

A new trust:
  prevent init drop/                                    # a commented prevent.yaml from the trust's own extracts
  prevent inspect "Record of Learning.csv"              # how a new system's export is read, importing nothing

Run 'prevent help COMMAND' for a command's flags and examples.
`)
}

// leadingGlobals takes --config and --db given before the command name
// (prevent --db X summary).
func (m *Main) leadingGlobals(args []string) ([]string, error) {
	for len(args) > 0 && strings.HasPrefix(args[0], "-") {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[0], "-"), "=")
		if name != "config" && name != "db" {
			break
		}
		if !hasValue {
			if len(args) < 2 {
				return nil, usagef("--%s needs a value", name)
			}
			value, args = args[1], args[1:]
		}
		args = args[1:]
		if name == "config" {
			m.ConfigPath = value
		} else {
			m.DSN = value
		}
	}
	return args, nil
}

// globalFlags adds --config and --db to a command's flag set; given before
// the command, they are the defaults here.
func (m *Main) globalFlags(fs *flag.FlagSet) {
	cfg := m.ConfigPath
	if cfg == "" {
		cfg = m.Getenv("PREVENT_CONFIG")
	}
	fs.StringVar(&m.ConfigPath, "config", cfg, "YAML config `FILE` (env PREVENT_CONFIG)")
	db := m.DSN
	if db == "" {
		db = m.Getenv("PREVENT_DB")
	}
	if db == "" {
		db = "sqlite:prevent.db"
	}
	fs.StringVar(&m.DSN, "db", db, "database `DSN`: sqlite:FILE or postgres://... (env PREVENT_DB)")
}

// newFlags makes a command's flag set with its help text.
func (m *Main) newFlags(name, usage string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	m.globalFlags(fs)
	fs.Usage = func() {
		fmt.Fprint(m.Stdout, strings.TrimLeft(usage, "\n"))
		fmt.Fprintln(m.Stdout, "\nFlags:")
		printFlags(m.Stdout, fs)
	}
	return fs
}

// printFlags lists a command's flags GNU-style (--name VALUE).
func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.VisitAll(func(f *flag.Flag) {
		name, usage := flag.UnquoteUsage(f)
		left := "--" + f.Name
		if name != "" {
			left += " " + name
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			def = fmt.Sprintf(" (default %s)", f.DefValue)
		}
		fmt.Fprintf(w, "  %-22s %s%s\n", left, usage, def)
	})
}

// parse parses flags that may stand before or after the positional
// arguments, returning the positional ones.
func parse(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	// The flag package prints the usage on any error; only --help asks
	// for it (on stdout): a bad flag is one sentence on stderr.
	usage := fs.Usage
	fs.Usage = func() {}
	defer func() { fs.Usage = usage }()
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				usage()
				return nil, err
			}
			return nil, usagef("%s: %v (run 'prevent help %s')", fs.Name(), err, fs.Name())
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// loadConfig reads the config (exit 2 on a bad one).
func (m *Main) loadConfig() error {
	if m.Config != nil {
		return nil
	}
	c, err := config.Resolve(m.ConfigPath)
	if err != nil {
		return err
	}
	m.Config = c
	return nil
}

// open loads the config and opens (and migrates) the store.
func (m *Main) open(ctx context.Context) error {
	if err := m.loadConfig(); err != nil {
		return err
	}
	if m.Store != nil {
		return nil
	}
	s, err := store.Open(ctx, m.DSN)
	if err != nil {
		return err
	}
	m.Store = s
	return m.auditConfig(ctx)
}

// openReport opens the store for a command that reports figures, and says
// on stderr which completions files hold courses the course rules now
// count but that were not stored when the files were imported (they count
// for nobody until each is imported again).
func (m *Main) openReport(ctx context.Context) error {
	if err := m.open(ctx); err != nil {
		return err
	}
	files, err := report.Unstored(ctx, m.Store, m.Config.Policy())
	if err != nil {
		return err
	}
	for i, f := range files {
		if i == maxUnstoredNotes {
			fmt.Fprintf(m.Stderr, "prevent: note: ... and %d more such files ('prevent quality' lists them)\n", len(files)-i)
			break
		}
		fmt.Fprintf(m.Stderr, "prevent: note: %s\n", f.Advice())
	}
	return nil
}

// maxUnstoredNotes caps the notes openReport writes.
const maxUnstoredNotes = 5

// parseDate reads an ISO date flag.
func parseDate(flagName, v string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(v))
	if err != nil {
		return time.Time{}, usagef("--%s %q is not a date: write it as YYYY-MM-DD", flagName, v)
	}
	return t, nil
}

// asOf reads --as-of, defaulting to today.
func (m *Main) asOf(v string) (time.Time, error) {
	if v == "" {
		y, mo, d := m.Now().Date()
		return time.Date(y, mo, d, 0, 0, 0, 0, time.UTC), nil
	}
	return parseDate("as-of", v)
}

// noArguments is the error of a command that takes no arguments: the
// flags' own, else the first argument given.
func noArguments(command string, pos []string, err error) error {
	if err != nil {
		return err
	}
	return usagef("%s takes no arguments (got %q)", command, pos[0])
}

func oneOf(flagName, v string, allowed []string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return usagef("--%s %q is not one of %s", flagName, v, strings.Join(allowed, ", "))
}

func (m *Main) runVersion(ctx context.Context, args []string) error {
	fs := m.newFlags("version", "Usage: prevent version\n\nPrints the version of this binary.\n")
	if pos, err := parse(fs, args); err != nil || len(pos) > 0 {
		return noArguments("version", pos, err)
	}
	v := Version
	if bi, ok := debug.ReadBuildInfo(); ok && v == "dev" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		v = bi.Main.Version
	}
	fmt.Fprintf(m.Stdout, "prevent %s\n", v)
	return nil
}

func (m *Main) runMigrate(ctx context.Context, args []string) error {
	fs := m.newFlags("migrate", `Usage: prevent migrate [--db DSN]

Creates or updates the database schema. Every command does this on first use;
run it on its own to prepare a PostgreSQL database before the first import.
`)
	if pos, err := parse(fs, args); err != nil || len(pos) > 0 {
		return noArguments("migrate", pos, err)
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	applied, err := m.Store.Migrate(ctx)
	if err != nil {
		return err
	}
	applied = append(m.Store.Applied(), applied...)
	fmt.Fprintf(m.Stdout, "database %s is up to date (%s)\n", m.Store.Dialect(), migrated(applied))
	return nil
}

func migrated(applied []int) string {
	if len(applied) == 0 {
		return "no migrations needed"
	}
	parts := make([]string, len(applied))
	for i, v := range applied {
		parts[i] = fmt.Sprintf("%04d", v)
	}
	return "applied " + strings.Join(parts, ", ")
}
