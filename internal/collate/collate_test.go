package collate_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/collate"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var ctx = context.Background()

// The commissioner's providers.
var fiveProviders = []collate.Provider{
	{Name: "Alpha NHS Trust", ODSCode: "RA1", Email: "returns@alpha.nhs.net"},
	{Name: "Beta Hospitals NHS Trust", ODSCode: "RB2", Email: "returns@beta.nhs.net"},
	{Name: "Gamma Mental Health Trust", ODSCode: "RC3", Email: "returns@gamma.nhs.net"},
	{Name: "Delta Community Care", ODSCode: "RD4", Email: "returns@delta.nhs.net"},
	{Name: "Epsilon Health", ODSCode: "RE5", Email: "returns@epsilon.nhs.net"},
}

// uk is a time on a UK calendar day.
func uk(month time.Month, day, hour int) time.Time {
	return time.Date(2026, month, day, hour, 0, 0, 0, collate.London)
}

// file writes a return file received at a time (its modification time).
func file(t *testing.T, dir, name string, data []byte, received time.Time) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, received, received); err != nil {
		t.Fatal(err)
	}
	return p
}

// fiveReturns writes the returns of the five providers for 2026-27Q2 and
// Alpha's for 2026-27Q1, as they arrive:
//
//   - Alpha: prevent's CSV on 5 October, on time and above 85% (and its
//     previous quarter's, for the change);
//   - Beta: prevent's XLSX on 23 October, after the window closed;
//   - Gamma: prevent's CSV, level 3 at 80%: below the threshold;
//   - Delta: a CSV whose TOTAL row is not the sum of its organisations
//     (a row lost in copying): refused;
//   - Epsilon: the template filled in on 8 October, then a corrected CSV
//     on 16 October that replaces it.
func fiveReturns(t *testing.T, dir string) {
	t.Helper()
	b, l3, f2f := compliance.Basic, compliance.Level3, compliance.FaceToFace
	q1 := q2.Prev()
	alphaQ1 := build(t, q1, "RA1", "Alpha NHS Trust", map[string]counts{
		"Acute": {b: {10, 8}, l3: {8, 7}, f2f: {1, 1}}, "Community": {b: {6, 6}, l3: {2, 2}}})
	file(t, dir, "RA1 Prevent return 2026-27Q1.csv", csvOf(t, alphaQ1), uk(time.July, 6, 9))
	alpha := build(t, q2, "RA1", "Alpha NHS Trust", twoOrgs)
	file(t, dir, "RA1 Prevent return 2026-27Q2.csv", csvOf(t, alpha), uk(time.October, 5, 10))

	beta := build(t, q2, "RB2", "Beta Hospitals NHS Trust", map[string]counts{"Beta Hospital": {b: {20, 18}, l3: {5, 5}}})
	file(t, dir, "Beta return.xlsx", xlsxOf(t, beta), uk(time.October, 23, 10))

	gamma := build(t, q2, "RC3", "Gamma Mental Health Trust", map[string]counts{"Gamma Wards": {b: {10, 9}, l3: {10, 8}, f2f: {2, 2}}})
	file(t, dir, "gamma.csv", csvOf(t, gamma), uk(time.October, 12, 15))

	delta := build(t, q2, "RD4", "Delta Community Care", map[string]counts{
		"Delta East": {b: {4, 4}, l3: {1, 1}}, "Delta West": {b: {5, 5}}})
	file(t, dir, "Delta Q2.csv", dropLine(csvOf(t, delta), 2), uk(time.October, 14, 11))

	eps := &returns.Provider{Name: "Epsilon Health", ODSCode: "RE5"}
	file(t, dir, "Epsilon template.xlsx", filledTemplate(t, q2, eps, [][]any{
		{"Epsilon Services", 12, 12, 10, 0, 0, 0, 0, 10},
		{"TOTAL", 12, 12, 10, 0, 0, 0, 0, 10},
	}), uk(time.October, 8, 16))
	corrected := build(t, q2, "RE5", "Epsilon Health", map[string]counts{"Epsilon Services": {b: {12, 11}}})
	file(t, dir, "Epsilon corrected.csv", csvOf(t, corrected), uk(time.October, 16, 9))
}

