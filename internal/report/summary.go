package report

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
)

// WriteSummary writes the per-organisation and total position.
func WriteSummary(w io.Writer, format string, pos *Position) error {
	return WriteSummaryBy(w, format, pos, compliance.ByOrganisation)
}

// WriteSummaryBy writes the position per group of the key and in total.
// The key column is named after the key. RAG colours appear when the
// config sets rag bands, update_due counts when it sets annual_update,
// and the counts of new starters and exempt people when Extras.Counting.
func WriteSummaryBy(w io.Writer, format string, pos *Position, key compliance.GroupKey) error {
	groups, total := compliance.AggregateBy(pos.People, key)
	sv := summaryView{pos: pos, key: key, x: pos.Extras(), rag: pos.Policy.RedBelow > 0}
	switch format {
	case "csv":
		return sv.writeCSV(w, groups, total)
	case "json":
		return sv.writeJSON(w, groups, total)
	case "table", "":
		return sv.writeTable(w, groups, total)
	}
	return fmt.Errorf("unknown format %q", format)
}

// summaryView is how a summary is written: its key and the optional parts.
type summaryView struct {
	pos *Position
	key compliance.GroupKey
	x   Extras
	rag bool
}

// levelRates are the rates that take a RAG colour, in column order.
var levelRates = []string{"basic", "level3", "face_to_face", "all"}

// tallies are a summary's tallies in levelRates order.
func tallies(s *compliance.Summary) []compliance.Tally {
	return []compliance.Tally{s.Level(compliance.Basic), s.Level(compliance.Level3), s.Level(compliance.FaceToFace), s.All}
}

// updateCounts are a summary's update_due counts in levelRates order.
func updateCounts(s *compliance.Summary) []int {
	return []int{s.UpdateDue[compliance.Basic], s.UpdateDue[compliance.Level3], s.UpdateDue[compliance.FaceToFace], s.AllUpdateDue}
}

func (sv summaryView) colour(t compliance.Tally) string {
	return t.RAG(sv.pos.Policy.Threshold, sv.pos.Policy.RedBelow)
}

func (sv summaryView) writeCSV(w io.Writer, groups []*compliance.Summary, total *compliance.Summary) error {
	cw := csv.NewWriter(w)
	header := append([]string{"as_of", string(sv.key)}, figures.Columns...)
	if sv.rag {
		for _, r := range levelRates {
			header = append(header, r+"_rag")
		}
	}
	if sv.x.Update {
		for _, r := range levelRates {
			header = append(header, r+"_update_due")
		}
	}
	if sv.x.Counting {
		header = append(header, string(compliance.NewStarter), string(compliance.Exempt))
	}
	_ = cw.Write(header)
	th := sv.pos.Policy.Threshold
	for _, s := range append(groups, total) {
		rec := append([]string{sv.pos.AsOf.Format(time.DateOnly), figures.SafeCell(s.Organisation)}, figures.Record(s, th)...)
		if sv.rag {
			for _, t := range tallies(s) {
				rec = append(rec, sv.colour(t))
			}
		}
		if sv.x.Update {
			for _, n := range updateCounts(s) {
				rec = append(rec, strconv.Itoa(n))
			}
		}
		if sv.x.Counting {
			rec = append(rec, strconv.Itoa(s.ByStatus[compliance.NewStarter]), strconv.Itoa(s.ByStatus[compliance.Exempt]))
		}
		_ = cw.Write(rec)
	}
	cw.Flush()
	return cw.Error()
}

type jsonTally struct {
	Required  int      `json:"required"`
	Compliant int      `json:"compliant"`
	Pct       *float64 `json:"pct"`
	// RAG and UpdateDue are written only when configured.
	RAG       **string `json:"rag,omitempty"`
	UpdateDue *int     `json:"update_due,omitempty"`
}

// jsonFigures is a group's figures, everything but its name.
type jsonFigures struct {
	Headcount      int            `json:"headcount"`
	Basic          jsonTally      `json:"basic"`
	Level3         jsonTally      `json:"level3"`
	FaceToFace     jsonTally      `json:"face_to_face"`
	All            jsonTally      `json:"all"`
	MeetsThreshold bool           `json:"meets_threshold"`
	Statuses       map[string]int `json:"statuses"`
	// The same colours and counts flat, as the CSV names them.
	BasicRAG            **string `json:"basic_rag,omitempty"`
	Level3RAG           **string `json:"level3_rag,omitempty"`
	FaceToFaceRAG       **string `json:"face_to_face_rag,omitempty"`
	AllRAG              **string `json:"all_rag,omitempty"`
	BasicUpdateDue      *int     `json:"basic_update_due,omitempty"`
	Level3UpdateDue     *int     `json:"level3_update_due,omitempty"`
	FaceToFaceUpdateDue *int     `json:"face_to_face_update_due,omitempty"`
	AllUpdateDue        *int     `json:"all_update_due,omitempty"`
}

