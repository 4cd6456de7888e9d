package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nhs-prevent/prevent/internal/collate"
	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// Commissioner mode: providers, template, collate, assurance, chase.

// quarterFlag reads --quarter, defaulting to the last completed quarter.
func (m *Main) quarterFlag(v string) (returns.Quarter, error) {
	if v == "" {
		return returns.LastCompleted(m.Now()), nil
	}
	q, err := returns.ParseQuarter(v)
	if err != nil {
		return q, usagef("--quarter: %v", err)
	}
	return q, nil
}

func (m *Main) window(q returns.Quarter) collate.Window {
	return collate.SubmissionWindow(q, m.Config.Collate.DeadlineWorkingDays)
}

const providersUsage = `Usage: prevent providers

Commissioner mode: the providers whose quarterly Prevent returns are
collated, from providers: in the config (name, ODS code, return contact).
`

func (m *Main) runProviders(ctx context.Context, args []string) error {
	fs := m.newFlags("providers", providersUsage)
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("providers takes no arguments (got %q)", pos[0])
	}
	if err := m.loadConfig(); err != nil {
		return err
	}
	if len(m.Config.Providers) == 0 {
		fmt.Fprintf(m.Stdout, "no providers configured: add a providers: list (name, ods_code, email) to %s\n", configName(m.Config.Path))
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tPROVIDER\tRETURN CONTACT")
	for _, p := range m.Config.Providers {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.ODSCode, p.Name, p.Email)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "%d %s; returns are due within %d working days of the window opening\n", len(m.Config.Providers),
		plural(len(m.Config.Providers), "provider", "providers"), m.Config.Collate.DeadlineWorkingDays)
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

const templateUsage = `Usage: prevent template [--quarter Q] [--provider CODE] [--out FILE]

A plain XLSX return for a provider without prevent to fill in: the Return
sheet with the same columns as the return's CSV (the quarter, and with
--provider the provider's code and name, already filled in) and an
Instructions sheet. 'prevent collate' reads it back once filled in.
Without --quarter, the last completed quarter.

Examples:
  prevent template --quarter 2026-27Q2 --provider RD4 --out "RD4 template.xlsx"
`

func (m *Main) runTemplate(ctx context.Context, args []string) error {
	fs := m.newFlags("template", templateUsage)
	quarter := fs.String("quarter", "", "financial-year `quarter`, e.g. 2026-27Q2 (default: the last completed one)")
	provider := fs.String("provider", "", "fill in the provider with this ODS `CODE` (from providers: in the config)")
	out := fs.String("out", "", "write the template to `FILE`")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("template takes no file arguments (got %q): use --out FILE", pos[0])
	}
	q, err := m.quarterFlag(*quarter)
	if err != nil {
		return err
	}
	if err := m.loadConfig(); err != nil {
		return err
	}
	tpl := collate.Template{Quarter: q, Threshold: m.Config.Threshold, DueBy: m.window(q).LastDay()}
	if *provider != "" {
		p, ok := m.Config.Provider(*provider)
		if !ok {
			return usagef("--provider %s is not in the providers: of %s (run 'prevent providers')", *provider, configName(m.Config.Path))
		}
		tpl.Provider = &returns.Provider{Name: p.Name, ODSCode: p.ODSCode}
	}
	if *out == "" && m.isTerminal(m.Stdout) {
		*out = collate.TemplateFileName(q, tpl.Provider)
	}
	return m.writeOut(*out, func(w io.Writer) error { return collate.WriteTemplate(w, tpl) })
}

const collateUsage = `Usage: prevent collate DIR|FILE... [--quarter Q] [--received DATE]
       prevent collate DIR --fetch [--quarter Q]

Commissioner mode: reads every provider's quarterly return in DIR (the CSV
or XLSX that 'prevent return' writes, or a filled-in 'prevent template';
recognised by their header row, whatever the file is called), checks it and
stores it per provider and quarter.

A return is refused, with the file, row, column and reason, when its rows
name different quarters (or not the --quarter given) or providers, when the
TOTAL row is not the sum of the organisation rows, when compliant exceeds
required, when headcount is not the sum of the levels' required, or when a
percentage or meets_threshold does not match the counts. Refused files are
recorded and never used.

A return received later for the same provider and quarter replaces the one
held (a corrected resubmission); every version is kept. A file's received
time is its modification time (when the attachment was saved) unless
--received gives the day. Returns from providers not in the config are kept
and flagged. Exit 1 when a file is refused (a file refused before, same
content, is only mentioned) or is not a return.

--fetch first reads the mailbox in the config's collate.imap block (over TLS
unless its tls says otherwise; signing in as its auth says: with the
password from the environment variable password_env names, or with an
OAuth 2.0 token for auth: xoauth2, as NHSmail requires): every
message in its folder with a spreadsheet attachment has its attachments
saved into DIR, dated as the message arrived, and is moved to the processed
folder; messages without one are left for a person to read.

Examples:
  prevent collate returns/2026-27Q2 --quarter 2026-27Q2
  prevent collate "RD4 Prevent return 2026-27Q2.xlsx" --received 2026-10-20
  prevent collate returns/ --fetch --quarter 2026-27Q2
`

