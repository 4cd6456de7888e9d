package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/nhs-prevent/prevent/internal/figures"
	"github.com/nhs-prevent/prevent/internal/report"
	"github.com/nhs-prevent/prevent/internal/store"
)

const exemptionsUsage = `Usage: prevent exemptions [--as-of DATE] [--format table|csv]

Lists the exemptions held: periods in which a person counts in no figure
(maternity leave, long-term sickness, career break, secondment), each with
its reason, first day (From), last day (Until; blank: open-ended) and the
file and row it came from. With --as-of, only those covering that date: the
people in the workforce among them are those 'status' shows as exempt on it
(when two cover the date, the one with the latest From gives the reason),
and the last line says how many they are and how many exemptions name
someone not in the workforce that day (a leaver), who counts nowhere.

Import them with 'prevent import exemptions FILE' (columns Employee Number,
Reason, From, Until).

Examples:
  prevent exemptions
  prevent exemptions --as-of 2026-09-30
  prevent exemptions --format csv > exemptions.csv
`

func (m *Main) runExemptions(ctx context.Context, args []string) error {
	fs := m.newFlags("exemptions", exemptionsUsage)
	asOfFlag := fs.String("as-of", "", "only exemptions covering this `date` YYYY-MM-DD")
	format := fs.String("format", "table", "output `format`: table or csv")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("exemptions takes no arguments (got %q)", pos[0])
	}
	if err := oneOf("format", *format, []string{"table", "csv"}); err != nil {
		return err
	}
	var asOf time.Time
	if *asOfFlag != "" {
		if asOf, err = parseDate("as-of", *asOfFlag); err != nil {
			return err
		}
	}
	if err := m.open(ctx); err != nil {
		return err
	}
	held, err := m.Store.Exemptions(ctx, asOf)
	if err != nil {
		return err
	}
	if *format == "csv" {
		return writeExemptionsCSV(m.Stdout, held)
	}
	if err := writeExemptionsTable(m.Stdout, held, asOf); err != nil || asOf.IsZero() || len(held) == 0 {
		return err
	}
	position, err := report.LoadFor(ctx, m.Store, m.Config.Policy(), asOf, 0)
	var none *report.NoSnapshotError
	if errors.As(err, &none) {
		return nil // no workforce that day to reconcile with
	}
	if err != nil {
		return err
	}
	return writeExemptionsCount(m.Stdout, report.CountExemptions(position, held), asOf)
}

// writeExemptionsCount reconciles the exemptions covering a date with the
// exempt people summary and status count on it.
func writeExemptionsCount(w io.Writer, c report.ExemptionsCount, asOf time.Time) error {
	day := asOf.Format(time.DateOnly)
	line := fmt.Sprintf("%d %s exempt in the workforce on %s, as summary and status count them", c.Exempt, plural(c.Exempt, "person", "people"), day)
	if c.Outside > 0 {
		line += fmt.Sprintf("; %d %s for someone not in the workforce then (a leaver, or in no staff extract), counted nowhere",
			c.Outside, plural(c.Outside, "exemption", "exemptions"))
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

func until(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func writeExemptionsCSV(w io.Writer, held []store.HeldExemption) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"employee_number", "reason", "from", "until", "file", "row"})
	for _, e := range held {
		_ = cw.Write([]string{figures.SafeCell(e.EmployeeNumber), figures.SafeCell(e.Reason), e.From.Format(time.DateOnly),
			until(e.Until), figures.SafeCell(e.FileName), strconv.Itoa(e.Row)})
	}
	cw.Flush()
	return cw.Error()
}

func writeExemptionsTable(w io.Writer, held []store.HeldExemption, asOf time.Time) error {
	if len(held) == 0 {
		if asOf.IsZero() {
			_, err := fmt.Fprintln(w, "No exemptions held (import them with 'prevent import exemptions FILE').")
			return err
		}
		_, err := fmt.Fprintf(w, "No exemption covers %s.\n", asOf.Format(time.DateOnly))
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "EMPLOYEE NO\tREASON\tFROM\tUNTIL\tFROM FILE")
	for _, e := range held {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s row %d\n", e.EmployeeNumber, figures.Dash(figures.Clip(e.Reason, 40)),
			e.From.Format(time.DateOnly), figures.Dash(until(e.Until)), e.FileName, e.Row)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	what := "held"
	if !asOf.IsZero() {
		what = "covering " + asOf.Format(time.DateOnly)
	}
	_, err := fmt.Fprintf(w, "%d %s %s\n", len(held), plural(len(held), "exemption", "exemptions"), what)
	return err
}
