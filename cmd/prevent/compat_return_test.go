package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
)

// compatGolden holds the return's outputs as the release before the
// referrals section wrote them (CSV, XLSX and the email's decoded body and
// attachments),
// for a trust with no prevent_lead and no referral or meetings log.
// PREVENT_WRITE_GOLDEN=1 rewrites them; that was run once on the earlier
// release, and must not be run to make this test pass.
var compatGolden = filepath.Join("testdata", "compat-return")

// runAt runs one command in process with a fixed clock.
func runAt(t *testing.T, now time.Time, args ...string) (string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	m := &Main{Stdout: &out, Stderr: &errb, Getenv: func(string) string { return "" }, Now: func() time.Time { return now }}
	if code := m.Run(context.Background(), args); code != 0 {
		t.Fatalf("prevent %v: exit %d\n%s", args, code, errb.String())
	}
	return out.String(), errb.String()
}

// TestReturnByteForByteWithoutActivity compares the return's CSV, XLSX
// and email, made at a fixed time, with those the earlier release made of
// the same data: without a lead or a log they are the same bytes.
func TestReturnByteForByteWithoutActivity(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	outbox := filepath.Join(dir, "outbox")
	cfg := write(t, dir, "prevent.yaml", strings.Replace(e2eConfig, "outbox_dir: outbox", "outbox_dir: "+outbox, 1))
	now := time.Date(2026, 10, 5, 9, 30, 0, 0, time.UTC)
	g := []string{"--config", cfg, "--db", db}
	runAt(t, now, append(g, "import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", e2eStaff))...)
	runAt(t, now, append(g, "import", "completions", write(t, dir, "lms.csv", e2eCompletions))...)
	got := map[string][]byte{}
	csv, _ := runAt(t, now, append(g, "return", "--quarter", "2026-27Q2", "--format", "csv")...)
	got["return.csv"] = []byte(csv)
	runAt(t, now, append(g, "return", "--quarter", "2026-27Q2", "--out", filepath.Join(dir, "return.xlsx"))...)
	got["return.xlsx"], _ = os.ReadFile(filepath.Join(dir, "return.xlsx"))
	runAt(t, now, append(g, "return", "--quarter", "2026-27Q2", "--send")...)
	emls, _ := filepath.Glob(filepath.Join(outbox, "*.eml"))
	sort.Strings(emls)
	if len(emls) != 2 {
		t.Fatalf("%d emails, want 2", len(emls))
	}
	raw, _ := os.ReadFile(emls[0])
	_, parts := decodeEmail(t, emls[0], raw)
	for i, p := range parts {
		name := p.filename
		if name == "" {
			name = "body" + string(rune('0'+i))
		}
		if i == 0 {
			continue // the header: its Date and MIME boundary differ on every run
		}
		got["email-"+name] = p.data
	}

	if os.Getenv("PREVENT_WRITE_GOLDEN") != "" {
		if err := os.MkdirAll(compatGolden, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range got {
			if err := os.WriteFile(filepath.Join(compatGolden, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return
	}
	files, _ := filepath.Glob(filepath.Join(compatGolden, "*"))
	if len(files) != len(got) {
		t.Errorf("%d outputs, the earlier release made %d", len(got), len(files))
	}
	for _, f := range files {
		want, _ := os.ReadFile(f)
		name := filepath.Base(f)
		w, g := unzipped(t, name, want), unzipped(t, name, got[name])
		if len(w) != len(g) {
			t.Errorf("%s has %d parts, the earlier release's %d", name, len(g), len(w))
			continue
		}
		for i := range w {
			if w[i].name != g[i].name || !bytes.Equal(stableTypes(w[i]), stableTypes(g[i])) {
				t.Errorf("%s differs from the earlier release's", g[i].name)
			}
		}
	}
}

// defaultType is one <Default .../> of an XLSX's [Content_Types].xml.
var defaultType = regexp.MustCompile(`<Default [^>]*></Default>`)

// stableTypes sorts the <Default> elements of [Content_Types].xml, which
// excelize writes in map order (differently on every run, even on the same
// data); every other part is compared as written.
func stableTypes(o output) []byte {
	if !strings.HasSuffix(o.name, "[Content_Types].xml") {
		return o.data
	}
	found := defaultType.FindAll(o.data, -1)
	sort.Slice(found, func(i, j int) bool { return bytes.Compare(found[i], found[j]) < 0 })
	return append(defaultType.ReplaceAll(o.data, nil), bytes.Join(found, nil)...)
}
