package collate_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/collate"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

func TestLoadTrend(t *testing.T) {
	now := uk(time.October, 28, 9)
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		dir := t.TempDir()
		fiveReturns(t, dir)
		paths, err := collate.Dir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := collate.Files(ctx, s, paths, collate.FileOptions{Providers: fiveProviders, Now: now}); err != nil {
			t.Fatal(err)
		}
		tr, err := collate.LoadTrend(ctx, s, fiveProviders, q2, 8)
		if err != nil {
			t.Fatal(err)
		}
		// Quarters before the first return (Alpha's for Q1) are left out.
		if len(tr.Quarters) != 2 || tr.Quarters[0] != q2.Prev() || tr.Quarters[1] != q2 {
			t.Fatalf("quarters %v", tr.Quarters)
		}
		var got []string
		for _, l := range tr.Lines {
			got = append(got, l.Provider.ODSCode)
		}
		if want := "RA1 RB2 RD4 RE5 RC3"; strings.Join(got, " ") != want {
			t.Errorf("lines %s, want %s (as the assurance table lists them)", strings.Join(got, " "), want)
		}
		a, err := collate.Load(ctx, s, fiveProviders, q2, 0.85, 15, now)
		if err != nil {
			t.Fatal(err)
		}
		for i, l := range tr.Lines {
			want, wok := a.Lines[i].Rate(compliance.LevelNone)
			got, gok := l.Rate(1, compliance.LevelNone)
			if want != got || wok != gok {
				t.Errorf("%s in %s: %+v %v, the assurance table %+v %v", l.Provider.ODSCode, q2, got, gok, want, wok)
			}
		}
		if alpha, ok := tr.Lines[0].Rate(0, compliance.LevelNone); !ok || alpha.Compliant != 24 || alpha.Required != 27 {
			t.Errorf("Alpha in %s: %+v %v", q2.Prev(), alpha, ok)
		}
		if _, ok := tr.Lines[1].Rate(0, compliance.LevelNone); ok {
			t.Error("Beta has a return for the quarter before")
		}
		// The corrected return is the one in use.
		if e := tr.Lines[3].Returns[1]; e == nil || e.FileName != "Epsilon corrected.csv" {
			t.Errorf("Epsilon's return in use: %+v", e)
		}
	})
}
