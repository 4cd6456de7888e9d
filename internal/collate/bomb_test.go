package collate_test

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/collate"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// bombXLSX is a filled-in template whose worksheet carries, after the
// return's header row, rows of padding that unpack to sheetBytes: small as
// a file, costly to open.
func bombXLSX(t *testing.T, sheetBytes int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := collate.WriteTemplate(&b, collate.Template{Quarter: q2}); err != nil {
		t.Fatal(err)
	}
	tpl := b.Bytes()
	zr, err := zip.NewReader(bytes.NewReader(tpl), int64(len(tpl)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: zip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		if f.Name != "xl/worksheets/sheet1.xml" {
			r, _ := f.Open()
			io.Copy(w, r)
			r.Close()
			continue
		}
		var sheet strings.Builder
		sheet.WriteString(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">`)
		for i, c := range returns.Columns {
			fmt.Fprintf(&sheet, `<c r="%c1" t="inlineStr"><is><t>%s</t></is></c>`, 'A'+i, c)
		}
		sheet.WriteString(`</row>`)
		for r := 2; sheet.Len() < sheetBytes; r++ {
			fmt.Fprintf(&sheet, `<row r="%d"><c r="A%d" t="inlineStr"><is><t>padding padding padding padding</t></is></c></row>`, r, r)
		}
		sheet.WriteString(`</sheetData></worksheet>`)
		io.WriteString(w, sheet.String())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// unpacked is what a workbook's parts declare they unpack to.
func unpacked(t *testing.T, data []byte) uint64 {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var n uint64
	for _, f := range zr.File {
		n += f.UncompressedSize64
	}
	return n
}

// allocated is how many bytes f allocates.
func allocated(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestDecompressionBomb pins that a return workbook which unpacks far
// beyond any return is refused from its zip directory, before it is opened.
func TestDecompressionBomb(t *testing.T) {
	bomb := bombXLSX(t, 40<<20)
	t.Logf("bomb: %d KB unpacking to over 40 MB", len(bomb)>>10)
	refused := func(t *testing.T, err error) {
		t.Helper()
		var nr *collate.NotReturnError
		if !errors.As(err, &nr) || !strings.Contains(err.Error(), "zip bomb") {
			t.Errorf("got %v, want it refused as a zip bomb", err)
		}
	}
	t.Run("collate refuses it before unpacking", func(t *testing.T) {
		var err error
		n := allocated(func() { _, err = collate.Read("bomb.xlsx", bomb) })
		refused(t, err)
		if n > uint64(len(bomb))*4+(4<<20) {
			t.Errorf("reading the bomb allocated %d MB", n>>20)
		}
	})
	t.Run("returns as prevent writes them, and the template, are still read", func(t *testing.T) {
		orgs := map[string]counts{}
		for i := range 300 {
			orgs[fmt.Sprintf("Organisation %03d", i)] = counts{compliance.Basic: {50, 45}, compliance.Level3: {20, 18}, compliance.FaceToFace: {3, 2}}
		}
		for name, data := range map[string][]byte{
			"return.xlsx":   xlsxOf(t, build(t, q2, "RA1", "Alpha NHS Trust", orgs)),
			"template.xlsx": filledTemplate(t, q2, nil, [][]any{{"Acute", 10, 10, 9}, {nil, 10, 10, 9}}),
		} {
			if tbl, err := collate.Read(name, data); err != nil || len(tbl.Rows) == 0 {
				t.Errorf("%s (%d KB): %v", name, len(data)>>10, err)
			}
			t.Logf("%s: %d KB unpacking to %d KB", name, len(data)>>10, unpacked(t, data)>>10)
		}
	})
	t.Run("collate --fetch refuses it from the mailbox", func(t *testing.T) {
		mb := imapServer(t)
		alpha := build(t, q2, "RA1", "Alpha NHS Trust", twoOrgs)
		deliver(t, mb, withAttachments("returns@attacker.example", "Q2 return", map[string][]byte{"Return.xlsx": bomb}), time.Date(2026, 10, 5, 9, 0, 0, 0, time.UTC))
		deliver(t, mb, withAttachments("returns@alpha.nhs.net", "Q2 return", map[string][]byte{"RA1.csv": csvOf(t, alpha)}), time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC))
		dir := filepath.Join(t.TempDir(), "fetched")
		if _, err := collate.Fetch(ctx, mb, dir); err != nil {
			t.Fatal(err)
		}
		paths, _ := collate.Dir(dir)
		s := storetest.Open(t, storetest.SQLiteDSN(t))
		var results []collate.Result
		var err error
		n := allocated(func() {
			results, err = collate.Files(ctx, s, paths, collate.FileOptions{Now: uk(time.October, 28, 9)})
		})
		if err != nil {
			t.Fatal(err)
		}
		if n > 64<<20 {
			t.Errorf("collating the fetched files allocated %d MB", n>>20)
		}
		accepted := 0
		for _, r := range results {
			if strings.HasSuffix(r.Path, "Return.xlsx") {
				refused(t, r.Err)
			} else if r.Accepted() {
				accepted++
			}
		}
		if len(results) != 2 || accepted != 1 {
			t.Errorf("%d files, %d accepted; want the bomb refused and the other return accepted", len(results), accepted)
		}
		_ = os.RemoveAll(dir)
	})
}
