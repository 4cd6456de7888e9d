package collate_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/activity"
	"github.com/nhs-prevent/prevent/internal/collate"
	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// TestCollateReferrals: Alpha sends its XLSX with a Referrals sheet, Beta
// its training CSV and, apart, its referrals CSV with small numbers
// withheld; the assurance table gains referred_to_prevent, which it has
// not for a quarter without any.
func TestCollateReferrals(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		dir := t.TempDir()
		b := compliance.Basic
		alpha := build(t, q2, "RA1", "Alpha NHS Trust", map[string]counts{"Acute": {b: {10, 9}}})
		alpha.Activity = &returns.Activity{Counts: activity.QuarterCounts{ConcernsRaised: 9, ReferredToPrevent: 4, DiscussedAtChannel: 1}}
		file(t, dir, "alpha.xlsx", xlsxOf(t, alpha), uk(time.October, 5, 10))
		beta := build(t, q2, "RB2", "Beta Hospitals NHS Trust", map[string]counts{"Beta Hospital": {b: {20, 18}}})
		file(t, dir, "beta.csv", csvOf(t, beta), uk(time.October, 6, 10))
		beta.Activity = &returns.Activity{Counts: activity.QuarterCounts{ConcernsRaised: 7, ReferredToPrevent: 2}, SuppressBelow: 3}
		var refs bytes.Buffer
		if err := beta.WriteReferralsCSV(&refs); err != nil {
			t.Fatal(err)
		}
		file(t, dir, "beta referrals.csv", refs.Bytes(), uk(time.October, 6, 11))

		paths, err := collate.Dir(dir)
		if err != nil {
			t.Fatal(err)
		}
		results, err := collate.Files(ctx, s, paths, collate.FileOptions{Providers: fiveProviders[:2], Rules: collate.Rules{Threshold: 0.85}})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range results {
			if r.Err != nil || len(r.Problems) > 0 {
				t.Errorf("%s: %v %v", r.Path, r.Err, r.Problems)
			}
		}
		a, err := collate.Load(ctx, s, fiveProviders[:2], q2, 0.85, 15, uk(time.November, 1, 9))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := a.WriteCSV(&out); err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(out.String()), "\n")
		if !strings.HasSuffix(lines[0], ",flags,referred_to_prevent") || !strings.HasSuffix(lines[1], ",4") || !strings.HasSuffix(lines[2], ",*") {
			t.Errorf("assurance:\n%s", out.String())
		}
		none, err := collate.Load(ctx, s, fiveProviders[:2], q2.Prev(), 0.85, 15, uk(time.November, 1, 9))
		if err != nil {
			t.Fatal(err)
		}
		out.Reset()
		_ = none.WriteCSV(&out)
		if strings.Contains(out.String(), "referred_to_prevent") {
			t.Errorf("a quarter without referrals has the column:\n%s", out.String())
		}
	})
}

// A referrals section for another quarter than the one being collated is
// refused, as a training return for another quarter is, and stored
// nowhere; the same file is taken when its quarter is collated.
func TestCollateReferralsOfAnotherQuarterRefused(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		dir := t.TempDir()
		q1 := build(t, q2.Prev(), "RB2", "Beta Hospitals NHS Trust", map[string]counts{"Beta Hospital": {compliance.Basic: {20, 18}}})
		q1.Activity = &returns.Activity{Counts: activity.QuarterCounts{ConcernsRaised: 7, ReferredToPrevent: 5}}
		var refs bytes.Buffer
		if err := q1.WriteReferralsCSV(&refs); err != nil {
			t.Fatal(err)
		}
		file(t, dir, "beta referrals.csv", refs.Bytes(), uk(time.October, 6, 11))
		paths, err := collate.Dir(dir)
		if err != nil {
			t.Fatal(err)
		}
		results, err := collate.Files(ctx, s, paths, collate.FileOptions{Providers: fiveProviders[:2], Rules: collate.Rules{Threshold: 0.85, Quarter: q2}})
		if err != nil {
			t.Fatal(err)
		}
		want := "beta referrals.csv column quarter: the referrals section is for " + q2.Prev().String() + ", but " + q2.String() + " is being collated"
		if len(results) != 1 || results[0].Err == nil || results[0].Err.Error() != want {
			t.Fatalf("results %+v, want the error %q", results, want)
		}
		noReferralsHeld(t, s, q2, q2.Prev())
		results, err = collate.Files(ctx, s, paths, collate.FileOptions{Providers: fiveProviders[:2], Rules: collate.Rules{Threshold: 0.85, Quarter: q2.Prev()}})
		if err != nil || len(results) != 1 || results[0].Err != nil || results[0].Referrals == nil {
			t.Fatalf("collating its own quarter: %+v, %v", results, err)
		}
	})
}

// A workbook of another quarter with a Referrals sheet is refused as a
// return and recorded so (its training table's quarter and its referrals
// section's both named), and neither part is stored.
func TestCollateWorkbookOfAnotherQuarterRefusedWithItsReferrals(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		dir := t.TempDir()
		q1 := build(t, q2.Prev(), "RA1", "Alpha NHS Trust", map[string]counts{"Acute": {compliance.Basic: {10, 9}}})
		q1.Activity = &returns.Activity{Counts: activity.QuarterCounts{ConcernsRaised: 9, ReferredToPrevent: 4}}
		file(t, dir, "alpha.xlsx", xlsxOf(t, q1), uk(time.October, 5, 10))
		paths, err := collate.Dir(dir)
		if err != nil {
			t.Fatal(err)
		}
		results, err := collate.Files(ctx, s, paths, collate.FileOptions{Providers: fiveProviders[:2], Rules: collate.Rules{Threshold: 0.85, Quarter: q2}})
		if err != nil || len(results) != 1 {
			t.Fatalf("%+v, %v", results, err)
		}
		var text []string
		for _, p := range results[0].Problems {
			text = append(text, p.Error())
		}
		got := strings.Join(text, "\n")
		if results[0].Err != nil || !strings.Contains(got, "the return is for "+q2.Prev().String()) ||
			!strings.Contains(got, "the referrals section is for "+q2.Prev().String()) {
			t.Fatalf("err %v, problems:\n%s", results[0].Err, got)
		}
		noReferralsHeld(t, s, q2, q2.Prev())
	})
}

// noReferralsHeld fails the test when a quarter's assurance table has
// referrals: a refused section was stored.
func noReferralsHeld(t *testing.T, s *store.Store, quarters ...returns.Quarter) {
	t.Helper()
	for _, q := range quarters {
		a, err := collate.Load(ctx, s, fiveProviders[:2], q, 0.85, 15, uk(time.November, 1, 9))
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		_ = a.WriteCSV(&out)
		if strings.Contains(out.String(), "referred_to_prevent") {
			t.Errorf("%s: the refused section was stored:\n%s", q, out.String())
		}
	}
}