func (m *Main) runCollate(ctx context.Context, args []string) error {
	fs := m.newFlags("collate", collateUsage)
	quarter := fs.String("quarter", "", "the `quarter` being collated, e.g. 2026-27Q2 (default: any, one per file)")
	received := fs.String("received", "", "the `date` the files were received (default: each file's modification time)")
	fetch := fs.Bool("fetch", false, "first save the returns emailed to the collate.imap mailbox into DIR")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return usagef("collate needs a folder of returns (or files): prevent collate DIR")
	}
	var only returns.Quarter // zero: any
	if *quarter != "" {
		if only, err = m.quarterFlag(*quarter); err != nil {
			return err
		}
	}
	var receivedAt time.Time
	if *received != "" {
		d, err := parseDate("received", *received)
		if err != nil {
			return err
		}
		// Noon UK time: the day given, whatever the clock.
		receivedAt = time.Date(d.Year(), d.Month(), d.Day(), 12, 0, 0, 0, collate.London)
	}
	if *fetch {
		if *received != "" {
			return usagef("--received and --fetch do not go together: fetched files are dated as their email arrived")
		}
		if err := m.fetch(ctx, pos); err != nil {
			return err
		}
	}
	var paths []string
	for _, p := range pos {
		st, err := os.Stat(p)
		if err != nil {
			var pe *os.PathError
			if errors.As(err, &pe) {
				err = pe.Err
			}
			return fmt.Errorf("cannot read %s: %w", p, err)
		}
		if !st.IsDir() {
			paths = append(paths, p)
			continue
		}
		list, err := collate.Dir(p)
		if err != nil {
			return err
		}
		paths = append(paths, list...)
	}
	if len(paths) == 0 {
		fmt.Fprintf(m.Stdout, "no files in %s\n", strings.Join(pos, ", "))
		return nil
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	opt := collate.FileOptionsFor(m.Config, m.Now())
	opt.Rules.Quarter, opt.Received = only, receivedAt
	results, err := collate.Files(ctx, m.Store, paths, opt)
	accepted, refused, before, notReturn := 0, 0, 0, 0
	for _, r := range results {
		switch {
		case r.Err != nil:
			notReturn++
			fmt.Fprintf(m.Stderr, "prevent: %s (skipped)\n", oneLine(r.Err.Error()))
		case len(r.Problems) > 0 && r.RefusedBefore:
			before++
			fmt.Fprintf(m.Stdout, "%s (refused before: same content)\n", oneLine(r.Problems[0].Error()))
		case len(r.Problems) > 0:
			refused++
			m.reportRefused(r)
		case r.ReferralsOnly():
			accepted++
			fmt.Fprintf(m.Stdout, "%s: referrals section of %s for %s (referred to Prevent: %s)\n", filepath.Base(r.Path),
				r.Referrals.Provider.ODSCode, r.Referrals.Quarter, figures.Dash(r.Referrals.ReferredToPrevent()))
		default:
			accepted++
			m.reportAccepted(r)
		}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "%d %s: %d accepted, %d refused, %d not a return", len(results), plural(len(results), "file", "files"),
		accepted, refused+before, notReturn)
	if before > 0 {
		fmt.Fprintf(m.Stdout, " (%d refused before)", before)
	}
	fmt.Fprintln(m.Stdout)
	if refused+notReturn > 0 {
		return fmt.Errorf("%d of %d files not collated (see above; 'prevent assurance' lists the refused ones)", refused+notReturn, len(results))
	}
	return nil
}

