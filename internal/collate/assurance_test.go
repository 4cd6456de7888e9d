package collate_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/collate"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// held is a stored return with its TOTAL figures.
func held(id int64, code, quarter string, received time.Time, basic, level3 compliance.Tally) store.ProviderReturn {
	return store.ProviderReturn{ID: id, ProviderCode: code, ProviderName: "File name of " + code, Quarter: quarter,
		FileName: code + ".csv", ReceivedAt: received, Headcount: basic.Required + level3.Required,
		Basic: basic, Level3: level3, AllCompliant: basic.Compliant + level3.Compliant}
}

func tally(req, comp int) compliance.Tally { return compliance.Tally{Required: req, Compliant: comp} }

func TestAssess(t *testing.T) {
	w := collate.SubmissionWindow(q2, 15)
	closed := uk(time.October, 28, 9)
	open := uk(time.October, 12, 9)
	providers := []collate.Provider{{Name: "Beta", ODSCode: "RB2"}, {Name: "Alpha", ODSCode: "RA1"}}
	replaced := held(1, "RA1", "2026-27Q2", uk(time.October, 2, 9), tally(10, 8), tally(0, 0))
	replaced.ReplacedAt, replaced.ReplacedBy = uk(time.October, 30, 9), 2
	tests := []struct {
		name    string
		in      collate.Input
		code    string
		status  collate.Status
		flags   []string
		basicPP string
	}{
		{"a provider with no return is awaited while the window is open",
			collate.Input{Now: open}, "RB2", collate.Awaited, nil, ""},
		{"a provider with no return is missing once the window has closed",
			collate.Input{Now: closed}, "RB2", collate.Missing, []string{collate.FlagMissing}, ""},
		{"a return received on the last day is on time",
			collate.Input{Now: closed, Returns: []store.ProviderReturn{held(1, "RA1", "2026-27Q2", uk(time.October, 21, 23), tally(10, 9), tally(0, 0))}},
			"RA1", collate.Received, nil, ""},
		{"a return received once the window closed is late",
			collate.Input{Now: closed, Returns: []store.ProviderReturn{held(1, "RA1", "2026-27Q2", uk(time.October, 22, 0), tally(10, 9), tally(0, 0))}},
			"RA1", collate.Late, []string{collate.FlagLate}, ""},
		{"a correction sent after the window closed does not make an on-time return late",
			collate.Input{Now: closed, Returns: []store.ProviderReturn{replaced, held(2, "RA1", "2026-27Q2", uk(time.October, 29, 9), tally(10, 9), tally(0, 0))}},
			"RA1", collate.Received, []string{collate.FlagResubmitted}, ""},
		{"a level below the threshold flags the provider",
			collate.Input{Now: closed, Returns: []store.ProviderReturn{held(1, "RA1", "2026-27Q2", uk(time.October, 5, 9), tally(10, 9), tally(5, 4))}},
			"RA1", collate.Received, []string{collate.FlagBelowThreshold}, ""},
		{"84.96% shows as 85.0 but is below 85%",
			collate.Input{Now: closed, Returns: []store.ProviderReturn{held(1, "RA1", "2026-27Q2", uk(time.October, 5, 9), tally(2500, 2124), tally(0, 0))}},
			"RA1", collate.Received, []string{collate.FlagBelowThreshold}, ""},
		{"the change since last quarter is in percentage points of the rounded rates",
			collate.Input{Now: closed, Returns: []store.ProviderReturn{held(2, "RA1", "2026-27Q2", uk(time.October, 5, 9), tally(3, 3), tally(0, 0))},
				Previous: []store.ProviderReturn{held(1, "RA1", "2026-27Q1", uk(time.July, 5, 9), tally(3, 2), tally(0, 0))}},
			"RA1", collate.Received, nil, "+33.3"},
		{"a fall is negative",
			collate.Input{Now: closed, Returns: []store.ProviderReturn{held(2, "RA1", "2026-27Q2", uk(time.October, 5, 9), tally(8, 7), tally(0, 0))},
				Previous: []store.ProviderReturn{held(1, "RA1", "2026-27Q1", uk(time.July, 5, 9), tally(8, 8), tally(0, 0))}},
			"RA1", collate.Received, nil, "-12.5"},
		{"a refused file with no accepted return is flagged",
			collate.Input{Now: closed, Rejections: []store.ProviderRejection{{ProviderCode: "RB2", ReceivedAt: uk(time.October, 5, 9)}}},
			"RB2", collate.Missing, []string{collate.FlagMissing, collate.FlagRejectedFile}, ""},
		{"a refused correction after an accepted return is flagged",
			collate.Input{Now: closed, Returns: []store.ProviderReturn{held(1, "RB2", "2026-27Q2", uk(time.October, 5, 9), tally(10, 9), tally(0, 0))},
				Rejections: []store.ProviderRejection{{ProviderCode: "RB2", ReceivedAt: uk(time.October, 6, 9)}}},
			"RB2", collate.Received, []string{collate.FlagRejectedFile}, ""},
		{"a refused file before the accepted return is history",
			collate.Input{Now: closed, Returns: []store.ProviderReturn{held(1, "RB2", "2026-27Q2", uk(time.October, 5, 9), tally(10, 9), tally(0, 0))},
				Rejections: []store.ProviderRejection{{ProviderCode: "RB2", ReceivedAt: uk(time.October, 4, 9)}}},
			"RB2", collate.Received, nil, ""},
		{"a return from a provider not in the config is kept and flagged",
			collate.Input{Now: closed, Returns: []store.ProviderReturn{held(1, "RZ9", "2026-27Q2", uk(time.October, 5, 9), tally(10, 9), tally(0, 0))}},
			"RZ9", collate.Received, []string{collate.FlagUnknownProvider}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := tc.in
			in.Quarter, in.Window, in.Providers = q2, w, providers
			a := collate.Assess(in)
			var line *collate.Line
			for i := range a.Lines {
				if a.Lines[i].Provider.ODSCode == tc.code {
					line = &a.Lines[i]
				}
			}
			if line == nil {
				t.Fatalf("no line for %s", tc.code)
			}
			if line.Status != tc.status || !slices.Equal(line.Flags, tc.flags) || line.Change(compliance.Basic) != tc.basicPP {
				t.Errorf("status %s, flags %v, basic change %q; want %s, %v, %q", line.Status, line.Flags, line.Change(compliance.Basic),
					tc.status, tc.flags, tc.basicPP)
			}
		})
	}
	t.Run("configured providers come first, by name, then unknown ones by code", func(t *testing.T) {
		a := collate.Assess(collate.Input{Quarter: q2, Window: w, Now: closed, Providers: providers,
			Returns: []store.ProviderReturn{held(1, "RZ9", "2026-27Q2", closed, tally(1, 1), tally(0, 0)), held(2, "RY8", "2026-27Q2", closed, tally(1, 1), tally(0, 0))}})
		var got []string
		for _, l := range a.Lines {
			got = append(got, l.Provider.ODSCode)
		}
		if strings.Join(got, " ") != "RA1 RB2 RY8 RZ9" {
			t.Errorf("order %v", got)
		}
	})
	t.Run("a configured provider is named as the config names it", func(t *testing.T) {
		a := collate.Assess(collate.Input{Quarter: q2, Window: w, Now: closed, Providers: providers,
			Returns: []store.ProviderReturn{held(1, "RA1", "2026-27Q2", closed, tally(1, 1), tally(0, 0))}})
		if a.Lines[0].Provider.Name != "Alpha" {
			t.Errorf("named %q", a.Lines[0].Provider.Name)
		}
	})
}

