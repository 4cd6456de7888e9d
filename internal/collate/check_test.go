package collate_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/internal/collate"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/returns"
)

func read(t *testing.T, name string, data []byte, rules collate.Rules) (*collate.Return, []collate.Problem) {
	t.Helper()
	tb, err := collate.Read(name, data)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return collate.Check(tb, rules)
}

func TestCheckAccepts(t *testing.T) {
	r := build(t, q2, "RA1", "Alpha NHS Trust", twoOrgs)
	suppressed := build(t, q2, "RA1", "Alpha NHS Trust", twoOrgs)
	suppressed.SuppressBelow = 5
	alpha := &returns.Provider{Name: "Alpha NHS Trust", ODSCode: "RA1"}
	tests := []struct {
		name, file string
		data       []byte
		format     string
	}{
		{"the CSV prevent writes", "a.csv", csvOf(t, r), collate.FormatCSV},
		{"the XLSX prevent writes, from its Return sheet", "a.xlsx", xlsxOf(t, r), collate.FormatXLSX},
		{"a CSV saved again with a BOM, semicolons and Windows line ends", "a.csv",
			append([]byte("\ufeff"), strings.ReplaceAll(strings.ReplaceAll(string(csvOf(t, r)), ",", ";"), "\n", "\r\n")...), collate.FormatCSV},
		{"a return whose file name says nothing", "attachment-1", csvOf(t, r), collate.FormatCSV},
		{"small numbers withheld as * in organisation rows", "s.csv", csvOf(t, suppressed), collate.FormatCSV},
		{"a filled-in template with percentages left blank", "t.xlsx", filledTemplate(t, q2, alpha, [][]any{
			{"Acute", 19, 10, 9, 8, 8, 1, 1, 18},
			{"Community", 8, 6, 6, 2, 2, 0, 0, 8},
			{"TOTAL", 27, 16, 15, 10, 10, 1, 1, 26},
		}), collate.FormatTemplate},
		{"quarter and provider given once, on the first row only", "once.csv", editCSV(t, csvOf(t, r),
			edit{1, "quarter", ""}, edit{1, "provider_code", ""}, edit{-1, "provider", ""}), collate.FormatCSV},
		{"a quarter in another form than canonical", "form.csv", editCSV(t, csvOf(t, r), edit{0, "quarter", "2026/27 Q2"}), collate.FormatCSV},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, problems := read(t, tc.file, tc.data, collate.Rules{Quarter: q2})
			if len(problems) > 0 {
				t.Fatalf("refused: %v", problems)
			}
			if got.Table.Format != tc.format || got.Quarter != q2 || got.Provider.ODSCode != "RA1" || got.Organisations != 2 {
				t.Errorf("format %s, quarter %s, provider %+v, %d organisations", got.Table.Format, got.Quarter, got.Provider, got.Organisations)
			}
			tot := got.Total
			if tot.Headcount != 27 || tot.Level(compliance.Basic) != (compliance.Tally{Required: 16, Compliant: 15}) ||
				tot.Level(compliance.Level3) != (compliance.Tally{Required: 10, Compliant: 10}) || tot.All.Compliant != 26 {
				t.Errorf("TOTAL %+v", tot)
			}
		})
	}
	t.Run("the accepted table is the return's CSV, blanks worked out", func(t *testing.T) {
		got, _ := read(t, "t.xlsx", filledTemplate(t, q2, alpha, [][]any{
			{"Acute", 19, 10, 9, 8, 8, 1, 1, 18},
			{"Community", 8, 6, 6, 2, 2, 0, 0, 8},
			{"TOTAL", 27, 16, 15, 10, 10, 1, 1, 26},
		}), collate.Rules{})
		if want := string(csvOf(t, r)); got.CSV() != want {
			t.Errorf("got\n%s\nwant\n%s", got.CSV(), want)
		}
	})
}