// fetch saves the returns emailed to the configured mailbox into the one
// folder given.
func (m *Main) fetch(ctx context.Context, dirs []string) error {
	if len(dirs) != 1 {
		return usagef("--fetch saves into one folder: prevent collate DIR --fetch")
	}
	if err := m.loadConfig(); err != nil {
		return err
	}
	c := m.Config.Collate.IMAP
	if c == nil {
		return usagef("--fetch needs a collate.imap block (host, username, password_env) in %s", configName(m.Config.Path))
	}
	mb, err := collate.MailboxOf(m.Config)
	if err != nil {
		return err
	}
	got, err := collate.Fetch(ctx, mb, dirs[0])
	for _, f := range got.Files {
		fmt.Fprintf(m.Stdout, "fetched %s\n", f)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "fetched %d %s from %d %s in %s (moved to %q); %d without a spreadsheet left there\n",
		len(got.Files), plural(len(got.Files), "file", "files"), got.Messages, plural(got.Messages, "message", "messages"),
		c.Folder, c.ProcessedFolder, got.Skipped)
	return nil
}

// maxProblems caps the problems printed per refused file; all are kept.
const maxProblems = 20

func (m *Main) reportRefused(r collate.Result) {
	for i, p := range r.Problems {
		if i == maxProblems {
			fmt.Fprintf(m.Stderr, "prevent: ... and %d more problems in %s\n", len(r.Problems)-maxProblems, p.File)
			break
		}
		fmt.Fprintf(m.Stderr, "prevent: %s\n", oneLine(p.Error()))
	}
	who := r.Return.Provider.ODSCode
	if who == "" {
		who = "no provider code"
	}
	fmt.Fprintf(m.Stdout, "%s: refused (%s, %d %s): not used\n", figures.Printable(r.Return.Table.File), figures.Printable(who), len(r.Problems), plural(len(r.Problems), "problem", "problems"))
}

func (m *Main) reportAccepted(r collate.Result) {
	ret, saved := r.Return, r.Saved
	name := ret.Provider.Name
	if p, ok := m.Config.Provider(ret.Provider.ODSCode); ok {
		name = p.Name
	} else {
		fmt.Fprintf(m.Stderr, "prevent: warning: %s: provider %s is not in the providers: of %s; its return is kept and shown as unknown\n",
			figures.Printable(ret.Table.File), figures.Printable(ret.Provider.ODSCode), configName(m.Config.Path))
	}
	what := ""
	switch saved.Outcome {
	case store.ReturnNew:
		what = "accepted"
	case store.ReturnReplaced:
		what = fmt.Sprintf("accepted, replacing %s received %s", figures.Printable(saved.Previous.FileName), collate.UKTime(saved.Previous.ReceivedAt))
	case store.ReturnUnchanged:
		what = "already collated (same content): nothing to do"
	case store.ReturnOlder:
		what = fmt.Sprintf("kept as history only: %s received %s is newer", figures.Printable(saved.Previous.FileName), collate.UKTime(saved.Previous.ReceivedAt))
	}
	late := ""
	if w := m.window(ret.Quarter); !w.OnTime(r.ReceivedAt) && saved.Outcome != store.ReturnUnchanged {
		late = ", after the window closed"
	}
	fmt.Fprintf(m.Stdout, "%s: %s %s %s (received %s%s): %s\n", figures.Printable(ret.Table.File), figures.Printable(ret.Provider.ODSCode), ret.Quarter, figures.Printable(name), collate.UKTime(r.ReceivedAt), late, what)
}

const assuranceUsage = `Usage: prevent assurance [--quarter Q] [--format table|csv|xlsx] [--out FILE]

Commissioner mode: every configured provider's return for the quarter:
whether it arrived and when, on time or late (the window opens the first
working day after the quarter ends and stays open collate.deadline_working_days
working days, default 15), each level's TOTAL rate against the threshold, the
change since the previous quarter in percentage points, and flags: missing,
late, below_threshold, resubmitted, rejected_file, unknown_provider. The XLSX
carries a chart of the providers against the threshold line and the refused
files. Without --quarter, the last completed quarter.

Examples:
  prevent assurance --quarter 2026-27Q2
  prevent assurance --quarter 2026-27Q2 --format xlsx --out "Prevent assurance 2026-27Q2.xlsx"
`

