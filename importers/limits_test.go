package importers

import (
	"archive/zip"
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// hostile reads a file as staff, as completions, and as completions after
// hashing it as an import does, and wants a *FileError
// whose one-line message contains want, within seconds. (Read as staff, a
// completions CSV may be refused earlier for its header: that is fine too.)
func hostile(t *testing.T, path string, lim Limits, want string) {
	t.Helper()
	start := time.Now()
	for _, read := range []func() error{
		func() error {
			_, err := ReadStaff(path, Options{Limits: lim}, func(compliance.Assignment) error { return nil })
			return err
		},
		func() error {
			_, err := ReadCompletions(path, Options{Limits: lim}, func(CompletionRow) error { return nil })
			return err
		},
		func() error { // as an import does: hashed, then read through the same handle
			x, err := Open(path, Options{Limits: lim})
			if err != nil {
				return err
			}
			defer x.Close()
			if _, err := x.SHA256(); err != nil {
				return err
			}
			_, err = x.ReadCompletions(Options{}, func(CompletionRow) error { return nil })
			return err
		},
	} {
		err := read()
		var fe *FileError
		if !errors.As(err, &fe) {
			t.Fatalf("got %v, want a *FileError", err)
		}
		msg := err.Error()
		if strings.Contains(msg, "looks like a completions extract") {
			continue
		}
		if !strings.Contains(msg, want) || strings.Contains(msg, "\n") || !strings.HasPrefix(msg, filepath.Base(path)) {
			t.Errorf("message %q: want one line naming the file and containing %q", msg, want)
		}
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %v to refuse", took)
	}
}

func TestHostileFiles(t *testing.T) {
	dir := t.TempDir()
	header := "Employee Number,Staff Group,Course,Completion Date\n"

	t.Run("a file over the size limit is refused before reading", func(t *testing.T) {
		p := filepath.Join(dir, "big.csv")
		os.WriteFile(p, []byte(header+strings.Repeat("1,Nursing,Prevent Awareness,01/01/2025\n", 100)), 0o600)
		hostile(t, p, Limits{MaxFileBytes: 1000}, "over the 1000 bytes limit")
	})
	t.Run("a line with no end is refused with bounded memory", func(t *testing.T) {
		p := filepath.Join(dir, "endless.csv")
		f, _ := os.Create(p)
		f.WriteString(header + "1,")
		chunk := bytes.Repeat([]byte("x"), 1<<20)
		for i := 0; i < 64; i++ { // 64 MB in one cell
			f.Write(chunk)
		}
		f.Close()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		hostile(t, p, Limits{}, "longer than 1 MB")
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		if grew := int64(after.HeapInuse) - int64(before.HeapInuse); grew > 32<<20 {
			t.Errorf("heap grew by %d MB reading it", grew>>20)
		}
	})
	t.Run("millions of columns are refused", func(t *testing.T) {
		p := filepath.Join(dir, "wide.csv")
		os.WriteFile(p, []byte(header+"1,Nursing,Prevent,01/01/2025"+strings.Repeat(",x", 20000)+"\n"), 0o600)
		hostile(t, p, Limits{MaxLineBytes: 1 << 20}, "more than the 16384")
	})
	t.Run("a zip bomb is refused before unpacking", func(t *testing.T) {
		p := filepath.Join(dir, "bomb.xlsx")
		writeBomb(t, p, 200<<20)
		hostile(t, p, Limits{}, "zip bomb")
	})
	t.Run("a workbook unpacking past the total limit is refused", func(t *testing.T) {
		p := filepath.Join(dir, "large.xlsx")
		writeBomb(t, p, 20<<20)
		hostile(t, p, Limits{MaxUnzippedBytes: 10 << 20}, "would unpack to more than 10 MB")
	})
	t.Run("deeply nested sheet XML is refused or read, never a crash", func(t *testing.T) {
		p := filepath.Join(dir, "nested.xlsx")
		inner := strings.Repeat("<is>", 200000) + strings.Repeat("</is>", 200000)
		writeWorkbookXML(t, p, `<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+
			`<row r="1"><c r="A1" t="inlineStr"><is><t>Employee Number</t></is></c><c r="B1" t="inlineStr"><is><t>Staff Group</t></is></c></row>`+
			`<row r="2"><c r="A2" t="inlineStr">`+inner+`</c></row></sheetData></worksheet>`)
		start := time.Now()
		_, err := ReadStaff(p, Options{}, func(compliance.Assignment) error { return nil })
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("message spans lines: %q", err)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("took %v", took)
		}
	})
}

// writeBomb writes a workbook whose sheet unpacks to n bytes of one
// repeated character.
func writeBomb(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	minimalParts(t, zw)
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	w.Write([]byte(`<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>`))
	chunk := bytes.Repeat([]byte("A"), 1<<20)
	for written := 0; written < n; written += len(chunk) {
		w.Write(chunk)
	}
	w.Write([]byte(`</t></is></c></row></sheetData></worksheet>`))
	zw.Close()
	f.Close()
}

func writeWorkbookXML(t *testing.T, path, sheet string) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	minimalParts(t, zw)
	w, _ := zw.Create("xl/worksheets/sheet1.xml")
	w.Write([]byte(sheet))
	zw.Close()
	f.Close()
}

// minimalParts writes the parts every workbook needs but its sheet.
func minimalParts(t *testing.T, zw *zip.Writer) {
	t.Helper()
	parts := map[string]string{
		"[Content_Types].xml":        `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>`,
		"_rels/.rels":                `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`,
		"xl/workbook.xml":            `<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Staff" sheetId="1" r:id="rId1"/></sheets></workbook>`,
		"xl/_rels/workbook.xml.rels": `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>`,
	}
	for name, body := range parts {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
}