// jsonGroup is a group's figures under its name, the name keyed by the
// summary's key ("organisation", "org_l4", ...).
type jsonGroup struct {
	key, name string
	figures   jsonFigures
}

func (g jsonGroup) MarshalJSON() ([]byte, error) {
	k, _ := json.Marshal(g.key)
	n, _ := json.Marshal(g.name)
	rest, err := json.Marshal(g.figures)
	if err != nil {
		return nil, err
	}
	out := append(append(append(append([]byte{'{'}, k...), ':'), n...), ',')
	return append(out, rest[1:]...), nil
}

func toJSONTally(t compliance.Tally) jsonTally {
	jt := jsonTally{Required: t.Required, Compliant: t.Compliant}
	if tenths, ok := t.Pct10(); ok {
		v := float64(tenths) / 10
		jt.Pct = &v
	}
	return jt
}

func (sv summaryView) toJSON(s *compliance.Summary) jsonGroup {
	th := sv.pos.Policy.Threshold
	f := jsonFigures{
		Headcount: s.Headcount,
		Basic:     toJSONTally(s.Level(compliance.Basic)), Level3: toJSONTally(s.Level(compliance.Level3)),
		FaceToFace: toJSONTally(s.Level(compliance.FaceToFace)), All: toJSONTally(s.All),
		MeetsThreshold: s.MeetsThreshold(th), Statuses: map[string]int{},
	}
	for _, st := range compliance.Statuses {
		f.Statuses[string(st)] = s.ByStatus[st]
	}
	if sv.x.Counting {
		f.Statuses[string(compliance.NewStarter)] = s.ByStatus[compliance.NewStarter]
		f.Statuses[string(compliance.Exempt)] = s.ByStatus[compliance.Exempt]
	}
	ts := []*jsonTally{&f.Basic, &f.Level3, &f.FaceToFace, &f.All}
	if sv.rag {
		flat := []***string{&f.BasicRAG, &f.Level3RAG, &f.FaceToFaceRAG, &f.AllRAG}
		for i, t := range tallies(s) {
			var c *string
			if v := sv.colour(t); v != "" {
				c = &v
			}
			ts[i].RAG, *flat[i] = &c, &c
		}
	}
	if sv.x.Update {
		flat := []**int{&f.BasicUpdateDue, &f.Level3UpdateDue, &f.FaceToFaceUpdateDue, &f.AllUpdateDue}
		for i, n := range updateCounts(s) {
			ts[i].UpdateDue, *flat[i] = &n, &n
		}
	}
	return jsonGroup{key: string(sv.key), name: s.Organisation, figures: f}
}

