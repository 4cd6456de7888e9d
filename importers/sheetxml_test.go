package importers

import (
	"archive/zip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

type sheetRow struct {
	N     int
	Cells []string
}

// rowsBySource reads every sheet through the importer's source (fast path
// first); rowsByExcelize reads them with excelize alone. Rows without a
// value are left out of both: the importer skips them either way.
func rowsBySource(t *testing.T, path string) (map[string][]sheetRow, bool) {
	t.Helper()
	in, err := openInput(path, Limits{}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer in.close()
	fast := in.book != nil
	out := map[string][]sheetRow{}
	for _, sheet := range in.sheets() {
		src, err := in.xlsxSource(sheet)
		if err != nil {
			continue
		}
		for {
			cells, n, err := src.next()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("sheet %s: %v", sheet, err)
			}
			if len(cells) > 0 {
				out[sheet] = append(out[sheet], sheetRow{n, append([]string(nil), cells...)})
			}
		}
		if src.fast != nil || src.rows != nil {
			fast = fast && src.rows == nil
		}
		src.close()
	}
	return out, fast
}

func rowsByExcelize(t *testing.T, path string) map[string][]sheetRow {
	t.Helper()
	xl, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer xl.Close()
	out := map[string][]sheetRow{}
	for _, sheet := range xl.GetSheetList() {
		rows, err := xl.Rows(sheet)
		if err != nil {
			continue
		}
		n := 0
		for rows.Next() {
			n++
			cells, err := rows.Columns(rawCells)
			if err != nil {
				t.Fatalf("sheet %s row %d: %v", sheet, n, err)
			}
			if len(cells) > 0 {
				out[sheet] = append(out[sheet], sheetRow{n, cells})
			}
		}
		rows.Close()
	}
	return out
}

func assertSameRows(t *testing.T, path string, wantFast bool) {
	t.Helper()
	got, fast := rowsBySource(t, path)
	want := rowsByExcelize(t, path)
	if !reflect.DeepEqual(got, want) {
		for sheet := range want {
			g, w := got[sheet], want[sheet]
			for i := 0; i < max(len(g), len(w)); i++ {
				if i >= len(g) || i >= len(w) || !reflect.DeepEqual(g[i], w[i]) {
					var gi, wi any
					if i < len(g) {
						gi = g[i]
					}
					if i < len(w) {
						wi = w[i]
					}
					t.Fatalf("sheet %q row #%d:\n got %q\nwant %q", sheet, i, gi, wi)
				}
			}
		}
		t.Fatalf("sheets differ:\n got %v\nwant %v", got, want)
	}
	if fast != wantFast {
		t.Errorf("read with the fast path throughout = %v, want %v", fast, wantFast)
	}
}

func TestFastPathReadsWhatExcelizeReads(t *testing.T) {
	files, _ := filepath.Glob("../testdata/importers/*.xlsx")
	demo, _ := filepath.Glob("../testdata/demo/*.xlsx")
	for _, f := range append(files, demo...) {
		t.Run(filepath.Base(f), func(t *testing.T) { assertSameRows(t, f, true) })
	}
}

// tricky values a cell may hold.
var trickyValues = []any{
	"plain", "  padded  ", "", "<&>\"'", "line\r\nbreak", "tab\there", "Siobhán Ó Briain", "emoji 😀",
	"_x000D_ escaped", "_x005F_x0041_", "literal _x00zz_", "_xD800_ surrogate", 12345678, 3.25, -0.5,
	1e-7, int64(12345678901234), true, false, time.Date(2023, 11, 2, 0, 0, 0, 0, time.UTC),
	time.Date(2024, 2, 29, 14, 30, 0, 0, time.UTC), "02/11/2023", "=not a formula",
}

func TestFastPathExcelizeWorkbooks(t *testing.T) {
	dir := t.TempDir()
	t.Run("shared strings, gaps, rich text and formulas", func(t *testing.T) {
		f := excelize.NewFile()
		_, _ = f.NewSheet("Second")
		for r, v := range trickyValues {
			cell, _ := excelize.CoordinatesToCellName(1+r%4*2, 3+r*2) // gaps in rows and columns
			if err := f.SetCellValue("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
			_ = f.SetCellValue("Second", fmt.Sprintf("C%d", r+1), v)
		}
		_ = f.SetCellRichText("Sheet1", "H2", []excelize.RichTextRun{{Text: "rich "}, {Text: "text", Font: &excelize.Font{Bold: true}}})
		_ = f.SetCellFormula("Sheet1", "H3", "=1+1")
		_ = f.SetCellFormula("Sheet1", "H4", `="a"&"b"`)
		_ = f.SetCellValue("Sheet1", "XFD100", "last column")
		_, _ = f.NewSheet("Empty")
		p := filepath.Join(dir, "shared.xlsx")
		if err := f.SaveAs(p); err != nil {
			t.Fatal(err)
		}
		assertSameRows(t, p, true)
	})
	t.Run("stream writer inline strings", func(t *testing.T) {
		f := excelize.NewFile()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			t.Fatal(err)
		}
		for r := range 200 {
			row := []any{r, trickyValues[r%len(trickyValues)], excelize.Cell{Value: trickyValues[(r+3)%len(trickyValues)]}}
			if r%7 == 0 {
				row = append(row, nil, "after a blank")
			}
			if err := sw.SetRow(fmt.Sprintf("A%d", 1+r+r/10), row); err != nil {
				t.Fatal(err)
			}
		}
		_ = sw.Flush()
		p := filepath.Join(dir, "stream.xlsx")
		if err := f.SaveAs(p); err != nil {
			t.Fatal(err)
		}
		assertSameRows(t, p, true)
	})
}

// writeWorkbook writes a minimal workbook around hand-written sheet XML.
func writeWorkbook(t *testing.T, path, sheetData, sst string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	z := zip.NewWriter(f)
	part := func(name, body string) {
		w, err := z.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.WriteString(w, body)
	}
	const ns = `xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"`
	part("[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">`+
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>`+
		`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>`+
		`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>`+
		`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`)
	part("_rels/.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`)
	part("xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8"?><workbook `+ns+`><sheets><sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>`)
	part("xl/_rels/workbook.xml.rels", `<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`+
		`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="/xl/worksheets/sheet1.xml"/>`+
		`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`)
	part("xl/sharedStrings.xml", `<?xml version="1.0" encoding="UTF-8"?><sst `+ns+`>`+sst+`</sst>`)
	part("xl/worksheets/sheet1.xml", `<?xml version="1.0" encoding="UTF-8"?><x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main">`+
		`<x:dimension ref="A1:D9"/><x:sheetData>`+sheetData+`</x:sheetData></x:worksheet>`)
	if err := z.Close(); err != nil {
		t.Fatal(err)
	}
	_ = f.Close()
}

const handSST = `<si><t>Employee Number</t></si><si><t xml:space="preserve"> spaced </t></si>` +
	`<si><r><rPr><b/></rPr><t>Rich</t></r><r><t xml:space="preserve"> run &amp; more</t></r><rPh sb="0" eb="1"><t>PHONETIC</t></rPh></si>` +
	`<si><t>_x000D_ and _x005F_x0041_</t></si><si/><si><t>a &#x41;&#66; &lt;b&gt;</t></si>`

func TestFastPathHandWrittenSheets(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name, data string
		fast       bool // read by the fast path throughout
	}{
		{"namespace prefixes, shared strings, every cell type", `<x:row r="1"><x:c r="A1" t="s"><x:v>0</x:v></x:c><x:c r="B1" t="s"><x:v>1</x:v></x:c><x:c r="C1" t="s"><x:v>2</x:v></x:c><x:c r="D1" t="s"><x:v>3</x:v></x:c></x:row>` +
			`<x:row r="3" spans="1:4"><x:c r="A3"><x:v>45231</x:v></x:c><x:c r="B3" t="b"><x:v>1</x:v></x:c><x:c r="C3" t="e"><x:v>#N/A</x:v></x:c><x:c r="D3" t="d"><x:v>2023-11-02T00:00:00</x:v></x:c></x:row>` +
			`<x:row r="4"><x:c r="A4" t="str"><x:f>A1&amp;"x"</x:f><x:v>Employee Numberx</x:v></x:c><x:c r="C4" t="s"><x:v>4</x:v></x:c><x:c r="D4" t="s"><x:v> 5 </x:v></x:c></x:row>`, true},
		{"cells and rows without references", `<x:row><x:c t="inlineStr"><x:is><x:t>one</x:t></x:is></x:c><x:c/><x:c><x:v>2</x:v></x:c></x:row><x:row><x:c t="inlineStr"><x:is><x:r><x:t>in</x:t></x:r><x:r><x:t>line</x:t></x:r></x:is></x:c></x:row>`, true},
		{"entities, line ends and blank values", `<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>a&#10;b&#13;c&quot;&apos;</x:t></x:is></x:c><x:c r="B2"><x:v></x:v></x:c><x:c r="C2"><x:v/></x:c><x:c r="D2" t="str"><x:f>""</x:f><x:v></x:v></x:c></x:row>` +
			"<x:row r=\"5\"><x:c r=\"A5\" t=\"inlineStr\"><x:is><x:t>cr\r\nlf\rend</x:t></x:is></x:c></x:row>", true},
		{"comments and unknown elements", `<!-- a note --><x:row r="1"><x:c r="A1"><x:v>1</x:v><x:extLst><x:ext uri="x"><y:z xmlns:y="y">ignored</y:z></x:ext></x:extLst></x:c></x:row>`, true},
		{"CDATA part way through falls back to excelize", `<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row><x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t><![CDATA[<raw>]]></x:t></x:is></x:c></x:row><x:row r="3"><x:c r="A3"><x:v>3</x:v></x:c></x:row>`, false},
		{"a comment holding '>' falls back to excelize", `<x:row r="1"><x:c r="A1"><x:v>1</x:v></x:c></x:row><!-- a > b --><x:row r="2"><x:c r="B2"><x:v>2</x:v></x:c></x:row>`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "_")+".xlsx")
			writeWorkbook(t, p, tc.data, handSST)
			assertSameRows(t, p, tc.fast)
		})
	}
}

