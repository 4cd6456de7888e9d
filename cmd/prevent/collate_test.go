package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
	"github.com/nhs-prevent/prevent/internal/web"
)

const commissionerConfig = `organisation: NHS Example Integrated Care Board
providers:
  - {name: Alpha NHS Trust, ods_code: RA1, email: returns@alpha.nhs.net}
  - {name: Beta Hospitals NHS Trust, ods_code: RB2, email: returns@beta.nhs.net}
  - {name: Gamma Mental Health Trust, ods_code: RC3, email: returns@gamma.nhs.net}
  - {name: Delta Community Care, ods_code: RD4, email: returns@delta.nhs.net}
collate:
  deadline_working_days: 15
outbox_dir: outbox
`

// providerReturn computes a provider's return from a hand-made workforce:
// per organisation, per level, {required, compliant}.
func providerReturn(code, name string, orgs map[string]map[compliance.Level][2]int) *returns.Return {
	var people []compliance.Person
	for org, levels := range orgs {
		for l, c := range levels {
			for i := 0; i < c[0]; i++ {
				st := compliance.Never
				if i < c[1] {
					st = compliance.Compliant
				}
				people = append(people, compliance.Person{EmployeeNumber: fmt.Sprint(len(people) + 1), Organisation: org, Requirement: l, Status: st})
			}
		}
	}
	q, _ := returns.ParseQuarter("2026-27Q2")
	return returns.Build(q, returns.Provider{Name: name, ODSCode: code}, people, 0.85)
}

// received writes a file and dates it as when it arrived.
func received(t *testing.T, dir, name string, data []byte, at time.Time) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(p, at, at); err != nil {
		t.Fatal(err)
	}
}

