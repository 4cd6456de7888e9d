package main

import (
	"bytes"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// generate runs the command into a fresh temp dir and returns it.
func generate(t *testing.T, args ...string) string {
	t.Helper()
	dir := t.TempDir()
	args = append([]string{"-out", dir, "-quiet"}, args...)
	if err := run(args, io.Discard, io.Discard); err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return dir
}

func read(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const (
	staffCSV  = "esr_staff_2026-09-30.csv"
	staffXLSX = "ESR Staff Extract 2026-10-31.xlsx"
	lmsCSV    = "LMS completions export 2026-11-01.csv"
	esrXLSX   = "ESR competences 2026-11-01.xlsx"
)

func TestDefaultFiles(t *testing.T) {
	dir := generate(t, "-people", "50")
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	want := []string{esrXLSX, staffXLSX, lmsCSV, staffCSV}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("files = %q, want %q", got, want)
	}
}

func TestDeterministic(t *testing.T) {
	a := generate(t, "-people", "50")
	b := generate(t, "-people", "50")
	for _, f := range []string{staffCSV, staffXLSX, lmsCSV, esrXLSX} {
		if !bytes.Equal(read(t, filepath.Join(a, f)), read(t, filepath.Join(b, f))) {
			t.Errorf("%s differs between two runs with the same seed", f)
		}
	}
	c := generate(t, "-people", "50", "-seed", "2")
	if bytes.Equal(read(t, filepath.Join(a, staffCSV)), read(t, filepath.Join(c, staffCSV))) {
		t.Errorf("seeds 1 and 2 gave the same %s", staffCSV)
	}
}

func TestStaffCSV(t *testing.T) {
	dir := generate(t, "-people", "50")
	raw := read(t, filepath.Join(dir, staffCSV))
	if !bytes.HasPrefix(raw, []byte("\ufeffEmployee Number,")) {
		t.Errorf("no UTF-8 BOM before the header: %q", raw[:20])
	}
	if bytes.Count(raw, []byte("\n")) != bytes.Count(raw, []byte("\r\n")) {
		t.Error("not every line ends CRLF")
	}
	if n := bytes.Count(raw, []byte("\r\n\r\n")); n != 1 {
		t.Errorf("%d blank lines, want 1", n)
	}
	recs, err := csv.NewReader(bytes.NewReader(raw[3:])).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], staffCSVHeader) {
		t.Errorf("header = %q", recs[0])
	}
	rows := recs[1:]
	if len(rows) < 50 || len(rows) > 75 {
		t.Errorf("%d assignment rows for 50 people", len(rows))
	}
	people := map[string]bool{}
	for _, r := range rows {
		emp := strings.TrimSpace(r[0])
		if len(emp) != 8 {
			t.Errorf("employee number %q is not 8 digits", emp)
		}
		if an := strings.TrimSpace(r[1]); an != emp && !strings.HasPrefix(an, emp+"-") {
			t.Errorf("assignment number %q does not belong to %q", an, emp)
		}
		people[emp] = true
	}
	if len(people) != 50 {
		t.Errorf("%d people in the first snapshot, want 50", len(people))
	}
}

func TestStaffXLSX(t *testing.T) {
	dir := generate(t, "-people", "50")
	f, err := excelize.OpenFile(filepath.Join(dir, staffXLSX))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if got := f.GetSheetList(); !slices.Equal(got, []string{"Notes", "Staff List"}) {
		t.Fatalf("sheets = %q, want the Notes cover first", got)
	}
	rows, err := f.GetRows("Staff List")
	if err != nil {
		t.Fatal(err)
	}
	titles := []string{"Electronic Staff Record", "Report: Staff List - All Assignments", "Run date: 01-Nov-2026"}
	for k, want := range titles {
		if len(rows[k]) != 1 || rows[k][0] != want {
			t.Errorf("row %d = %q, want title %q", k+1, rows[k], want)
		}
	}
	if len(rows[3]) != 0 {
		t.Errorf("row 4 = %q, want blank", rows[3])
	}
	if rows[4][0] != "Employee Number" || rows[4][2] != "Full Name" || len(rows[4]) != len(staffXLSXHeader) {
		t.Errorf("header row 5 = %q", rows[4])
	}
	data := rows[5:]
	if len(data) < 48 || len(data) > 80 {
		t.Errorf("%d assignment rows for about 50 people", len(data))
	}
	typ, err := f.GetCellType("Staff List", "A6")
	if err != nil || typ != excelize.CellTypeUnset && typ != excelize.CellTypeNumber {
		t.Errorf("employee number cell type = %v, %v; want a number", typ, err)
	}
	if v, _ := f.GetCellValue("Staff List", "A6", excelize.Options{RawCellValue: true}); len(v) != 8 {
		t.Errorf("employee number = %q, want 8 digits", v)
	}
}

func TestLMS(t *testing.T) {
	dir := generate(t, "-people", "200")
	rd := csv.NewReader(bytes.NewReader(read(t, filepath.Join(dir, lmsCSV))))
	rd.Comma = ';'
	recs, err := rd.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(recs[0], lmsHeader) {
		t.Errorf("header = %q", recs[0])
	}
	rows := recs[1:]
	if len(rows) != 1200 {
		t.Errorf("%d rows, want -completions default 200*6", len(rows))
	}
	prevent, bad, byEmail := 0, 0, 0
	for _, r := range rows {
		if strings.Contains(strings.ToLower(r[2]), "radicalisation") || strings.Contains(strings.ToLower(r[2]), "wrap") {
			prevent++
		}
		if r[1] == "" {
			byEmail++
		}
		if day, _, _ := strings.Cut(r[3], " "); !validDay(day) {
			bad++
		}
	}
	if share := float64(prevent) / float64(len(rows)); share < 0.15 || share > 0.35 {
		t.Errorf("Prevent rows are %.0f%% of the export, want about a quarter", 100*share)
	}
	if bad < 1 || bad > 5 {
		t.Errorf("%d rows with a bad date, want a few", bad)
	}
	if byEmail < len(rows)/3 {
		t.Errorf("only %d of %d rows lack an employee number", byEmail, len(rows))
	}
}

