package importers

import (
	"archive/zip"
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// writeSharedXLSX writes an ESR-competence-style workbook of n rows as
// Excel saves one: every text cell a shared string (numbered in order of
// first use, so the header's are the first), the sheet before the shared
// strings in the zip, a title row above the header. Each person (a third
// of n) has a name of their own, so the shared-strings table is about as
// long as the sheet has people.
func writeSharedXLSX(tb testing.TB, path string, n int) int64 {
	tb.Helper()
	var sst []string
	index := map[string]int{}
	ref := func(s string) int {
		i, ok := index[s]
		if !ok {
			i = len(sst)
			index[s] = i
			sst = append(sst, s)
		}
		return i
	}
	courses := []string{"NHS|CSTF|Preventing Radicalisation - Basic Prevent Awareness - 3 Years|", "NHS|MAND|Prevent Level 3 - 3 Years|",
		"NHS|CSTF|Fire Safety - 2 Years|", "NHS|CSTF|Infection Prevention and Control - Level 1 - 3 Years|"}
	var sheet bytes.Buffer
	sheet.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">`)
	fmt.Fprintf(&sheet, `<dimension ref="A1:D%d"/><sheetData>`, n+2)
	row := func(r int, cells ...any) {
		fmt.Fprintf(&sheet, `<row r="%d">`, r)
		for c, v := range cells {
			col := string(rune('A' + c))
			switch v := v.(type) {
			case string:
				fmt.Fprintf(&sheet, `<c r="%s%d" t="s"><v>%d</v></c>`, col, r, ref(v))
			case int:
				fmt.Fprintf(&sheet, `<c r="%s%d" s="1"><v>%d</v></c>`, col, r, v)
			}
		}
		sheet.WriteString(`</row>`)
	}
	row(1, "ESR BI - Competence Compliance Report")
	row(2, "Employee Number", "Full Name", "Competence Name", "Date Achieved")
	for i := range n {
		row(i+3, 10000000+i/3, fmt.Sprintf("Jane Smith %d", i/3), courses[i%len(courses)], 44000+i%2000)
	}
	sheet.WriteString(`</sheetData></worksheet>`)
	var strs bytes.Buffer
	fmt.Fprintf(&strs, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+"\n"+
		`<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">`, len(sst), len(sst))
	for _, s := range sst {
		strs.WriteString(`<si><t>`)
		strs.WriteString(s) // no character here needs escaping
		strs.WriteString(`</t></si>`)
	}
	strs.WriteString(`</sst>`)

	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	zw := zip.NewWriter(bufio.NewWriter(f))
	const rels = `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">`
	parts := []struct{ name, body string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" + `<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>` +
			`<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>` +
			`<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>` +
			`<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>`},
		{"_rels/.rels", rels + `<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`},
		{"xl/workbook.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">` +
			`<sheets><sheet name="Competences" sheetId="1" r:id="rId1"/></sheets></workbook>`},
		{"xl/_rels/workbook.xml.rels", rels +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>` +
			`<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/>` +
			`<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>`},
		{"xl/worksheets/sheet1.xml", sheet.String()},
		{"xl/styles.xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` + "\n" +
			`<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs></styleSheet>`},
		{"xl/sharedStrings.xml", strs.String()},
	}
	for _, p := range parts {
		w, err := zw.Create(p.name)
		if err != nil {
			tb.Fatal(err)
		}
		if _, err := w.Write([]byte(p.body)); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		tb.Fatal(err)
	}
	return st.Size()
}

// procIO reads this process's bytes read (rchar: every read and pread,
// page cache or disk) and read calls (syscr) from /proc/self/io; ok is
// false where there is no such file.
func procIO() (rchar, syscr int64, ok bool) {
	b, err := os.ReadFile("/proc/self/io")
	if err != nil {
		return 0, 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, _ := strings.Cut(line, ":")
		n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		switch k {
		case "rchar":
			rchar = n
		case "syscr":
			syscr = n
		}
	}
	return rchar, syscr, true
}

// reportIO runs f b.N times and reports the bytes and read calls per run
// besides time and allocations, and the CPU time (all threads: the
// garbage collector's too), which a machine shared with other work
// disturbs less than the time. The reads of /proc/self/io itself are a
// few hundred bytes, outside the loop.
func reportIO(b *testing.B, f func()) {
	b.ReportAllocs()
	r0, c0, ok := procIO()
	cpu0 := cpuTime()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N), "cpu-ns/op")
	if r1, c1, ok1 := procIO(); ok && ok1 {
		b.ReportMetric(float64(r1-r0)/float64(b.N), "readB/op")
		b.ReportMetric(float64(c1-c0)/float64(b.N), "reads/op")
	}
}

// benchWorkbooks are the workbooks of the XLSX benchmarks: a 300,000-row
// ESR competence report as Excel saves it (shared strings) and as
// excelize's stream writer does (inline strings), the size of scale 1's
// (docs/performance.md). PREVENT_BENCH_XLSX names one more, such as the
// bench data's.
func benchWorkbooks(b *testing.B) map[string]string {
	const rows = 300_000
	dir := b.TempDir()
	out := map[string]string{
		"shared": filepath.Join(dir, "shared.xlsx"),
		"inline": filepath.Join(dir, "inline.xlsx"),
	}
	writeSharedXLSX(b, out["shared"], rows)
	writeCompletionsXLSX(b, out["inline"], rows)
	if p := os.Getenv("PREVENT_BENCH_XLSX"); p != "" {
		out["file"] = p
	}
	return out
}

// BenchmarkClassifyXLSX is what `import dir` spends telling a large
// workbook's kind.
func BenchmarkClassifyXLSX(b *testing.B) {
	files := benchWorkbooks(b)
	for _, name := range []string{"shared", "inline", "file"} {
		path, ok := files[name]
		if !ok {
			continue
		}
		b.Run(name, func(b *testing.B) {
			reportIO(b, func() {
				if k, err := Classify(path, Options{RegularOnly: true}); err != nil || k != Completions {
					b.Fatalf("Classify = %q, %v", k, err)
				}
			})
		})
	}
}

// BenchmarkImportXLSX is the importer's part of `prevent import
// completions FILE.xlsx`: the file's SHA-256, then every row read. extract
// is how ingest does it (one Extract: one open, hashed then read through
// it, the zip directory parsed once); hash-then-read is how it did before
// (FileHash, then ReadCompletions by path: two opens).
func BenchmarkImportXLSX(b *testing.B) {
	files := benchWorkbooks(b)
	read := map[string]func(path string) (int, error){
		"extract": func(path string) (int, error) {
			x, err := Open(path, Options{RegularOnly: true})
			if err != nil {
				return 0, err
			}
			defer x.Close()
			if _, err := x.SHA256(); err != nil {
				return 0, err
			}
			n := 0
			_, err = x.ReadCompletions(Options{}, func(CompletionRow) error { n++; return nil })
			return n, err
		},
		"hash-then-read": func(path string) (int, error) {
			if _, err := FileHash(path, true); err != nil {
				return 0, err
			}
			n := 0
			_, err := ReadCompletions(path, Options{RegularOnly: true}, func(CompletionRow) error { n++; return nil })
			return n, err
		},
	}
	for _, name := range []string{"shared", "inline", "file"} {
		path, ok := files[name]
		if !ok {
			continue
		}
		for _, way := range []string{"extract", "hash-then-read"} {
			b.Run(name+"/"+way, func(b *testing.B) {
				reportIO(b, func() {
					if n, err := read[way](path); err != nil || n == 0 {
						b.Fatalf("read %d rows, %v", n, err)
					}
				})
			})
		}
	}
}
