package main

import (
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// updateCompat rewrites the golden files under testdata/compat/golden from
// the binary under test. They were written by the binary as it stood before
// start dates, exemptions, organisation levels, RAG and annual updates,
// so the test proves those features change nothing until configured.
var updateCompat = flag.Bool("update-compat", false, "rewrite testdata/compat/golden from this binary")

// compatTrust is one trust the compatibility test imports and reports on.
type compatTrust struct {
	name        string
	staff       []string
	completions []string
	asOf        []string
	quarter     string
}

func compatTrusts() []compatTrust {
	demo := func(f string) string { return filepath.Join("..", "..", "testdata", "demo", f) }
	gen := func(f string) string { return filepath.Join("..", "..", "testdata", "compat", "gen", f) }
	return []compatTrust{
		{
			name:        "demo",
			staff:       []string{demo("esr_staff_2026-09-30.csv"), demo("ESR Staff Extract 2026-10-31.xlsx")},
			completions: []string{demo("LMS completions export 2026-11-01.csv"), demo("ESR competences 2026-11-01.xlsx")},
			asOf:        []string{"2026-09-30", "2026-11-15"},
			quarter:     "2026-27Q2",
		},
		{
			name:        "gen",
			staff:       []string{gen("esr_staff_2026-10-31.csv")},
			completions: []string{gen("LMS completions export 2026-11-01.csv"), gen("ESR competences 2026-11-01.xlsx")},
			asOf:        []string{"2026-10-31"},
			quarter:     "2026-27Q3",
		},
	}
}

// TestCompatibilityGolden runs the binary with the unchanged example
// config on the demo trust and a small generated trust and compares every
// report byte for byte with the outputs of the binary before the
// "Counting as the trust counts" features.
func TestCompatibilityGolden(t *testing.T) {
	golden := filepath.Join("..", "..", "testdata", "compat", "golden")
	config, err := filepath.Abs(filepath.Join("..", "..", "testdata", "compat", "prevent.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tr := range compatTrusts() {
		t.Run(tr.name, func(t *testing.T) {
			dir := t.TempDir()
			db := "sqlite:" + filepath.Join(dir, "prevent.db")
			abs := func(files []string) []string {
				out := make([]string, len(files))
				for i, f := range files {
					a, err := filepath.Abs(f)
					if err != nil {
						t.Fatal(err)
					}
					out[i] = a
				}
				return out
			}
			base := []string{"--config", config}
			if r := prevent(t, dir, db, append(append(base, "import", "staff"), abs(tr.staff)...)...); r.code != 0 {
				t.Fatalf("import staff: exit %d: %s", r.code, r.stderr)
			}
			if r := prevent(t, dir, db, append(append(base, "import", "completions"), abs(tr.completions)...)...); r.code != 0 {
				t.Fatalf("import completions: exit %d: %s", r.code, r.stderr)
			}
			outputs := map[string]string{}
			stdout := func(name string, args ...string) {
				r := prevent(t, dir, db, append(base, args...)...)
				if r.code != 0 {
					t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
				}
				outputs[name] = r.stdout
			}
			for _, d := range tr.asOf {
				for _, f := range []string{"table", "csv", "json"} {
					stdout("status-"+d+"."+f, "status", "--as-of", d, "--format", f)
					stdout("summary-"+d+"."+f, "summary", "--as-of", d, "--format", f)
				}
				xlsx := filepath.Join(dir, "status-"+d+".xlsx")
				stdout("status-xlsx-"+d+".log", "status", "--as-of", d, "--format", "xlsx", "--out", xlsx)
				outputs["status-"+d+".xlsx.txt"] = sheetText(t, xlsx)
				stdout("remind-"+d+".txt", "remind", "--as-of", d)
			}
			stdout("return-"+tr.quarter+".csv", "return", "--quarter", tr.quarter, "--format", "csv")
			xlsx := filepath.Join(dir, "return.xlsx")
			stdout("return-"+tr.quarter+".log", "return", "--quarter", tr.quarter, "--out", xlsx)
			outputs["return-"+tr.quarter+".xlsx.txt"] = sheetText(t, xlsx)

			for name, got := range outputs {
				path := filepath.Join(golden, tr.name, name)
				if *updateCompat {
					if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
						t.Fatal(err)
					}
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatalf("golden %s: %v (run go test ./cmd/prevent -run TestCompatibilityGolden -update-compat on the old binary)", path, err)
				}
				if got != string(want) {
					t.Errorf("%s differs from %s:\n%s", name, path, firstDiff(string(want), got))
				}
			}
		})
	}
}

// sheetText is every sheet of a workbook as text: the sheet name, then
// each row's cells as stored, tab-separated, the time it was generated
// masked.
func sheetText(t *testing.T, path string) string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b strings.Builder
	for _, sheet := range f.GetSheetList() {
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString("== " + sheet + "\n")
		for _, row := range rows {
			if len(row) == 2 && row[0] == "Generated" {
				row = []string{row[0], "(the time of the run)"} // the only cell that changes run to run
			}
			b.WriteString(strings.Join(row, "\t") + "\n")
		}
	}
	return b.String()
}

// firstDiff shows the first line where two texts differ.
func firstDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			return "line " + strconv.Itoa(i+1) + ":\n want " + wl + "\n  got " + gl
		}
	}
	return "(same lines, different bytes)"
}
