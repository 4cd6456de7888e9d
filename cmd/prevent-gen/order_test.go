package main

import (
	"bytes"
	"encoding/csv"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// TestDefaultOrderUnchanged checks that the flags that made the demo files
// still make them byte for byte, with and without -order person.
func TestDefaultOrderUnchanged(t *testing.T) {
	for _, args := range [][]string{nil, {"-order", "person"}} {
		dir := generate(t, args...)
		for _, name := range []string{staffCSV, staffXLSX, lmsCSV, esrXLSX} {
			want := read(t, filepath.Join("..", "..", "testdata", "demo", name))
			if got := read(t, filepath.Join(dir, name)); !bytes.Equal(got, want) {
				t.Errorf("%v: %s differs from testdata/demo (%d bytes, want %d)", args, name, len(got), len(want))
			}
		}
	}
}

// lmsRows reads the LMS export's data rows.
func lmsRows(t *testing.T, dir string) [][]string {
	t.Helper()
	rd := csv.NewReader(bytes.NewReader(read(t, filepath.Join(dir, lmsCSV))))
	rd.Comma = ';'
	recs, err := rd.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs[1:]
}

// esrRows reads the competence report's data rows, raw.
func esrRows(t *testing.T, dir string) [][]string {
	t.Helper()
	f, err := excelize.OpenFile(filepath.Join(dir, esrXLSX))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0], excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	return rows[2:]
}

func joined(rows [][]string) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = strings.Join(r, "\x1f")
	}
	return out
}

// TestOrders checks that every order writes the same rows as the person
// order, rearranged, and that the sorted orders are sorted.
func TestOrders(t *testing.T) {
	base := generate(t, "-people", "150")
	lms, esr := joined(lmsRows(t, base)), joined(esrRows(t, base))
	for _, order := range rowOrders[1:] {
		t.Run(order, func(t *testing.T) {
			dir := generate(t, "-people", "150", "-order", order)
			if !bytes.Equal(read(t, filepath.Join(dir, staffXLSX)), read(t, filepath.Join(base, staffXLSX))) {
				t.Error("the staff extract changed: -order is for the completions files")
			}
			lr, er := lmsRows(t, dir), esrRows(t, dir)
			for _, c := range []struct {
				name      string
				got, want []string
			}{{"LMS", joined(lr), lms}, {"ESR", joined(er), esr}} {
				if slices.Equal(c.got, c.want) {
					t.Errorf("%s rows are in the person order", c.name)
				}
				got, want := slices.Clone(c.got), slices.Clone(c.want)
				slices.Sort(got)
				slices.Sort(want)
				if !slices.Equal(got, want) {
					t.Errorf("%s rows are not a permutation of the person order's (%d rows, want %d)", c.name, len(got), len(want))
				}
			}
			switch order {
			case orderCourseDate:
				for i := 1; i < len(lr); i++ {
					if lr[i][2] < lr[i-1][2] {
						t.Fatalf("LMS row %d course %q after %q", i+2, lr[i][2], lr[i-1][2])
					}
				}
			case orderEmployee:
				for i := 1; i < len(er); i++ {
					if er[i][0] < er[i-1][0] {
						t.Fatalf("ESR row %d employee %q after %q", i+3, er[i][0], er[i-1][0])
					}
				}
			case orderLearnerName:
				// "First Last" (surnames may hold spaces), sorted as "Last First".
				key := func(full string) string {
					first, last, _ := strings.Cut(full, " ")
					return last + " " + first
				}
				for i := 1; i < len(er); i++ {
					if key(er[i][1]) < key(er[i-1][1]) {
						t.Fatalf("ESR row %d learner %q after %q", i+3, er[i][1], er[i-1][1])
					}
				}
			}
		})
	}
}