func (sv summaryView) writeJSON(w io.Writer, groups []*compliance.Summary, total *compliance.Summary) error {
	pos := sv.pos
	type document struct {
		AsOf          string      `json:"as_of"`
		SnapshotDate  string      `json:"snapshot_date"`
		Threshold     float64     `json:"threshold"`
		By            string      `json:"by,omitempty"`
		RedBelow      *float64    `json:"red_below,omitempty"`
		Organisations []jsonGroup `json:"organisations"`
		Total         jsonGroup   `json:"total"`
	}
	out := document{
		AsOf: pos.AsOf.Format(time.DateOnly), SnapshotDate: pos.Snapshot.EffectiveDate.Format(time.DateOnly),
		Threshold: pos.Policy.Threshold, Organisations: make([]jsonGroup, 0, len(groups)),
		Total: sv.toJSON(total),
	}
	if sv.key != compliance.ByOrganisation {
		out.By = string(sv.key)
	}
	if sv.rag {
		rb := pos.Policy.RedBelow
		out.RedBelow = &rb
	}
	for _, s := range groups {
		out.Organisations = append(out.Organisations, sv.toJSON(s))
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func (sv summaryView) cell(t compliance.Tally) string {
	if t.Required == 0 {
		return "-"
	}
	c := fmt.Sprintf("%d/%d %s%%", t.Compliant, t.Required, figures.Pct(t))
	if sv.rag {
		c += " " + sv.colour(t)
	}
	return c
}

// keyTitle heads the key column of the table: ORGANISATION, ORG L4, ...
func (sv summaryView) keyTitle() string {
	return strings.ToUpper(strings.ReplaceAll(string(sv.key), "_", " "))
}

func (sv summaryView) writeTable(w io.Writer, groups []*compliance.Summary, total *compliance.Summary) error {
	pos := sv.pos
	th := pos.Policy.Threshold
	thPct := figures.ThresholdPct(th)
	people := "people"
	if sv.x.Counting {
		people = "people in the figures" // new starters and the exempt are beside them
	}
	fmt.Fprintf(w, "Prevent training compliance as of %s (staff snapshot effective %s, %d %s; minimum %s)\n\n",
		pos.AsOf.Format(time.DateOnly), pos.Snapshot.EffectiveDate.Format(time.DateOnly), total.Headcount, people, thPct)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	title := sv.keyTitle()
	width := len(title)
	for _, s := range groups {
		if n := len([]rune(figures.Clip(s.Organisation, 40))); n > width {
			width = n
		}
	}
	left := func(s string) string { return s + strings.Repeat(" ", width-len([]rune(s))) }
	extraHead, blank := "", ""
	if sv.x.Update {
		extraHead, blank = "UPDATE DUE\t", "\t"
	}
	fmt.Fprintf(tw, "%s\tPEOPLE\tBASIC\tLEVEL 3\tFACE TO FACE\tALL\tMEETS %s\t%s\n", left(title), thPct, extraHead)
	row := func(s *compliance.Summary) {
		extra := ""
		if sv.x.Update {
			extra = strconv.Itoa(s.AllUpdateDue) + "\t"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t%s\t%s\n", left(figures.Clip(s.Organisation, 40)), s.Headcount,
			sv.cell(s.Level(compliance.Basic)), sv.cell(s.Level(compliance.Level3)), sv.cell(s.Level(compliance.FaceToFace)),
			sv.cell(s.All), figures.YesNo(s.MeetsThreshold(th)), extra)
	}
	for _, s := range groups {
		row(s)
	}
	fmt.Fprintf(tw, "%s\t\t\t\t\t\t\t%s\n", left(""), blank)
	row(total)
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\n%d expired, %d never trained, %d due within %d days, %d compliant.\n",
		total.ByStatus[compliance.Expired], total.ByStatus[compliance.Never], total.ByStatus[compliance.DueSoon],
		pos.Policy.DueSoonDays, total.ByStatus[compliance.Compliant])
	switch {
	case err != nil || !sv.x.Counting:
	case pos.Policy.NewStarterDays > 0:
		_, err = fmt.Fprintf(w, "Not counted in any figure: %d new %s (within %d days of starting, not yet trained), %d exempt.\n",
			total.ByStatus[compliance.NewStarter], pluralWord(total.ByStatus[compliance.NewStarter], "starter", "starters"),
			pos.Policy.NewStarterDays, total.ByStatus[compliance.Exempt])
	default: // exemptions held, new starters counted as everyone is
		_, err = fmt.Fprintf(w, "Not counted in any figure: %d exempt.\n", total.ByStatus[compliance.Exempt])
	}
	if err == nil && sv.x.Counting {
		// The people status lists: the headcount above and those beside it.
		_, err = fmt.Fprintf(w, "In the workforce: %d %s, each listed by prevent status: %s.\n",
			len(pos.People), pluralWord(len(pos.People), "person", "people"), figures.SplitOf(total))
	}
	if err == nil && sv.x.Update {
		u := pos.Policy.AnnualUpdate
		_, err = fmt.Fprintf(w, "Annual update (every %d months, a separate measure outside the %s figures): %d due (basic %d, level 3 %d, face to face %d).\n",
			u.Months, thPct, total.AllUpdateDue, total.UpdateDue[compliance.Basic], total.UpdateDue[compliance.Level3], total.UpdateDue[compliance.FaceToFace])
	}
	if err == nil && sv.rag {
		_, err = fmt.Fprintf(w, "Rates are red below %s, amber from there to below %s, green from %s.\n",
			figures.ThresholdPct(pos.Policy.RedBelow), thPct, thPct)
	}
	if err == nil && len(pos.Policy.Requirements) == 0 {
		_, err = fmt.Fprintln(w, "No requirements: rules in the config, so everyone needs basic awareness only (see prevent.example.yaml).")
	}
	return err
}
