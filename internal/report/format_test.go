package report

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"text/tabwriter"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

func TestIsoDate(t *testing.T) {
	for _, tt := range []struct {
		in   time.Time
		want string
	}{
		{time.Time{}, ""},
		{compliance.Date(2026, 9, 30), "2026-09-30"},
		{compliance.Date(2024, 2, 29), "2024-02-29"},
		{compliance.Date(1999, 12, 1), "1999-12-01"},
		{compliance.Date(1000, 1, 1), "1000-01-01"},
		{compliance.Date(999, 1, 1), "0999-01-01"},
		{compliance.Date(10000, 1, 1), "10000-01-01"},
	} {
		if got := isoDate(tt.in); got != tt.want {
			t.Errorf("isoDate(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestWriteInParts(t *testing.T) {
	lines := func(w io.Writer, lo, hi int) error {
		for i := lo; i < hi; i++ {
			fmt.Fprintln(w, i)
		}
		return nil
	}
	for _, n := range []int{0, 1, 16_384, 16_385, 100_003} {
		var want, got bytes.Buffer
		_ = lines(&want, 0, n)
		if err := writeInParts(&got, n, lines); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("n=%d: records out of order or lost (%d bytes, want %d)", n, got.Len(), want.Len())
		}
	}
	t.Run("a part that fails stops the writing with its error", func(t *testing.T) {
		boom := errors.New("boom")
		var got bytes.Buffer
		err := writeInParts(&got, 200_000, func(w io.Writer, lo, hi int) error {
			if lo <= 50_000 && 50_000 < hi {
				return boom
			}
			return lines(w, lo, hi)
		})
		if !errors.Is(err, boom) {
			t.Fatalf("err = %v, want boom", err)
		}
		var want bytes.Buffer
		_ = lines(&want, 0, 49_152) // the parts before the failing one
		if !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("wrote %d bytes before the failure, want %d", got.Len(), want.Len())
		}
	})
	t.Run("a writer that fails stops it", func(t *testing.T) {
		err := writeInParts(failingWriter{}, 200_000, lines)
		if err == nil || err.Error() != "disk full" {
			t.Fatalf("err = %v, want disk full", err)
		}
	})
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

// A listing long enough to be written in parts is the listing written
// record by record.
func TestWriteStatusCSVInParts(t *testing.T) {
	people := make([]compliance.Person, 40_000)
	for i := range people {
		people[i] = compliance.Person{EmployeeNumber: strconv.Itoa(10_000_000 + i), Name: fmt.Sprintf("Person, %d", i),
			Organisation: "=RXX \"Acute\"", Requirement: compliance.Level(1 + i%3), Status: compliance.Compliant,
			CompletedOn: compliance.Date(2024, 1, 1).AddDate(0, 0, i%900), DueDate: compliance.Date(2027, 1, 1).AddDate(0, 0, i%900)}
		if i%7 == 0 {
			people[i].Status, people[i].CompletedOn, people[i].DueDate = compliance.Never, time.Time{}, time.Time{}
		}
	}
	var want bytes.Buffer
	cw := csv.NewWriter(&want)
	_ = cw.Write(StatusColumns)
	for i := range people {
		p := &people[i]
		var done, due string
		if !p.CompletedOn.IsZero() {
			done, due = p.CompletedOn.Format(time.DateOnly), p.DueDate.Format(time.DateOnly)
		}
		_ = cw.Write([]string{p.EmployeeNumber, p.Name, "'" + p.Organisation, p.Requirement.String(), string(p.Status), done, due})
	}
	cw.Flush()
	var got bytes.Buffer
	if err := WriteStatus(&got, "csv", compliance.Date(2026, 9, 30), people); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want.Bytes()) {
		t.Errorf("the CSV written in parts differs from the one written row by row (%d bytes, want %d)", got.Len(), want.Len())
	}
}

// A listing longer than an Excel sheet holds goes on over further sheets,
// each with the header; nothing is lost.
func TestWriteXLSXOverSeveralSheets(t *testing.T) {
	defer func(n int) { sheetRows = n }(sheetRows)
	sheetRows = 3
	people := make([]compliance.Person, 7)
	for i := range people {
		people[i] = compliance.Person{EmployeeNumber: strconv.Itoa(100 + i), Name: fmt.Sprintf("Person %d", i), Status: compliance.Never}
	}
	var buf bytes.Buffer
	if err := WriteStatus(&buf, "xlsx", compliance.Date(2026, 9, 30), people); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{"Status 2026-09-30", "Status 2026-09-30 (2)", "Status 2026-09-30 (3)"}
	if got := f.GetSheetList(); !reflect.DeepEqual(got, want) {
		t.Fatalf("sheets %q, want %q", got, want)
	}
	var numbers []string
	for _, sheet := range want {
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) == 0 || !reflect.DeepEqual(rows[0], StatusColumns) {
			t.Fatalf("sheet %s starts %q, want the header", sheet, rows)
		}
		if len(rows) > 4 {
			t.Errorf("sheet %s has %d rows, more than the header and 3", sheet, len(rows))
		}
		for _, r := range rows[1:] {
			numbers = append(numbers, r[0])
		}
	}
	if want := []string{"100", "101", "102", "103", "104", "105", "106"}; !reflect.DeepEqual(numbers, want) {
		t.Errorf("employee numbers over the sheets %q, want %q", numbers, want)
	}
	t.Run("a long sheet name keeps its number", func(t *testing.T) {
		var buf bytes.Buffer
		rows := [][]string{{"a"}, {"b"}, {"c"}, {"d"}}
		if err := WriteXLSX(&buf, "People due within 90 days in RXX Mental Health", []string{"x"}, rows); err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&buf)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		list := f.GetSheetList()
		if len(list) != 2 || !strings.HasSuffix(list[1], " (2)") || len([]rune(list[1])) > 31 {
			t.Errorf("sheets %q: want a second sheet ending (2), at most 31 characters", list)
		}
	})
}