func TestCheckRefuses(t *testing.T) {
	r := build(t, q2, "RA1", "Alpha NHS Trust", twoOrgs) // rows: 2 Acute, 3 Community, 4 TOTAL
	good := csvOf(t, r)
	tests := []struct {
		name   string
		data   []byte
		rules  collate.Rules
		row    int
		column string
		reason string
	}{
		{"a TOTAL that is not the sum of the organisation rows", dropLine(good, 2), collate.Rules{},
			3, "headcount", "TOTAL is 27 but the organisation rows add up to 19"},
		{"more compliant than required", editCSV(t, good, edit{1, "basic_compliant", "7"}), collate.Rules{},
			3, "basic_compliant", "7 compliant is more than the 6 of basic_required"},
		{"a headcount that is not the sum of the levels' required", editCSV(t, good, edit{0, "headcount", "20"}), collate.Rules{},
			2, "headcount", "20 is not the sum of basic/level3/face_to_face_required (19)"},
		{"all_compliant that is not the sum of the levels' compliant", editCSV(t, good, edit{0, "all_compliant", "17"}), collate.Rules{},
			2, "all_compliant", "17 is not the sum of basic/level3/face_to_face_compliant (18)"},
		{"a percentage that does not match its counts", editCSV(t, good, edit{-1, "basic_pct", "93.7"}), collate.Rules{},
			4, "basic_pct", "93.7 does not match 15 of 16, which is 93.8"},
		{"a percentage where nobody is required", editCSV(t, good, edit{1, "face_to_face_pct", "0.0"}), collate.Rules{},
			3, "face_to_face_pct", `"0.0", but face_to_face_required is 0: leave it empty`},
		{"a percentage left out", editCSV(t, good, edit{0, "level3_pct", ""}), collate.Rules{},
			2, "level3_pct", "no percentage given (8 of 8 is 100.0)"},
		{"meets_threshold that does not follow the rates", editCSV(t, good, edit{-1, "meets_threshold", "no"}), collate.Rules{},
			4, "meets_threshold", "no, but every level with staff required reaches 85%"},
		{"meets_threshold against the commissioner's threshold", good, collate.Rules{Threshold: 0.95},
			2, "meets_threshold", "yes, but basic is 90.0% (9 of 10), below 95%"},
		{"meets_threshold that is neither yes nor no", editCSV(t, good, edit{0, "meets_threshold", "Y"}), collate.Rules{},
			2, "meets_threshold", `"Y" is not yes or no`},
		{"a return for another quarter than the one collated", good, collate.Rules{Quarter: q2.Next()},
			2, "quarter", "the return is for 2026-27Q2, but 2026-27Q3 is being collated"},
		{"two quarters in one file", editCSV(t, good, edit{1, "quarter", "2026-27Q1"}), collate.Rules{},
			3, "quarter", "2026-27Q1 here but 2026-27Q2 on row 2: a return is for one quarter"},
		{"a quarter that is not one", editCSV(t, good, edit{0, "quarter", "Q5 2026"}), collate.Rules{},
			2, "quarter", `quarter "Q5 2026" is not a financial-year quarter`},
		{"two providers in one file", editCSV(t, good, edit{1, "provider_code", "RB2"}), collate.Rules{},
			3, "provider_code", "RB2 here but RA1 on row 2: a return is from one provider"},
		{"a provider code that is not an ODS code", editCSV(t, good, edit{0, "provider_code", "R-A1"}), collate.Rules{},
			2, "provider_code", `"R-A1" is not an ODS code`},
		{"no TOTAL row", dropLine(good, 3), collate.Rules{},
			0, "organisation", "no TOTAL row"},
		{"TOTAL above an organisation row", editCSV(t, good, edit{0, "organisation", "TOTAL"}, edit{-1, "organisation", "Acute"}), collate.Rules{},
			2, "organisation", "TOTAL must be the last row"},
		{"an organisation given twice", editCSV(t, good, edit{1, "organisation", "acute"}), collate.Rules{},
			3, "organisation", `"acute" is also on row 2`},
		{"a row with figures but no organisation", editCSV(t, good, edit{1, "organisation", ""}), collate.Rules{},
			3, "organisation", "no organisation named"},
		{"a count that is not a whole number", editCSV(t, good, edit{0, "level3_required", "eight"}), collate.Rules{},
			2, "level3_required", `"eight" is not a whole number`},
		{"a negative count", editCSV(t, good, edit{0, "face_to_face_compliant", "-1"}), collate.Rules{},
			2, "face_to_face_compliant", "-1 is negative"},
		{"a count left out", editCSV(t, good, edit{0, "basic_required", ""}), collate.Rules{},
			2, "basic_required", "no count given (write 0 when there is none)"},
		{"a withheld count in the TOTAL row", editCSV(t, good, edit{-1, "face_to_face_required", "*"}), collate.Rules{},
			4, "face_to_face_required", "the TOTAL row may not withhold a count"},
		{"withheld counts that cannot fit the TOTAL", editCSV(t, good, edit{0, "face_to_face_required", "*"}, edit{0, "face_to_face_compliant", "*"},
			edit{0, "face_to_face_pct", ""}, edit{-1, "face_to_face_required", "0"}, edit{-1, "face_to_face_compliant", "0"}, edit{-1, "face_to_face_pct", ""},
			edit{-1, "headcount", "26"}, edit{-1, "all_compliant", "25"}, edit{-1, "all_pct", "96.2"}), collate.Rules{},
			4, "face_to_face_required", "TOTAL is 0 but the organisation rows shown add up to 0, with 1 more withheld"},
		{"a header row with no figures under it", []byte(strings.Join(returns.Columns, ",") + "\n"), collate.Rules{},
			0, "", "the return has a header row but no figures"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, problems := read(t, "RA1.csv", tc.data, tc.rules)
			for _, p := range problems {
				if p.Row == tc.row && p.Column == tc.column && strings.Contains(p.Reason, tc.reason) {
					if p.File != "RA1.csv" {
						t.Errorf("problem names file %q", p.File)
					}
					return
				}
			}
			t.Errorf("want row %d, column %s: %q; got %d problems:\n%v", tc.row, tc.column, tc.reason, len(problems), problems)
		})
	}
	t.Run("a problem reads as file, row, column and reason", func(t *testing.T) {
		_, problems := read(t, "RA1.csv", dropLine(good, 2), collate.Rules{})
		want := "RA1.csv row 3, column headcount: TOTAL is 27 but the organisation rows add up to 19"
		if len(problems) == 0 || problems[0].Error() != want {
			t.Errorf("got %v\nwant %s", problems, want)
		}
	})
}