func TestESRCompetences(t *testing.T) {
	dir := generate(t, "-people", "50")
	f, err := excelize.OpenFile(filepath.Join(dir, esrXLSX))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sheet := f.GetSheetList()[0]
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(rows[0][0], "ESR BI - Competence") {
		t.Errorf("row 1 = %q, want a title", rows[0])
	}
	if rows[1][0] != "Employee Number" || rows[1][2] != "Competence Name" || rows[1][3] != "Date Achieved" {
		t.Errorf("header row 2 = %q", rows[1])
	}
	if got := len(rows) - 2; got != 100 {
		t.Errorf("%d competence rows, want -esr-completions default 50*2", got)
	}
	dates, texts := 0, 0
	for r := 3; r <= len(rows); r++ {
		cell := "D" + strconv.Itoa(r)
		raw, _ := f.GetCellValue(sheet, cell, excelize.Options{RawCellValue: true})
		shown, _ := f.GetCellValue(sheet, cell)
		if _, err := time.Parse("02/01/2006", shown); err == nil && raw != shown {
			dates++ // a real date: a serial number shown as dd/mm/yyyy
		} else if _, err := time.Parse("02-Jan-2006", shown); err == nil {
			texts++
		} else {
			t.Errorf("%s = %q (raw %q): neither a date cell nor dd-Mon-yyyy", cell, shown, raw)
		}
	}
	if dates == 0 || texts == 0 || texts > dates {
		t.Errorf("%d date cells and %d text dates, want mostly date cells and some text", dates, texts)
	}
}

// TestMonths checks the snapshots agree on who people are, and that a few
// leave and join between months.
func TestMonths(t *testing.T) {
	g, err := newGen(config{people: 2000, months: 3, end: time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-08-31", "2026-09-30", "2026-10-31"}
	for k, s := range g.snaps {
		if s.Format("2006-01-02") != want[k] {
			t.Errorf("snapshot %d on %s, want %s", k, s.Format("2006-01-02"), want[k])
		}
	}
	var a, b person
	leavers, starters, changed := 0, 0, 0
	for i := 0; i < g.total; i++ {
		in0, in1 := g.present(i, 1), g.present(i, 2)
		switch {
		case in0 && !in1:
			leavers++
		case !in0 && in1:
			starters++
		case in0 && in1:
			g.person(i, 1, &a)
			g.person(i, 2, &b)
			if a.Name != b.Name || a.EmpNo != b.EmpNo || a.Email != b.Email {
				t.Fatalf("person %d changed identity between months", i)
			}
			if a.Asg[0].Role != b.Asg[0].Role {
				changed++
			}
		}
	}
	if leavers < 10 || leavers > 55 || starters != 30 {
		t.Errorf("%d leavers and %d starters in a month of 2000 people, want about 30 each", leavers, starters)
	}
	if changed == 0 || changed > 20 {
		t.Errorf("%d role changes in a month, want a few", changed)
	}
}

// TestEmailsUnique checks that no two people share a work email, even when
// there are more people than name combinations.
func TestEmailsUnique(t *testing.T) {
	nm := newNames(200000, 7)
	seen := make(map[string]int, 200000)
	for i := 0; i < 200000; i++ {
		l := nm.at(i).Local
		if j, ok := seen[l]; ok {
			t.Fatalf("people %d and %d share %s", j, i, l)
		}
		seen[l] = i
	}
}

// TestCompliance checks the model lands near the intended figures on the
// last snapshot's date: basic ~86%, level 3 ~78%, face to face ~70%.
func TestCompliance(t *testing.T) {
	g, err := newGen(config{people: 20000, months: 2, end: time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC), seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	var p person
	var ev []event
	var required, ok [numLevels]int
	last := len(g.snaps) - 1
	for i := 0; i < g.total; i++ {
		if !g.present(i, last) {
			continue
		}
		g.person(i, last, &p)
		req := basic
		for k := range p.Asg {
			req = max(req, requires(&p.Asg[k]))
		}
		ev = g.plan(&p, ev[:0])
		var latest time.Time
		for _, e := range ev {
			if e.Level >= req && !e.Date.After(g.asOf) && e.Date.After(latest) {
				latest = e.Date
			}
		}
		required[req]++
		if !latest.IsZero() && !latest.AddDate(3, 0, 0).Before(g.asOf) {
			ok[req]++
		}
	}
	want := [numLevels][2]float64{basic: {0.83, 0.89}, level3: {0.74, 0.82}, faceToFace: {0.60, 0.80}}
	for l := basic; l < numLevels; l++ {
		rate := float64(ok[l]) / float64(required[l])
		if rate < want[l][0] || rate > want[l][1] {
			t.Errorf("level %d: %.1f%% of %d compliant, want %.0f-%.0f%%", l, 100*rate, required[l], 100*want[l][0], 100*want[l][1])
		}
	}
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-people", "0"},
		{"-end", "31/10/2026"},
		{"-staff-format", "ods"},
		{"-order", "random"},
		{"extra"},
	} {
		err := run(append([]string{"-out", t.TempDir()}, args...), io.Discard, io.Discard)
		if _, ok := err.(usageError); !ok {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}

func validDay(s string) bool {
	_, err := time.Parse("02/01/2006", s)
	return err == nil
}