// assuranceCSV is the right assurance table for the five returns.
const assuranceCSV = `quarter,provider_code,provider,status,received_at,resubmitted_at,due_by,versions,headcount,basic_pct,basic_change_pp,level3_pct,level3_change_pp,face_to_face_pct,face_to_face_change_pp,all_pct,all_change_pp,meets_threshold,flags
2026-27Q2,RA1,Alpha NHS Trust,received,2026-10-05T10:00:00+01:00,,2026-10-21,1,27,93.8,+6.3,100.0,+10.0,100.0,0.0,96.3,+7.4,yes,
2026-27Q2,RB2,Beta Hospitals NHS Trust,late,2026-10-23T10:00:00+01:00,,2026-10-21,1,25,90.0,,100.0,,,,92.0,,yes,late
2026-27Q2,RD4,Delta Community Care,missing,,,2026-10-21,0,,,,,,,,,,,missing;rejected_file
2026-27Q2,RE5,Epsilon Health,received,2026-10-08T16:00:00+01:00,2026-10-16T09:00:00+01:00,2026-10-21,2,12,91.7,,,,,,91.7,,yes,resubmitted
2026-27Q2,RC3,Gamma Mental Health Trust,received,2026-10-12T15:00:00+01:00,,2026-10-21,1,22,90.0,,80.0,,100.0,,86.4,,no,below_threshold
`