func TestAssuranceOutputs(t *testing.T) {
	w := collate.SubmissionWindow(q2, 15)
	closed := uk(time.October, 28, 9)
	a := collate.Assess(collate.Input{Quarter: q2, Window: w, Now: closed, Threshold: 0.85,
		Providers: []collate.Provider{{Name: "Alpha NHS Trust", ODSCode: "RA1"}, {Name: "=HYPERLINK(\"x\")", ODSCode: "RB2"}},
		Returns:   []store.ProviderReturn{held(1, "RA1", "2026-27Q2", uk(time.October, 5, 9), tally(10, 9), tally(5, 4))},
		Rejections: []store.ProviderRejection{{FileName: "b.csv", ProviderCode: "RB2", ReceivedAt: uk(time.October, 6, 9),
			Row: 4, Column: "headcount", Reason: "TOTAL is 10 but the organisation rows add up to 9"}}})

	t.Run("the table names the window, each provider, the headline and the refused files", func(t *testing.T) {
		var b bytes.Buffer
		if err := a.WriteTable(&b); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"returns due by Wednesday 21 October 2026", "Alpha NHS Trust", "90.0%", "80.0%", "below_threshold",
			"missing rejected_file", "1 of 2 providers received; 1 missing; 1 below 85%; 1 file refused.",
			"b.csv (RB2, received 2026-10-06 09:00): row 4, column headcount: TOTAL is 10"} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("table lacks %q:\n%s", want, b.String())
			}
		}
	})
	t.Run("CSV cells cannot run as formulas", func(t *testing.T) {
		var b bytes.Buffer
		_ = a.WriteCSV(&b)
		if !strings.Contains(b.String(), `"'=HYPERLINK(""x"")"`) {
			t.Errorf("provider name not neutralised:\n%s", b.String())
		}
	})
	t.Run("the workbook has the table, a chart against the threshold and the refused files", func(t *testing.T) {
		var b bytes.Buffer
		if err := a.WriteXLSX(&b); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&b)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		if got := f.GetSheetList(); !slices.Equal(got, []string{collate.SheetAssurance, collate.SheetChart, collate.SheetRefused}) {
			t.Errorf("sheets %v", got)
		}
		rows, _ := f.GetRows(collate.SheetAssurance)
		// "=HYPERLINK..." sorts before "Alpha NHS Trust".
		if !slices.Equal(rows[0], collate.Columns) || rows[2][1] != "RA1" || rows[2][colOf("level3_pct")] != "80.0" {
			t.Errorf("assurance sheet %q", rows[:2])
		}
		chart, _ := f.GetRows(collate.SheetChart)
		if len(chart) != 2 || chart[0][4] != "85% threshold" || chart[1][0] != "Alpha NHS Trust" || chart[1][4] != "85.0" {
			t.Errorf("chart data %q", chart)
		}
		refused, _ := f.GetRows(collate.SheetRefused)
		if len(refused) != 2 || refused[1][0] != "b.csv" || refused[1][4] != "headcount" {
			t.Errorf("refused sheet %q", refused)
		}
		var zipped bytes.Buffer
		_ = a.WriteXLSX(&zipped)
		if !bytes.Contains(zipped.Bytes(), []byte("xl/charts/chart1.xml")) {
			t.Error("no chart in the workbook")
		}
	})
}

