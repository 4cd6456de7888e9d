package scheduler

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/collate"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// providerReturnCSV is a provider's return for a quarter as prevent writes
// it: ten people at each level, nine of them compliant.
func providerReturnCSV(t *testing.T, q returns.Quarter, name, code string) []byte {
	t.Helper()
	var people []compliance.Person
	for _, l := range compliance.Levels {
		for i := range 10 {
			st := compliance.Compliant
			if i == 0 {
				st = compliance.Expired
			}
			people = append(people, compliance.Person{EmployeeNumber: fmt.Sprint(len(people) + 1), Organisation: name,
				Requirement: l, Status: st})
		}
	}
	var b bytes.Buffer
	if err := returns.Build(q, returns.Provider{Name: name, ODSCode: code}, people, 0.85).WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// The commissioner's jobs: collate what is in the returns folder, and
// chase the providers still missing once the window has closed, each
// contact once.
func TestCollateAndChaseJobs(t *testing.T) {
	q := returns.Quarter{StartYear: 2026, Q: 2}
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		cfg := config.Default()
		cfg.Organisation = "NHS Example ICB"
		cfg.Providers = []config.Provider{{Name: "Alpha NHS Trust", ODSCode: "RA1", Email: "alpha@alpha.nhs.net"},
			{Name: "Delta Community Care", ODSCode: "RD4", Email: "returns@delta.nhs.net"}}
		cfg.Schedule.CollateDir = filepath.Join(t.TempDir(), "returns") // made by the job
		ft := newFakeTime(at(time.October, 5, 9))
		mail := &recorder{now: ft.Now}
		sch, err := New(Options{Store: s, Config: cfg, Sender: mail, Clock: ft.view(), Logger: discardLogger()})
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, j := range sch.jobs {
			names = append(names, j.name)
		}
		if !slices.Contains(names, JobCollate) || !slices.Contains(names, JobChase) {
			t.Fatalf("jobs %v: want collate and chase with providers configured", names)
		}
		ctx := context.Background()

		rep, err := sch.collateReturns(ctx, ft.Now())
		if err != nil || !strings.Contains(rep.Summary, "0 files") {
			t.Fatalf("an empty folder: %q, %v", rep.Summary, err)
		}
		dir := cfg.Schedule.CollateDir
		for name, data := range map[string][]byte{
			"alpha 2026-27Q2.csv": providerReturnCSV(t, q, "Alpha NHS Trust", "RA1"),
			"covering note.txt":   []byte("Please find our return attached.\n"),
		} {
			if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
				t.Fatal(err)
			}
			// Received when saved: today on the test's clock.
			if err := os.Chtimes(filepath.Join(dir, name), ft.Now(), ft.Now()); err != nil {
				t.Fatal(err)
			}
		}
		rep, err = sch.collateReturns(ctx, ft.Now())
		if err != nil || !strings.Contains(rep.Summary, "2 files in "+dir+": 1 newly accepted, 0 refused, 1 not a return") {
			t.Fatalf("collating: %q, %v", rep.Summary, err)
		}
		a, err := collate.LoadForConfig(ctx, s, cfg, q, ft.Now())
		if err != nil {
			t.Fatal(err)
		}
		status := map[string]collate.Status{}
		for _, l := range a.Lines {
			status[l.Provider.ODSCode] = l.Status
		}
		if status["RA1"] != collate.Received || status["RD4"] != collate.Awaited {
			t.Errorf("statuses %v: want RA1 received, RD4 awaited", status)
		}
		if rep, err = sch.collateReturns(ctx, ft.Now()); err != nil || !strings.Contains(rep.Summary, "0 newly accepted") {
			t.Errorf("collating again: %q, %v; want nothing new", rep.Summary, err)
		}

		rep, err = sch.chaseProviders(ctx, at(time.October, 21, 10)) // the window's last day
		if err != nil || !strings.Contains(rep.Summary, "nobody is chased before") || len(mail.all()) != 0 {
			t.Fatalf("chasing while the window is open: %q, %v, %d sent", rep.Summary, err, len(mail.all()))
		}
		ft.set(at(time.October, 22, 10))
		rep, err = sch.chaseProviders(ctx, ft.Now())
		if err != nil || !strings.Contains(rep.Summary, "1 sent") {
			t.Fatalf("chasing once the window has closed: %q, %v", rep.Summary, err)
		}
		sent := mail.of(collate.ChaserKind)
		if len(sent) != 1 || sent[0].To != "returns@delta.nhs.net" || !strings.Contains(sent[0].Subject, "RD4") {
			t.Fatalf("chasers %+v: want one to Delta's contact", sent)
		}
		ft.set(at(time.October, 23, 10))
		if rep, err = sch.chaseProviders(ctx, ft.Now()); err != nil || !strings.Contains(rep.Summary, "1 already sent") {
			t.Errorf("chasing the next day: %q, %v; want nothing sent again", rep.Summary, err)
		}
		mail.checkOnce(t)
	})
	t.Run("a provider's own prevent has no commissioner jobs", func(t *testing.T) {
		storetest.ForEach(t, func(t *testing.T, s *store.Store) {
			sch, err := New(Options{Store: s, Config: config.Default(), Sender: &recorder{now: time.Now}, Logger: discardLogger()})
			if err != nil {
				t.Fatal(err)
			}
			for _, j := range sch.jobs {
				if j.name == JobCollate || j.name == JobChase {
					t.Errorf("job %s scheduled without providers", j.name)
				}
			}
		})
	})
}