func TestBstr(t *testing.T) {
	for in, want := range map[string]string{
		"plain": "plain", "_x000D_": "\r", "a_x0041_b": "aAb", "_x005F_x0041_": "_x0041_",
		"_xD800_": "", "_x00G1_": "_x00G1_", "_x004": "_x004", "__x0041__": "_A_",
	} {
		if got := bstr(in); got != want {
			t.Errorf("bstr(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzFastSheet(f *testing.F) {
	f.Add(`<x:row r="1"><x:c r="A1" t="s"><x:v>2</x:v></x:c><x:c r="B1" t="inlineStr"><x:is><x:t>a&amp;b</x:t></x:is></x:c></x:row>`)
	f.Add(`<x:row><x:c><x:v>1</x:v></x:c></x:row><x:row r="9"><x:c r="C9" t="b"><x:v>0</x:v></x:c></x:row>`)
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data string) {
		p := filepath.Join(dir, "fuzz.xlsx")
		writeWorkbook(t, p, data, handSST)
		in, err := openInput(p, Limits{}, false)
		if err != nil {
			return
		}
		defer in.close()
		src, err := in.xlsxSource("Data")
		if err != nil {
			return
		}
		defer src.close()
		for i := 0; i < 10000; i++ {
			if _, _, err := src.next(); err != nil {
				return
			}
		}
	})
}
