package collate_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/collate"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/returns"
)

var q2 = returns.Quarter{StartYear: 2026, Q: 2}

// counts is one organisation's people: per level, how many require it and
// how many of them are compliant.
type counts map[compliance.Level][2]int

// people makes a small workforce with the given counts per organisation.
func people(orgs map[string]counts) []compliance.Person {
	var out []compliance.Person
	n := 0
	for org, byLevel := range orgs {
		for _, l := range compliance.Levels {
			c := byLevel[l]
			for i := 0; i < c[0]; i++ {
				n++
				st := compliance.Expired
				if i < c[1] {
					st = compliance.Compliant
				}
				out = append(out, compliance.Person{EmployeeNumber: fmt.Sprint(10000000 + n), Organisation: org, Requirement: l, Status: st})
			}
		}
	}
	return out
}

// build makes a provider's return as prevent computes it.
func build(t testing.TB, q returns.Quarter, code, name string, orgs map[string]counts) *returns.Return {
	t.Helper()
	return returns.Build(q, returns.Provider{Name: name, ODSCode: code}, people(orgs), 0.85)
}

func csvOf(t testing.TB, r *returns.Return) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func xlsxOf(t testing.TB, r *returns.Return) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteXLSX(&b, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// twoOrgs is a provider's workforce in two organisations.
var twoOrgs = map[string]counts{
	"Acute":     {compliance.Basic: {10, 9}, compliance.Level3: {8, 8}, compliance.FaceToFace: {1, 1}},
	"Community": {compliance.Basic: {6, 6}, compliance.Level3: {2, 2}},
}

// filledTemplate is the template for a provider, filled in by hand as a
// provider without prevent would: counts only, percentages and
// meets_threshold left blank, unused rows left empty.
func filledTemplate(t testing.TB, q returns.Quarter, p *returns.Provider, rows [][]any) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := collate.WriteTemplate(&b, collate.Template{Quarter: q, Provider: p}); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	// Organisation rows from row 2; the last given goes on the TOTAL row.
	set := func(row int, values []any) {
		for i, name := range []string{"organisation", "headcount", "basic_required", "basic_compliant",
			"level3_required", "level3_compliant", "face_to_face_required", "face_to_face_compliant", "all_compliant"} {
			if i >= len(values) || values[i] == nil {
				continue
			}
			if name == "organisation" && row == collate.TemplateRows+2 {
				continue // TOTAL is there already
			}
			ref, _ := excelize.CoordinatesToCellName(colIndex(name)+1, row)
			if err := f.SetCellValue(returns.SheetReturn, ref, values[i]); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, r := range rows[:len(rows)-1] {
		set(i+2, r)
	}
	set(collate.TemplateRows+2, rows[len(rows)-1])
	var out bytes.Buffer
	if err := f.Write(&out); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func colIndex(name string) int {
	for i, c := range returns.Columns {
		if c == name {
			return i
		}
	}
	panic("no column " + name)
}

// edit changes cells of a CSV return: row is the record's index (0 is the
// first organisation), "last" picks TOTAL.
type edit struct {
	row    int // -1: the TOTAL row
	column string
	value  string
}

func editCSV(t testing.TB, data []byte, edits ...edit) []byte {
	t.Helper()
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	for _, e := range edits {
		i := e.row + 1
		if e.row < 0 {
			i = len(lines) + e.row
		}
		cells := strings.Split(strings.TrimRight(lines[i], "\r"), ",")
		cells[colIndex(e.column)] = e.value
		lines[i] = strings.Join(cells, ",")
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

// dropLine removes a line of a CSV (0 is the header).
func dropLine(data []byte, i int) []byte {
	lines := strings.Split(string(data), "\n")
	return []byte(strings.Join(append(lines[:i:i], lines[i+1:]...), "\n"))
}