// statusPeople is a listing with the awkward values: quotes, commas,
// markup, accents, wide characters, long names, empty cells.
func statusPeople(n int) []compliance.Person {
	names := []string{"Ann O'Neil", `Bo "Bob" Smith`, "Zoë Brontë", "李小龙", "<b>&amp;</b>", "", "A Very Long Name That Goes On And On Beyond Twenty-Eight"}
	orgs := []string{"RXX Acute", "RXX Mental Health, Community & Learning Disabilities Division", "=SUM(A1)", ""}
	people := make([]compliance.Person, n)
	for i := range people {
		people[i] = compliance.Person{EmployeeNumber: strconv.Itoa(1000 + i), Name: names[i%len(names)], Organisation: orgs[i%len(orgs)],
			Requirement: compliance.Level(1 + i%3), Status: []compliance.Status{compliance.Compliant, compliance.DueSoon, compliance.Expired}[i%3],
			CompletedOn: compliance.Date(2023, 1, 1).AddDate(0, 0, i%1000), DueDate: compliance.Date(2026, 1, 1).AddDate(0, 0, i%1000)}
		if i%5 == 0 {
			people[i].Status, people[i].CompletedOn, people[i].DueDate = compliance.Never, time.Time{}, time.Time{}
		}
	}
	return people
}

// The JSON and the table are written part by part; they must read as
// json.Encoder and text/tabwriter wrote them whole.
func TestWriteStatusJSONAndTable(t *testing.T) {
	asOf := compliance.Date(2026, 9, 30)
	for _, n := range []int{0, 1, 7, 40_000} {
		people := statusPeople(n)
		t.Run(fmt.Sprintf("json %d", n), func(t *testing.T) {
			out := struct {
				AsOf   string       `json:"as_of"`
				People []jsonPerson `json:"people"`
			}{AsOf: "2026-09-30", People: make([]jsonPerson, len(people))}
			for i := range people {
				p := &people[i]
				out.People[i] = jsonPerson{p.EmployeeNumber, p.Name, p.Organisation, p.Requirement.String(), string(p.Status), optDate(p.CompletedOn), optDate(p.DueDate)}
			}
			var want, got bytes.Buffer
			enc := json.NewEncoder(&want)
			enc.SetIndent("", "  ")
			if err := enc.Encode(out); err != nil {
				t.Fatal(err)
			}
			if err := WriteStatus(&got, "json", asOf, people); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("json differs from json.Encoder's:\n got %.400s\nwant %.400s", got.String(), want.String())
			}
		})
		t.Run(fmt.Sprintf("table %d", n), func(t *testing.T) {
			var want, got bytes.Buffer
			tw := tabwriter.NewWriter(&want, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "EMPLOYEE NO\tNAME\tORGANISATION\tREQUIREMENT\tSTATUS\tCOMPLETED\tDUE")
			for i := range people {
				fmt.Fprintln(tw, strings.Join(statusTableRow(&people[i]), "\t"))
			}
			_ = tw.Flush()
			fmt.Fprintf(&want, "%d %s as of 2026-09-30\n", n, pluralWord(n, "person", "people"))
			if err := WriteStatus(&got, "table", asOf, people); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want.Bytes()) {
				t.Errorf("table differs from tabwriter's:\n got %.600s\nwant %.600s", got.String(), want.String())
			}
		})
	}
}
