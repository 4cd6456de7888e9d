package main

import (
	"bytes"
	"compress/zlib"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAnnualReportHoldsNoPersonalData writes the demo trust's annual
// report in every format and scans the HTML, the text of every PDF page
// and every XML part of the XLSX for any name, employee number or email
// of the demo extracts.
func TestAnnualReportHoldsNoPersonalData(t *testing.T) {
	t.Parallel()
	pd := demoPersonalData(t)
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	cfg, err := os.ReadFile(filepath.Join("..", "..", "prevent.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, dir, "prevent.yaml", string(cfg))
	mustRun := func(args ...string) {
		t.Helper()
		if r := prevent(t, dir, db, args...); r.code != 0 {
			t.Fatalf("prevent %v: exit %d\n%s", args, r.code, r.stderr)
		}
	}
	for _, f := range demoStaff {
		mustRun("import", "staff", demoFile(f))
	}
	for _, f := range demoCompletions {
		mustRun("import", "completions", demoFile(f))
	}
	mustRun("return", "--quarter", "2026-27Q2", "--send")
	var outputs []output
	for _, format := range []string{"html", "pdf", "xlsx"} {
		out := "annual." + format
		mustRun("report", "annual", "--year", "2026-27", "--format", format, "--out", out)
		data, err := os.ReadFile(filepath.Join(dir, out))
		if err != nil {
			t.Fatal(err)
		}
		checkMode(t, filepath.Join(dir, out), 0o600)
		switch format {
		case "pdf":
			outputs = append(outputs, output{out + " (text)", []byte(pdfText(t, data))})
			if txt, ok := pdftotext(t, filepath.Join(dir, out)); ok {
				outputs = append(outputs, output{out + " (pdftotext)", []byte(txt)})
			}
		default:
			outputs = append(outputs, unzipped(t, out, data)...)
		}
	}
	for _, o := range outputs {
		// The scan must read the report, not an empty or unreadable file.
		if strings.Contains(o.name, ".pdf") || strings.HasSuffix(o.name, ".html") {
			if !strings.Contains(string(o.data), "Prevent annual report") || !strings.Contains(string(o.data), "84.7%") {
				t.Errorf("%s does not read as the report (%d bytes)", o.name, len(o.data))
			}
		}
		if leaks := pd.leaks(string(o.data)); len(leaks) > 0 {
			t.Errorf("%s holds personal data: %v", o.name, leaks[:min(5, len(leaks))])
		}
	}
	if len(outputs) < 8 {
		t.Errorf("only %d outputs scanned", len(outputs))
	}
}

var (
	pdfStream = regexp.MustCompile(`(?s)stream\r?\n(.*?)\r?\nendstream`)
	pdfString = regexp.MustCompile(`\(((?:\\.|[^\\)])*)\)\s*Tj`)
)

// pdfText is the text the PDF draws: every content stream inflated, its
// strings shown with Tj unescaped. It needs no tool, so the scan runs
// everywhere.
func pdfText(t *testing.T, data []byte) string {
	t.Helper()
	var b strings.Builder
	for _, m := range pdfStream.FindAllSubmatch(data, -1) {
		content := m[1]
		if zr, err := zlib.NewReader(bytes.NewReader(content)); err == nil {
			if inflated, err := io.ReadAll(zr); err == nil {
				content = inflated
			}
		}
		for _, s := range pdfString.FindAllSubmatch(content, -1) {
			r := strings.NewReplacer(`\(`, "(", `\)`, ")", `\\`, `\`)
			b.WriteString(r.Replace(string(s[1])))
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// pdftotext is poppler's reading of every page, when it is installed.
func pdftotext(t *testing.T, path string) (string, bool) {
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Log("pdftotext not installed: the PDF is scanned by its content streams only")
		return "", false
	}
	out, err := exec.Command("pdftotext", "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out), true
}
