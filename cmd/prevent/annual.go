package main

import (
	"context"
	"io"

	"github.com/nhs-prevent/prevent/internal/annual"
	"github.com/nhs-prevent/prevent/internal/returns"
)

const reportUsage = `Usage: prevent report annual [--year 2026-27] [--format html|pdf|xlsx] [--out FILE]

The annual Prevent report to the board: the provider, the year and its
leads; each quarter-end position per level (required, compliant, rate,
meets), as prevent summary --as-of that day gives it; the position by
organisation at the year's end, as the return gives it; the trend over eight
quarters as a chart; the plan (the forecast for the next six month-ends and
the completions a month needed to reach the threshold, and with
training_plan: the face-to-face sessions a month against the trainers'
capacity); the returns sent and when; and the data quality summary.
Aggregates only: never a name, employee number or staff email.

Without --year, the last completed financial year (April to March). A year
not yet over is reported up to its last completed quarter, and says so.

Formats: html (default; one self-contained file that prints on A4), pdf, and
xlsx (the tables, one sheet each). Without --out the report goes to standard
output, or to "RXX Prevent annual report 2026-27.<format>" on a terminal.

Examples:
  prevent report annual --year 2026-27 --out board-report.html
  prevent report annual --year 2026-27 --format pdf --out "Prevent annual report 2026-27.pdf"
  prevent report annual --format xlsx --out annual.xlsx
`

func (m *Main) runReport(ctx context.Context, args []string) error {
	fs := m.newFlags("report", reportUsage)
	yearFlag := fs.String("year", "", "financial `year`, e.g. 2026-27 (default: the last completed one)")
	format := fs.String("format", "html", "output `format`: html, pdf or xlsx")
	out := fs.String("out", "", "write the report to `FILE`")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 || pos[0] != "annual" {
		return usagef("report needs which report: prevent report annual (run 'prevent help report')")
	}
	if len(pos) > 1 {
		return usagef("report annual takes no file arguments (got %q); use --out FILE", pos[1])
	}
	if err := oneOf("format", *format, annual.Formats); err != nil {
		return err
	}
	y := returns.LastCompletedYear(m.Now())
	if *yearFlag != "" {
		if y, err = returns.ParseYear(*yearFlag); err != nil {
			return usagef("--year: %v", err)
		}
	}
	if err := m.openReport(ctx); err != nil {
		return err
	}
	r, err := annual.Build(ctx, annual.SourceFor(m.Store, m.Config, m.Now()), y)
	if err != nil {
		return err
	}
	if *out == "" && m.isTerminal(m.Stdout) {
		*out = r.FileName() + "." + *format
	}
	return m.writeOut(*out, func(w io.Writer) error { return r.Write(w, *format) })
}