func TestCollateFiveProviders(t *testing.T) {
	now := uk(time.October, 28, 9) // the window closed on 22 October
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		dir := t.TempDir()
		fiveReturns(t, dir)
		paths, err := collate.Dir(dir)
		if err != nil {
			t.Fatal(err)
		}
		results, err := collate.Files(ctx, s, paths, collate.FileOptions{Providers: fiveProviders, Now: now})
		if err != nil {
			t.Fatal(err)
		}
		byFile := map[string]collate.Result{}
		for _, r := range results {
			byFile[filepath.Base(r.Path)] = r
		}

		t.Run("files are taken in the order received, so the correction comes last", func(t *testing.T) {
			var names []string
			for _, r := range results {
				names = append(names, filepath.Base(r.Path))
			}
			want := "RA1 Prevent return 2026-27Q1.csv|RA1 Prevent return 2026-27Q2.csv|Epsilon template.xlsx|gamma.csv|Delta Q2.csv|Epsilon corrected.csv|Beta return.xlsx"
			if got := strings.Join(names, "|"); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
		t.Run("the return whose totals do not add up is refused with the reason", func(t *testing.T) {
			r := byFile["Delta Q2.csv"]
			if r.Accepted() || len(r.Problems) == 0 {
				t.Fatalf("accepted: %+v", r)
			}
			want := "Delta Q2.csv row 3, column headcount: TOTAL is 10 but the organisation rows add up to 5"
			if got := r.Problems[0].Error(); got != want {
				t.Errorf("got  %s\nwant %s", got, want)
			}
			rej, err := s.ProviderRejections(ctx, "2026-27Q2")
			if err != nil || len(rej) != 1 {
				t.Fatalf("%d rejections stored, err %v", len(rej), err)
			}
			if rj := rej[0]; rj.ProviderCode != "RD4" || rj.Row != 3 || rj.Column != "headcount" || !strings.Contains(rj.Detail, "basic_required") {
				t.Errorf("stored %+v", rj)
			}
		})
		t.Run("every other file is accepted and the correction replaces the template", func(t *testing.T) {
			for name, r := range byFile {
				if name != "Delta Q2.csv" && !r.Accepted() {
					t.Errorf("%s refused: %v %v", name, r.Err, r.Problems)
				}
			}
			if got := byFile["Epsilon corrected.csv"].Saved; got.Outcome != store.ReturnReplaced || got.Previous.FileName != "Epsilon template.xlsx" {
				t.Errorf("correction: %s, replacing %q", got.Outcome, got.Previous.FileName)
			}
			if f := byFile["Epsilon template.xlsx"].Return.Table.Format; f != collate.FormatTemplate {
				t.Errorf("template read as %s", f)
			}
		})
		t.Run("the assurance table is right", func(t *testing.T) {
			a, err := collate.Load(ctx, s, fiveProviders, q2, 0.85, 15, now)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := a.WriteCSV(&b); err != nil {
				t.Fatal(err)
			}
			if b.String() != assuranceCSV {
				t.Errorf("got\n%s\nwant\n%s", b.String(), assuranceCSV)
			}
			want := "4 of 5 providers received (1 late); 1 missing; 1 below 85%; 1 file refused."
			if got := a.Headline(); got != want {
				t.Errorf("headline %q, want %q", got, want)
			}
		})
		t.Run("collating the same folder again changes nothing", func(t *testing.T) {
			again, err := collate.Files(ctx, s, paths, collate.FileOptions{Providers: fiveProviders, Now: now.Add(time.Hour)})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range again {
				if r.Accepted() && r.Saved.Outcome != store.ReturnUnchanged {
					t.Errorf("%s: %s", filepath.Base(r.Path), r.Saved.Outcome)
				}
			}
			a, _ := collate.Load(ctx, s, fiveProviders, q2, 0.85, 15, now)
			var b bytes.Buffer
			_ = a.WriteCSV(&b)
			if b.String() != assuranceCSV {
				t.Errorf("assurance changed:\n%s", b.String())
			}
			if rej, _ := s.ProviderRejections(ctx, ""); len(rej) != 1 {
				t.Errorf("%d rejections", len(rej))
			}
		})
		t.Run("chasers go out once, to the provider whose return is missing", func(t *testing.T) {
			outbox := t.TempDir()
			sender := mail.NewOutbox(outbox)
			a, _ := collate.Load(ctx, s, fiveProviders, q2, 0.85, 15, now)
			clock := func() time.Time { return now }

			dry, err := collate.Chase(ctx, s, sender, a, collate.ChaseOptions{Now: clock})
			if err != nil || len(dry) != 1 || dry[0].Status != collate.WouldSend || dry[0].Email != "returns@delta.nhs.net" {
				t.Fatalf("dry run: %+v, %v", dry, err)
			}
			if emls, _ := filepath.Glob(filepath.Join(outbox, "*.eml")); len(emls) != 0 {
				t.Fatalf("a dry run wrote %d emails", len(emls))
			}
			for run, want := range []string{delivery.StatusSent, delivery.StatusAlreadySent} {
				out, err := collate.Chase(ctx, s, sender, a, collate.ChaseOptions{Send: true, Commissioner: "NHS Example ICB", Now: clock})
				if err != nil || len(out) != 1 || out[0].Status != want {
					t.Fatalf("run %d: %+v, %v", run+1, out, err)
				}
			}
			emls, _ := filepath.Glob(filepath.Join(outbox, "*.eml"))
			if len(emls) != 1 {
				t.Fatalf("%d emails, want 1", len(emls))
			}
			msg, _ := os.ReadFile(emls[0])
			msg = bytes.ReplaceAll(msg, []byte("\r\n"), []byte("\n"))
			for _, want := range []string{"To: <returns@delta.nhs.net>", "Subject: Prevent quarterly data return 2026-27Q2 not received: Delta", "  Delta Community Care (RD4)", "X-Prevent-Delivery: chaser/2026-27Q2/0",
				"RD4 Prevent return template 2026-27Q2.xlsx"} {
				if !bytes.Contains(msg, []byte(want)) {
					t.Errorf("the chaser lacks %q", want)
				}
			}
			dry, _ = collate.Chase(ctx, s, sender, a, collate.ChaseOptions{Now: clock})
			if len(dry) != 1 || dry[0].Status != collate.AlreadySent {
				t.Errorf("dry run after sending: %+v", dry)
			}
		})
	})
}