func TestCommissionerEndToEnd(t *testing.T) {
	b, l3 := compliance.Basic, compliance.Level3
	alpha := providerReturn("RA1", "Alpha NHS Trust", map[string]map[compliance.Level][2]int{
		"Acute": {b: {10, 9}, l3: {8, 8}}, "Community": {b: {6, 6}}})
	beta := providerReturn("RB2", "Beta Hospitals NHS Trust", map[string]map[compliance.Level][2]int{"Beta Hospital": {b: {20, 18}, l3: {5, 4}}})
	gamma := providerReturn("RC3", "Gamma Mental Health Trust", map[string]map[compliance.Level][2]int{
		"Wards": {b: {4, 4}}, "Community": {b: {5, 5}}})
	var alphaCSV, betaXLSX, gammaCSV bytes.Buffer
	for _, err := range []error{alpha.WriteCSV(&alphaCSV), beta.WriteXLSX(&betaXLSX, nil), gamma.WriteCSV(&gammaCSV)} {
		if err != nil {
			t.Fatal(err)
		}
	}
	// Gamma's TOTAL row no longer adds up: a row was lost in copying.
	gammaLines := strings.SplitAfter(gammaCSV.String(), "\n")
	gammaBroken := strings.Join(append(gammaLines[:1:1], gammaLines[2:]...), "")
	london, _ := time.LoadLocation("Europe/London")
	day := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 10, 0, 0, 0, london) }

	dbs := map[string]func(t *testing.T, dir string) string{
		"sqlite":   func(t *testing.T, dir string) string { return "sqlite:" + filepath.Join(dir, "prevent.db") },
		"postgres": func(t *testing.T, dir string) string { return storetest.PostgresDSN(t) },
	}
	for name, dsn := range dbs {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			db := dsn(t, dir)
			write(t, dir, "prevent.yaml", commissionerConfig)
			inbox := filepath.Join(dir, "inbox")
			if err := os.Mkdir(inbox, 0o700); err != nil {
				t.Fatal(err)
			}
			received(t, inbox, "RA1 Prevent return 2026-27Q2.csv", alphaCSV.Bytes(), day(time.October, 5))
			received(t, inbox, "Beta.xlsx", betaXLSX.Bytes(), day(time.October, 23))
			received(t, inbox, "gamma return.csv", []byte(gammaBroken), day(time.October, 9))
			received(t, inbox, "notes.txt", []byte("Please find our return attached.\n"), day(time.October, 9))

			t.Run("providers lists the config's providers", func(t *testing.T) {
				r := prevent(t, dir, db, "providers")
				if r.code != 0 || !strings.Contains(r.stdout, "RD4") || !strings.Contains(r.stdout, "returns@delta.nhs.net") || !strings.Contains(r.stdout, "4 providers") {
					t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
			})
			t.Run("collate accepts the good returns and refuses the one that does not add up", func(t *testing.T) {
				r := prevent(t, dir, db, "collate", "inbox", "--quarter", "2026-27Q2")
				if r.code != 1 {
					t.Errorf("exit %d, want 1 for a refused file", r.code)
				}
				for _, want := range []string{"gamma return.csv row 3, column headcount: TOTAL is 9 but the organisation rows add up to 4", "notes.txt is not a Prevent quarterly return"} {
					if !strings.Contains(r.stderr, want) {
						t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
					}
				}
				for _, want := range []string{"RA1 Prevent return 2026-27Q2.csv: RA1 2026-27Q2 Alpha NHS Trust (received 2026-10-05 10:00): accepted",
					"after the window closed", "4 files: 2 accepted, 1 refused, 1 not a return"} {
					if !strings.Contains(r.stdout, want) {
						t.Errorf("stdout lacks %q:\n%s", want, r.stdout)
					}
				}
			})
			t.Run("collating the folder again only mentions the file refused before", func(t *testing.T) {
				os.Remove(filepath.Join(inbox, "notes.txt"))
				r := prevent(t, dir, db, "collate", "inbox")
				if r.code != 0 || !strings.Contains(r.stdout, "gamma return.csv row 3, column headcount: TOTAL is 9 but the organisation rows add up to 4 (refused before: same content)") ||
					strings.Count(r.stdout, "already collated") != 2 {
					t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
			})
			t.Run("assurance csv shows every provider against the threshold", func(t *testing.T) {
				r := prevent(t, dir, db, "assurance", "--quarter", "2026-27Q2", "--format", "csv")
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				want := "quarter,provider_code,provider,status,received_at,resubmitted_at,due_by,versions,headcount,basic_pct,basic_change_pp,level3_pct,level3_change_pp,face_to_face_pct,face_to_face_change_pp,all_pct,all_change_pp,meets_threshold,flags\n" +
					"2026-27Q2,RA1,Alpha NHS Trust,received,2026-10-05T10:00:00+01:00,,2026-10-21,1,24,93.8,,100.0,,,,95.8,,yes,\n" +
					"2026-27Q2,RB2,Beta Hospitals NHS Trust,late,2026-10-23T10:00:00+01:00,,2026-10-21,1,25,90.0,,80.0,,,,88.0,,no,late;below_threshold\n" +
					"2026-27Q2,RD4,Delta Community Care,missing,,,2026-10-21,0,,,,,,,,,,,missing\n" +
					"2026-27Q2,RC3,Gamma Mental Health Trust,missing,,,2026-10-21,0,,,,,,,,,,,missing;rejected_file\n"
				if got := strings.ReplaceAll(r.stdout, "\r\n", "\n"); got != want {
					t.Errorf("got\n%s\nwant\n%s", got, want)
				}
			})
			t.Run("the dashboard's assurance CSV is the command's", func(t *testing.T) {
				r := prevent(t, dir, db, "assurance", "--quarter", "2026-27Q2", "--format", "csv")
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				cfg, err := config.Load(filepath.Join(dir, "prevent.yaml"))
				if err != nil {
					t.Fatal(err)
				}
				s, err := store.Open(context.Background(), db)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Close()
				h, err := web.New(web.Options{Store: s, Config: cfg, Logger: slog.New(slog.DiscardHandler)})
				if err != nil {
					t.Fatal(err)
				}
				// Addressed to this machine: a dashboard without sign-in
				// answers no other name (421).
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/commissioner.csv?quarter=2026-27Q2", nil))
				if rec.Code != http.StatusOK || rec.Body.String() != r.stdout {
					t.Errorf("status %d\ndashboard:\n%s\ncommand:\n%s", rec.Code, rec.Body.String(), r.stdout)
				}
				rec = httptest.NewRecorder()
				h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/commissioner?quarter=2026-27Q2", nil))
				for _, want := range []string{"Alpha NHS Trust", "Delta Community Care", "2 of 4 providers received (1 late); 2 missing"} {
					if !strings.Contains(rec.Body.String(), want) {
						t.Errorf("the commissioner page lacks %q", want)
					}
				}
			})
			t.Run("assurance xlsx is written", func(t *testing.T) {
				r := prevent(t, dir, db, "assurance", "--quarter", "2026-27Q2", "--format", "xlsx", "--out", "assurance.xlsx")
				f, err := excelize.OpenFile(filepath.Join(dir, "assurance.xlsx"))
				if r.code != 0 || err != nil {
					t.Fatalf("exit %d, %v: %s", r.code, err, r.stderr)
				}
				f.Close()
			})
			t.Run("chasers go out once to each missing provider", func(t *testing.T) {
				r := prevent(t, dir, db, "chase", "--quarter", "2026-27Q2")
				if r.code != 0 || strings.Count(r.stdout, "would send") != 2 {
					t.Errorf("dry run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
				for run, want := range []string{": sent", ": already sent"} {
					r := prevent(t, dir, db, "chase", "--quarter", "2026-27Q2", "--send")
					if r.code != 0 || strings.Count(r.stdout, want) != 2 {
						t.Errorf("run %d: exit %d\n%s%s", run+1, r.code, r.stdout, r.stderr)
					}
				}
				emls, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
				if len(emls) != 2 {
					t.Errorf("%d chasers in the outbox, want 2", len(emls))
				}
			})
			t.Run("a provider fills in the template and its return is collated, late", func(t *testing.T) {
				r := prevent(t, dir, db, "template", "--quarter", "2026-27Q2", "--provider", "rd4", "--out", "delta.xlsx")
				if r.code != 0 {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				f, err := excelize.OpenFile(filepath.Join(dir, "delta.xlsx"))
				if err != nil {
					t.Fatal(err)
				}
				// Delta Clinics: basic 4 of 5, level3 2 of 2; the TOTAL row the same.
				for _, row := range []int{2, 12} {
					for col, v := range map[string]any{"E": 7, "F": 5, "G": 4, "I": 2, "J": 2, "L": 0, "M": 0, "O": 6} {
						_ = f.SetCellValue("Return", fmt.Sprintf("%s%d", col, row), v)
					}
				}
				_ = f.SetCellValue("Return", "D2", "Delta Clinics")
				if err := f.SaveAs(filepath.Join(inbox, "Delta return.xlsx")); err != nil {
					t.Fatal(err)
				}
				f.Close()
				r = prevent(t, dir, db, "collate", filepath.Join("inbox", "Delta return.xlsx"))
				if r.code != 0 || !strings.Contains(r.stdout, "RD4 2026-27Q2 Delta Community Care") {
					t.Fatalf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
				}
				r = prevent(t, dir, db, "assurance", "--quarter", "2026-27Q2", "--format", "csv")
				if !strings.Contains(r.stdout, ",RD4,Delta Community Care,late,") || !strings.Contains(r.stdout, ",7,80.0,,100.0,,,,85.7,,no,late;below_threshold\n") {
					t.Errorf("Delta after its template:\n%s", r.stdout)
				}
			})
			t.Run("assurance table reads at a glance", func(t *testing.T) {
				r := prevent(t, dir, db, "assurance", "--quarter", "2026-27Q2")
				for _, want := range []string{"Prevent assurance 2026-27Q2", "3 of 4 providers received (2 late); 1 missing", "gamma return.csv (RC3"} {
					if !strings.Contains(r.stdout, want) {
						t.Errorf("table lacks %q:\n%s", want, r.stdout)
					}
				}
			})
		})
	}
}

func TestCommissionerUsageErrors(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "p.db")
	write(t, dir, "prevent.yaml", commissionerConfig)
	tests := []struct {
		name string
		args []string
		code int
		say  string
	}{
		{"collate needs a folder", []string{"collate"}, 2, "collate needs a folder"},
		{"a folder that does not exist", []string{"collate", "nowhere"}, 1, "nowhere"},
		{"a quarter that is not one", []string{"assurance", "--quarter", "2026Q5"}, 2, "--quarter"},
		{"an assurance format not offered", []string{"assurance", "--format", "pdf"}, 2, "table, csv, xlsx"},
		{"a template for a provider not configured", []string{"template", "--provider", "RZZ", "--out", "x.xlsx"}, 2, "RZZ is not in the providers"},
		{"a bad received date", []string{"collate", ".", "--received", "23/10/2026"}, 2, "YYYY-MM-DD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := prevent(t, dir, db, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.say) {
				t.Errorf("exit %d (want %d), stderr %q", r.code, tt.code, r.stderr)
			}
		})
	}
	t.Run("a bad provider in the config is exit 2 naming the line", func(t *testing.T) {
		write(t, dir, "bad.yaml", "providers:\n  - {name: A, ods_code: R-1, email: a@b.nhs.net}\n")
		r := prevent(t, dir, db, "--config", "bad.yaml", "providers")
		if r.code != 2 || !strings.Contains(r.stderr, "bad.yaml line 2: providers[0].ods_code") {
			t.Errorf("exit %d: %q", r.code, r.stderr)
		}
	})
	t.Run("fetching needs a mailbox in the config", func(t *testing.T) {
		r := prevent(t, dir, db, "collate", "inbox", "--fetch")
		if r.code != 2 || !strings.Contains(r.stderr, "--fetch needs a collate.imap block") {
			t.Errorf("exit %d: %q", r.code, r.stderr)
		}
	})
	t.Run("fetching needs the mailbox password in the environment", func(t *testing.T) {
		write(t, dir, "imap.yaml", strings.Replace(commissionerConfig, "collate:\n", "collate:\n  imap: {host: 127.0.0.1, username: r, password_env: PREVENT_TEST_IMAP_UNSET}\n", 1))
		r := prevent(t, dir, db, "--config", "imap.yaml", "collate", "inbox", "--fetch")
		if r.code != 1 || !strings.Contains(r.stderr, "PREVENT_TEST_IMAP_UNSET") {
			t.Errorf("exit %d: %q", r.code, r.stderr)
		}
	})
	t.Run("no chasers while the window is open", func(t *testing.T) {
		r := prevent(t, dir, db, "chase", "--quarter", "2030-31Q2")
		if r.code != 0 || !strings.Contains(r.stdout, "window is open") {
			t.Errorf("exit %d: %s%s", r.code, r.stdout, r.stderr)
		}
	})
}