func TestNotAReturn(t *testing.T) {
	r := build(t, q2, "RA1", "Alpha NHS Trust", twoOrgs)
	tests := []struct {
		name   string
		data   []byte
		reason string
	}{
		{"an empty file", []byte("\ufeff \n"), "is empty"},
		{"a staff extract", []byte("Employee Number,Full Name,Organisation\n1,A,B\n"), "is not a Prevent quarterly return"},
		{"an old .xls workbook", []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest"), "old-style .xls"},
		{"a binary file", []byte("\x89PNG\r\n\x1a\n\x00\x00"), "neither a CSV file nor an XLSX workbook"},
		{"a damaged workbook", []byte("PK\x03\x04 not really a zip"), "cannot be read as an XLSX workbook"},
		{"a header with a column missing", []byte(strings.Replace(string(csvOf(t, r)), ",all_pct", "", 1)), "no header row"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := collate.Read("f", tc.data)
			if !collate.IsNotReturn(err) || !strings.Contains(err.Error(), tc.reason) {
				t.Errorf("got %v, want %q", err, tc.reason)
			}
		})
	}
	t.Run("the same content has the same hash", func(t *testing.T) {
		a, _ := collate.Read("a.csv", csvOf(t, r))
		b, _ := collate.Read("b.csv", csvOf(t, r))
		c, _ := collate.Read("c.csv", bytes.ReplaceAll(csvOf(t, r), []byte("Acute"), []byte("Acute2")))
		if a.SHA256 != b.SHA256 || a.SHA256 == c.SHA256 || len(a.SHA256) != 64 {
			t.Errorf("%s %s %s", a.SHA256, b.SHA256, c.SHA256)
		}
	})
}
