package scheduler

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/importers"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

func TestAnnualReportJob(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		e := newEnv(t, time.Date(2027, time.March, 31, 8, 0, 0, 0, time.UTC))
		t.Run("off without report.recipients", func(t *testing.T) {
			sch, err := New(Options{Store: s, Config: e.cfg, Sender: e.mail, Clock: e.ft.view(), Logger: discardLogger()})
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range sch.jobs {
				if j.name == JobAnnualReport {
					t.Fatalf("the annual report job runs with no report.recipients")
				}
			}
		})
		e.cfg.Report.Recipients = []string{"board.secretary@trust.nhs.uk", "Prevent.Lead@trust.nhs.uk"}
		sch, err := New(Options{Store: s, Config: e.cfg, Sender: e.mail, Clock: e.ft.view(), Logger: discardLogger()})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.ContainsFunc(sch.jobs, func(j job) bool { return j.name == JobAnnualReport }) {
			t.Fatal("no annual report job with report.recipients configured")
		}
		e.write(t, "esr_staff_2026-09-30.csv", staffCSV(time.September))
		e.write(t, "lms.csv", completionsCSV(time.September))
		for _, f := range []struct{ kind, name string }{{"staff", "esr_staff_2026-09-30.csv"}, {"completions", "lms.csv"}} {
			if _, err := ingest.File(ctx, s, importers.Kind(f.kind), filepath.Join(e.drop, f.name), ingest.Options{Today: e.ft.Now()}); err != nil {
				t.Fatal(err)
			}
		}

		// On 31 March 2027 the last year over is 2025-26, before any
		// staff extract: nothing is sent, and that is not a failure.
		rep, err := sch.sendAnnualReport(ctx, e.ft.Now())
		if err != nil || !strings.Contains(rep.Summary, "2025-26 annual report not sent") {
			t.Fatalf("before 2026-27 is over: %q, %v", rep.Summary, err)
		}
		if n := len(e.mail.of(AnnualReportKind)); n != 0 {
			t.Fatalf("%d annual reports sent before the year is over", n)
		}

		// Once 2026-27 is over it goes to each recipient, once, however
		// often the job runs.
		for day := 1; day <= 3; day++ {
			now := time.Date(2027, time.April, day, 8, 0, 0, 0, time.UTC)
			rep, err := sch.sendAnnualReport(ctx, now)
			if err != nil {
				t.Fatalf("1 April run %d: %v", day, err)
			}
			want := "2026-27 annual report: 2 sent"
			if day > 1 {
				want = "2026-27 annual report already sent to all 2 recipients"
			}
			if rep.Summary != want {
				t.Errorf("run on %d April: %q, want %q", day, rep.Summary, want)
			}
		}
		sent := e.mail.of(AnnualReportKind)
		if len(sent) != 2 {
			t.Fatalf("%d annual reports sent, want 2: %+v", len(sent), sent)
		}
		for _, m := range sent {
			if !strings.Contains(m.Subject, "Prevent annual report to the board 2026-27") || m.Delivery != "annual_report/2026-27/0" {
				t.Errorf("sent %+v", m)
			}
		}
		e.mail.checkOnce(t)
		trail, err := s.AuditTrail(ctx, AuditAnnualReportSent, 0)
		if err != nil || len(trail) != 2 {
			t.Errorf("audit trail: %d lines, %v", len(trail), err)
		}
	})
}