func colOf(name string) int {
	for i, c := range collate.Columns {
		if c == name {
			return i
		}
	}
	panic(name)
}

func TestTemplate(t *testing.T) {
	p := &returns.Provider{Name: "Delta Community Care", ODSCode: "RD4"}
	var b bytes.Buffer
	due := collate.SubmissionWindow(q2, 15).LastDay()
	if err := collate.WriteTemplate(&b, collate.Template{Quarter: q2, Provider: p, DueBy: due}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(b.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := f.GetRows(returns.SheetReturn)
	t.Run("the Return sheet has the return's CSV header", func(t *testing.T) {
		if !slices.Equal(f.GetSheetList(), []string{returns.SheetReturn, collate.SheetInstructions}) || !slices.Equal(rows[0], returns.Columns) {
			t.Errorf("sheets %v, header %v", f.GetSheetList(), rows[0])
		}
	})
	t.Run("quarter and provider are filled in on every row, TOTAL last", func(t *testing.T) {
		last := collate.TemplateRows + 1
		if len(rows) != last+1 || rows[last][3] != "TOTAL" {
			t.Fatalf("%d rows, last %v", len(rows), rows[len(rows)-1])
		}
		for _, r := range rows[1:] {
			if r[0] != "2026-27Q2" || r[1] != "RD4" || r[2] != "Delta Community Care" {
				t.Errorf("row %v", r)
			}
		}
	})
	t.Run("the instructions say how to fill it in and by when", func(t *testing.T) {
		ins, _ := f.GetRows(collate.SheetInstructions)
		var text []string
		for _, r := range ins {
			text = append(text, strings.Join(r, " "))
		}
		all := strings.Join(text, "\n")
		for _, want := range []string{"Prevent quarterly data return 2026-27Q2", "Delta Community Care (ODS code RD4)", "rounded half up",
			"Insert them above TOTAL", "by Wednesday 21 October 2026"} {
			if !strings.Contains(all, want) {
				t.Errorf("instructions lack %q:\n%s", want, all)
			}
		}
	})
	t.Run("left blank, it is not a return that adds up", func(t *testing.T) {
		tb, err := collate.Read("blank.xlsx", b.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		if _, problems := collate.Check(tb, collate.Rules{}); len(problems) == 0 {
			t.Error("a blank template was accepted")
		}
	})
	t.Run("without a provider, only the quarter is filled in", func(t *testing.T) {
		var b bytes.Buffer
		if err := collate.WriteTemplate(&b, collate.Template{Quarter: q2}); err != nil {
			t.Fatal(err)
		}
		f, _ := excelize.OpenReader(&b)
		defer f.Close()
		rows, _ := f.GetRows(returns.SheetReturn)
		if rows[1][0] != "2026-27Q2" || len(rows[1]) > 1 {
			t.Errorf("row 2: %q", rows[1])
		}
	})
	t.Run("filled in without the provider on every row, it is accepted", func(t *testing.T) {
		var tpl bytes.Buffer
		_ = collate.WriteTemplate(&tpl, collate.Template{Quarter: q2})
		f, _ := excelize.OpenReader(&tpl)
		defer f.Close()
		for ref, v := range map[string]any{"B2": "rd4", "C2": "Delta Community Care", "D2": "Delta", "E2": 3, "F2": 3, "G2": 3, "O2": 3,
			"E12": 3, "F12": 3, "G12": 3, "O12": 3} {
			_ = f.SetCellValue(returns.SheetReturn, ref, v)
		}
		for _, ref := range []string{"I", "J", "L", "M"} { // level3 and face_to_face required and compliant
			_ = f.SetCellValue(returns.SheetReturn, ref+"2", 0)
			_ = f.SetCellValue(returns.SheetReturn, ref+"12", 0)
		}
		var out bytes.Buffer
		_ = f.Write(&out)
		tb, err := collate.Read("t.xlsx", out.Bytes())
		if err != nil {
			t.Fatal(err)
		}
		r, problems := collate.Check(tb, collate.Rules{Quarter: q2})
		if len(problems) > 0 || r.Provider.ODSCode != "RD4" || r.Provider.Name != "Delta Community Care" {
			t.Errorf("%+v %v", r.Provider, problems)
		}
	})
}