func (m *Main) runAssurance(ctx context.Context, args []string) error {
	fs := m.newFlags("assurance", assuranceUsage)
	quarter := fs.String("quarter", "", "financial-year `quarter`, e.g. 2026-27Q2 (default: the last completed one)")
	format := fs.String("format", "table", "output `format`: table, csv or xlsx")
	out := fs.String("out", "", "write to `FILE`")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("assurance takes no file arguments (got %q): use --out FILE", pos[0])
	}
	if err := oneOf("format", *format, collate.Formats); err != nil {
		return err
	}
	q, err := m.quarterFlag(*quarter)
	if err != nil {
		return err
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	a, err := collate.LoadForConfig(ctx, m.Store, m.Config, q, m.Now())
	if err != nil {
		return err
	}
	if len(a.Lines) == 0 && *format == "table" {
		fmt.Fprintf(m.Stdout, "no providers configured and no returns collated for %s: add providers: to %s, then run 'prevent collate DIR'\n",
			q, configName(m.Config.Path))
		return nil
	}
	if *out == "" && *format == "xlsx" && m.isTerminal(m.Stdout) {
		*out = "Prevent assurance " + q.String() + ".xlsx"
	}
	return m.writeOut(*out, func(w io.Writer) error {
		switch *format {
		case "csv":
			return a.WriteCSV(w)
		case "xlsx":
			return a.WriteXLSX(w)
		}
		return a.WriteTable(w)
	})
}

const chaseUsage = `Usage: prevent chase [--quarter Q] [--send]

Commissioner mode: once the quarter's submission window has closed, emails
the return contact of each configured provider whose return has not been
accepted, asking for it (with the template attached). Each contact is chased
once per quarter however often this runs; a failed send is retried on the
next run. Without --send it prints what it would send. Without --quarter,
the last completed quarter.

Examples:
  prevent chase --quarter 2026-27Q2
  prevent chase --quarter 2026-27Q2 --send
`

func (m *Main) runChase(ctx context.Context, args []string) error {
	fs := m.newFlags("chase", chaseUsage)
	quarter := fs.String("quarter", "", "financial-year `quarter`, e.g. 2026-27Q2 (default: the last completed one)")
	send := fs.Bool("send", false, "send the chasers (default: say what would be sent)")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("chase takes no arguments (got %q)", pos[0])
	}
	q, err := m.quarterFlag(*quarter)
	if err != nil {
		return err
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	a, err := collate.LoadForConfig(ctx, m.Store, m.Config, q, m.Now())
	if err != nil {
		return err
	}
	if !a.Window.Closed(m.Now()) {
		fmt.Fprintf(m.Stdout, "the %s submission window is open until the end of %s: no chasers before it closes\n", q, a.Window.LastDay().Format("2 January 2006"))
		return nil
	}
	if len(a.Chasers()) == 0 {
		fmt.Fprintf(m.Stdout, "no chasers for %s: every configured provider's return has been accepted\n", q)
		return nil
	}
	opt := collate.ChaseOptions{Send: *send, Commissioner: m.Config.Organisation, Now: m.Now}
	var sender mail.Sender
	where := ""
	if *send {
		if sender, where, err = m.sender(); err != nil {
			return err
		}
		opt.From = m.Config.MailFrom()
	}
	outcomes, err := collate.Chase(ctx, m.Store, sender, a, opt)
	if err != nil {
		return err
	}
	return m.reportChase(q, outcomes, where)
}

// reportChase prints each chaser's outcome; where is the sender's
// description, "" for a dry run.
func (m *Main) reportChase(q returns.Quarter, outcomes []collate.ChaseOutcome, where string) error {
	failed := 0
	for _, o := range outcomes {
		if o.Err != nil {
			failed++
			fmt.Fprintf(m.Stderr, "prevent: chaser %s to %s failed (attempt %d, will retry on the next run): %s\n", q, o.Email, o.Attempts, oneLine(o.Err.Error()))
			continue
		}
		fmt.Fprintf(m.Stdout, "chaser %s to %s (%s): %s\n", q, o.Email, o.Names(), o.Status)
	}
	if where == "" {
		fmt.Fprintln(m.Stdout, "(dry run: add --send to send them)")
	} else {
		fmt.Fprintf(m.Stdout, "(through %s)\n", where)
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d chasers for %s failed; run 'prevent chase --quarter %s --send' again to retry", failed, len(outcomes), q, q)
	}
	return nil
}
