package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
)

// WriteSummary writes the per-organisation and total position.
func WriteSummary(w io.Writer, format string, pos *Position) error {
	orgs, total := compliance.Aggregate(pos.People)
	th := pos.Policy.Threshold
	switch format {
	case "csv":
		cw := csv.NewWriter(w)
		_ = cw.Write(append([]string{"as_of", "organisation"}, figures.Columns...))
		for _, s := range append(orgs, total) {
			_ = cw.Write(append([]string{pos.AsOf.Format(time.DateOnly), figures.SafeCell(s.Organisation)}, figures.Record(s, th)...))
		}
		cw.Flush()
		return cw.Error()
	case "json":
		return writeSummaryJSON(w, pos, orgs, total)
	case "table", "":
		return writeSummaryTable(w, pos, orgs, total)
	}
	return fmt.Errorf("unknown format %q", format)
}

type jsonTally struct {
	Required  int      `json:"required"`
	Compliant int      `json:"compliant"`
	Pct       *float64 `json:"pct"`
}

type jsonSummary struct {
	Organisation   string         `json:"organisation"`
	Headcount      int            `json:"headcount"`
	Basic          jsonTally      `json:"basic"`
	Level3         jsonTally      `json:"level3"`
	FaceToFace     jsonTally      `json:"face_to_face"`
	All            jsonTally      `json:"all"`
	MeetsThreshold bool           `json:"meets_threshold"`
	Statuses       map[string]int `json:"statuses"`
}

func toJSONTally(t compliance.Tally) jsonTally {
	jt := jsonTally{Required: t.Required, Compliant: t.Compliant}
	if tenths, ok := t.Pct10(); ok {
		v := float64(tenths) / 10
		jt.Pct = &v
	}
	return jt
}

func toJSONSummary(s *compliance.Summary, th float64) jsonSummary {
	js := jsonSummary{
		Organisation: s.Organisation, Headcount: s.Headcount,
		Basic: toJSONTally(s.Level(compliance.Basic)), Level3: toJSONTally(s.Level(compliance.Level3)),
		FaceToFace: toJSONTally(s.Level(compliance.FaceToFace)), All: toJSONTally(s.All),
		MeetsThreshold: s.MeetsThreshold(th), Statuses: map[string]int{},
	}
	for _, st := range compliance.Statuses {
		js.Statuses[string(st)] = s.ByStatus[st]
	}
	return js
}

func writeSummaryJSON(w io.Writer, pos *Position, orgs []*compliance.Summary, total *compliance.Summary) error {
	out := struct {
		AsOf          string        `json:"as_of"`
		SnapshotDate  string        `json:"snapshot_date"`
		Threshold     float64       `json:"threshold"`
		Organisations []jsonSummary `json:"organisations"`
		Total         jsonSummary   `json:"total"`
	}{
		AsOf: pos.AsOf.Format(time.DateOnly), SnapshotDate: pos.Snapshot.EffectiveDate.Format(time.DateOnly),
		Threshold: pos.Policy.Threshold, Organisations: make([]jsonSummary, 0, len(orgs)),
		Total: toJSONSummary(total, pos.Policy.Threshold),
	}
	for _, s := range orgs {
		out.Organisations = append(out.Organisations, toJSONSummary(s, pos.Policy.Threshold))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func cell(t compliance.Tally) string {
	if t.Required == 0 {
		return "-"
	}
	return fmt.Sprintf("%d/%d %s%%", t.Compliant, t.Required, figures.Pct(t))
}

func writeSummaryTable(w io.Writer, pos *Position, orgs []*compliance.Summary, total *compliance.Summary) error {
	th := pos.Policy.Threshold
	thPct := figures.ThresholdPct(th)
	fmt.Fprintf(w, "Prevent training compliance as of %s (staff snapshot effective %s, %d people; minimum %s)\n\n",
		pos.AsOf.Format(time.DateOnly), pos.Snapshot.EffectiveDate.Format(time.DateOnly), total.Headcount, thPct)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	width := len("ORGANISATION")
	for _, s := range orgs {
		if n := len([]rune(figures.Clip(s.Organisation, 40))); n > width {
			width = n
		}
	}
	left := func(s string) string { return s + strings.Repeat(" ", width-len([]rune(s))) }
	fmt.Fprintf(tw, "%s\tPEOPLE\tBASIC\tLEVEL 3\tFACE TO FACE\tALL\tMEETS %s\t\n", left("ORGANISATION"), thPct)
	row := func(s *compliance.Summary) {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t\n", left(figures.Clip(s.Organisation, 40)), s.Headcount,
			cell(s.Level(compliance.Basic)), cell(s.Level(compliance.Level3)), cell(s.Level(compliance.FaceToFace)),
			cell(s.All), figures.YesNo(s.MeetsThreshold(th)))
	}
	for _, s := range orgs {
		row(s)
	}
	fmt.Fprintf(tw, "%s\t\t\t\t\t\t\t\n", left(""))
	row(total)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d expired, %d never trained, %d due within %d days, %d compliant.\n",
		total.ByStatus[compliance.Expired], total.ByStatus[compliance.Never], total.ByStatus[compliance.DueSoon],
		pos.Policy.DueSoonDays, total.ByStatus[compliance.Compliant])
	if err == nil && len(pos.Policy.Requirements) == 0 {
		_, err = fmt.Fprintln(w, "No requirements: rules in the config, so everyone needs basic awareness only (see prevent.example.yaml).")
	}
	return err
}
