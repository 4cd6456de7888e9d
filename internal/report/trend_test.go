package report

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/glob"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// trendTrust stores a year and more of a trust: staff snapshots that people
// join and leave (two quarter ends share one, one has none before it),
// completions by employee number and by email dated all through it, some
// on a quarter's last day, and exemptions.
func trendTrust(t testing.TB, s *store.Store, people int) {
	t.Helper()
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(18, 18))
	emp := func(i int) string {
		if i%50 == 7 {
			return fmt.Sprintf("0%d", 1000+i-1) // with a leading zero: another person than 1000+i-1 in the workforce, the same in training
		}
		if i%97 == 0 {
			return fmt.Sprintf("E%d", i) // not all digits
		}
		return fmt.Sprint(1000 + i)
	}
	email := func(i int) string { return fmt.Sprintf("p%d@nhs.net", i) }
	groups := []string{"Nursing and Midwifery Registered", "Administrative and Clerical", "Medical and Dental",
		"Allied Health Professionals", "Estates and Ancillary"}
	roles := []string{"Staff Nurse", "Safeguarding Lead", "Porter", "Paramedic", "Clerk"}
	orgs := []string{"RXX Acute", "RXX Mental Health", "RXX Community"}
	day := func(from time.Time, days int) time.Time { return from.AddDate(0, 0, rng.IntN(days)) }
	for n, eff := range []time.Time{date(2025, 8, 31), date(2025, 11, 30), date(2026, 2, 28), date(2026, 5, 31),
		date(2026, 6, 30), date(2026, 9, 30)} {
		tx, err := s.BeginStaffImport(ctx, store.Import{FileName: fmt.Sprintf("staff %d.csv", n), SHA256: fmt.Sprintf("staff%d", n), EffectiveDate: eff})
		if err != nil {
			t.Fatal(err)
		}
		row := 2
		for i := range people {
			if rng.IntN(6) == 0 { // not in this snapshot
				continue
			}
			a := compliance.Assignment{EmployeeNumber: emp(i), Name: fmt.Sprint("Person ", i), Organisation: orgs[i%len(orgs)],
				StaffGroup: groups[(i/3)%len(groups)], JobRole: roles[rng.IntN(len(roles))], Email: email(i),
				AssignmentStatus: "Active Assignment", Primary: rng.IntN(4) > 0, Row: row,
				ManagerEmail: fmt.Sprintf("manager%d@nhs.net", i%7)}
			a.OrgLevels[2] = []string{"", "Ward 1", "Ward 2"}[i%3]
			switch rng.IntN(5) {
			case 0: // no start date
			case 1: // started just before the snapshot: a new starter if untrained
				a.StartDate = day(eff.AddDate(0, 0, -90), 90)
			default:
				a.StartDate = day(date(2010, 1, 1), 5000)
			}
			if err := tx.Add(a); err != nil {
				t.Fatal(err)
			}
			row++
			if rng.IntN(4) == 0 { // a second assignment, ending or not
				a.Primary, a.Row, a.JobRole = rng.IntN(3) == 0, row, roles[rng.IntN(len(roles))]
				a.StaffGroup, a.Organisation = groups[rng.IntN(len(groups))], orgs[rng.IntN(len(orgs))]
				a.ManagerEmail, a.OrgLevels[2] = "", "Ward 3"
				if rng.IntN(2) == 0 {
					a.AssignmentStatus = "Terminate Assignment"
				}
				a.StartDate = day(date(2020, 1, 1), 2500)
				if err := tx.Add(a); err != nil {
					t.Fatal(err)
				}
				row++
			}
		}
		if _, err := tx.Commit(row-2, 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	courses := []string{"Preventing Radicalisation - Basic Prevent Awareness", "NHS|MAND|Prevent Level 3 - 3 Years|",
		"WRAP Workshop", "Prevent Level 3 Update", "Fire Safety"}
	for f := range 2 {
		ci, err := s.BeginCompletionImport(ctx, store.Import{FileName: fmt.Sprintf("lms %d.csv", f), SHA256: fmt.Sprintf("lms%d", f)})
		if err != nil {
			t.Fatal(err)
		}
		for r := range people * 2 {
			i := rng.IntN(people + people/10) // some for nobody in any snapshot
			c := compliance.Completion{EmployeeNumber: emp(i), Course: courses[rng.IntN(len(courses))], CompletedOn: day(date(2022, 6, 1), 1650)}
			switch rng.IntN(10) {
			case 0, 1: // by email only
				c.EmployeeNumber, c.Email = "", email(i)
			case 2: // on a quarter's last day
				c.CompletedOn = []time.Time{date(2025, 12, 31), date(2026, 3, 31), date(2026, 6, 30), date(2026, 9, 30)}[rng.IntN(4)]
			case 3: // by a number with leading zeros
				c.EmployeeNumber = "00" + c.EmployeeNumber
			}
			if _, err := ci.Add(c, r+2); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ci.Commit(people*2, 0, nil); err != nil {
			t.Fatal(err)
		}
	}
	ex, err := s.BeginExemptionImport(ctx, store.Import{FileName: "exemptions.csv", SHA256: "exemptions"})
	if err != nil {
		t.Fatal(err)
	}
	for r := range people / 8 {
		e := compliance.Exemption{EmployeeNumber: emp(rng.IntN(people)), Reason: "Maternity leave", From: day(date(2025, 6, 1), 500)}
		if rng.IntN(3) > 0 {
			e.Until = e.From.AddDate(0, 0, 30+rng.IntN(200))
		}
		if err := ex.Add(e, r+2); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := ex.Commit(people/8, 0, nil); err != nil {
		t.Fatal(err)
	}
}

// trendPolicy is the example config's rules, counting new starters and
// the annual update when counting is true.
func trendPolicy(counting bool) compliance.Policy {
	p := compliance.DefaultPolicy()
	p.Requirements = []compliance.Rule{
		{Level: compliance.FaceToFace, Match: map[compliance.Field]glob.Set{compliance.FieldJobRole: mustSet("Safeguarding*", "Prevent Lead")}},
		{Level: compliance.Level3, Match: map[compliance.Field]glob.Set{compliance.FieldStaffGroup: mustSet("Medical and Dental", "Nursing and Midwifery Registered")}},
		{Level: compliance.Level3, Match: map[compliance.Field]glob.Set{compliance.FieldStaffGroup: mustSet("Allied Health Professionals"),
			compliance.FieldOrganisation: mustSet("*Mental Health*")}},
		{Level: compliance.Level3, Match: map[compliance.Field]glob.Set{compliance.FieldJobRole: mustSet("*Paramedic*")}},
	}
	p.Courses = []compliance.CourseRule{
		{Level: compliance.FaceToFace, Match: mustSet("*WRAP*")},
		{Level: compliance.Level3, Match: mustSet("*Prevent *Level 3*")},
		{Level: compliance.Basic, Match: mustSet("*Prevent Awareness*")},
	}
	p.Exclude = mustSet("Terminate*")
	if counting {
		p.NewStarterDays = 60
		p.AnnualUpdate = &compliance.AnnualUpdate{Months: 12, Levels: []compliance.Level{compliance.Level3, compliance.FaceToFace},
			Courses: mustSet("*Prevent*Update*")}
	}
	return p
}

// trendOneByOne is the trend as each point's own full load gives it.
func trendOneByOne(ctx context.Context, s *store.Store, pol compliance.Policy, q returns.Quarter) ([]returns.TrendPoint, error) {
	var trend []returns.TrendPoint
	for i, pq := 0, q.Prev(); i < trendQuarters; i, pq = i+1, pq.Prev() {
		prev, err := LoadFor(ctx, s, pol, pq.End(), 0)
		var none *NoSnapshotError
		if errors.As(err, &none) {
			break
		}
		if err != nil {
			return nil, err
		}
		_, total := compliance.Aggregate(prev.People)
		trend = append([]returns.TrendPoint{{Quarter: pq, Total: total}}, trend...)
	}
	return trend, nil
}

// The return's trend, its quarters worked out together with the quarter's
// own position, is what a full load of each quarter gives.
func TestTrendAgreesWithLoadingEachQuarter(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		trendTrust(t, s, 400)
		now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
		statuses := map[compliance.Status]bool{}
		for _, counting := range []bool{false, true} {
			pol := trendPolicy(counting)
			longest := 0
			first, last := quarter(t, "2025-26Q3"), quarter(t, "2026-27Q3")
			for q := first; !last.Before(q); q = q.Next() {
				r, trend, err := QuarterReturn(ctx, s, pol, returns.Provider{}, q, 0, "", now, true)
				if err != nil {
					t.Fatal(err)
				}
				want, err := trendOneByOne(ctx, s, pol, q)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(trend, want) {
					t.Errorf("counting %v, %s: trend\n got %s\nwant %s", counting, q, trendString(trend), trendString(want))
				}
				plain, _, err := QuarterReturn(ctx, s, pol, returns.Provider{}, q, 0, "", now, false)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(r, plain) {
					t.Errorf("counting %v, %s: the return with its trend differs from the one without", counting, q)
				}
				// Its rows are those of the quarter's whole position, by each key.
				pos, err := LoadFor(ctx, s, pol, q.End(), NeedAll)
				if err != nil {
					t.Fatal(err)
				}
				for _, by := range []compliance.GroupKey{compliance.ByOrganisation, compliance.OrgLevelKey(4), compliance.ByStaffGroup, compliance.ByManager} {
					r, _, err := QuarterReturn(ctx, s, pol, returns.Provider{}, q, 0, by, now, false)
					if err != nil {
						t.Fatal(err)
					}
					want := returns.BuildBy(q, returns.Provider{}, pos.People, pol.Threshold, by)
					if !reflect.DeepEqual(r.Rows, want.Rows) || !reflect.DeepEqual(r.Total, want.Total) {
						t.Errorf("counting %v, %s by %s:\n got %s\nwant %s", counting, q, by, rowsString(r), rowsString(want))
					}
					if r.SnapshotDate != pos.Snapshot.EffectiveDate || r.SnapshotFile != pos.Snapshot.FileName {
						t.Errorf("%s: snapshot %s %s, want %s", q, r.SnapshotDate, r.SnapshotFile, pos.Snapshot.FileName)
					}
				}
				longest = max(longest, len(trend))
				for _, p := range trend {
					for st := range p.Total.ByStatus {
						statuses[st] = true
					}
				}
			}
			if longest != trendQuarters {
				t.Errorf("the longest trend has %d points: the trust should give a full trend", longest)
			}
		}
		for _, st := range compliance.AllStatuses {
			if !statuses[st] {
				t.Errorf("no trend point counts anyone %s: the trust should exercise it", st)
			}
		}
	})
}

func quarter(t testing.TB, s string) returns.Quarter {
	q, err := returns.ParseQuarter(s)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func rowsString(r *returns.Return) string {
	var b strings.Builder
	for _, s := range append(append([]*compliance.Summary{}, r.Rows...), r.Total) {
		fmt.Fprintf(&b, "\n  %s: headcount %d all %+v by status %v", s.Organisation, s.Headcount, s.All, s.ByStatus)
	}
	return b.String()
}

func trendString(trend []returns.TrendPoint) string {
	var b strings.Builder
	for _, p := range trend {
		fmt.Fprintf(&b, "\n  %s: headcount %d all %+v by status %v update due %v", p.Quarter, p.Total.Headcount, p.Total.All,
			p.Total.ByStatus, p.Total.UpdateDue)
	}
	return b.String()
}

// BenchmarkQuarterReturnTrend works out a quarter's return and its trend
// of four earlier quarters over 20,000 people in six snapshots: together,
// as QuarterReturn does, and each quarter loaded in full, as it did.
func BenchmarkQuarterReturnTrend(b *testing.B) {
	for _, dialect := range []string{store.SQLite, store.Postgres} {
		b.Run(dialect, func(b *testing.B) {
			dsn := storetest.SQLiteDSN(b)
			if dialect == store.Postgres {
				dsn = storetest.PostgresDSN(b)
			}
			s := storetest.Open(b, dsn)
			trendTrust(b, s, 20_000)
			ctx := context.Background()
			pol := trendPolicy(true)
			q := quarter(b, "2026-27Q3")
			b.Run("together", func(b *testing.B) {
				for b.Loop() {
					if _, trend, err := QuarterReturn(ctx, s, pol, returns.Provider{}, q, 0, "", time.Time{}, true); err != nil || len(trend) != trendQuarters {
						b.Fatalf("%d points, %v", len(trend), err)
					}
				}
			})
			b.Run("one by one", func(b *testing.B) {
				for b.Loop() {
					if _, _, err := QuarterReturn(ctx, s, pol, returns.Provider{}, q, 0, "", time.Time{}, false); err != nil {
						b.Fatal(err)
					}
					if trend, err := trendOneByOne(ctx, s, pol, q); err != nil || len(trend) != trendQuarters {
						b.Fatalf("%d points, %v", len(trend), err)
					}
				}
			})
		})
	}
}

// The demo trust as `make demo` counts it (demo/counting.yaml: the example
// config with new starters counted), its three monthly staff extracts,
// completions and exemptions imported: the trend of each quarter is what
// loading each of its quarters gives, the quarter's own snapshot shared
// with a trend point included.
func TestTrendOnTheDemoTrust(t *testing.T) {
	demo := func(f string) string { return filepath.Join("..", "..", "testdata", "demo", f) }
	example, err := os.ReadFile(filepath.Join("..", "..", "prevent.example.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	counting := filepath.Join(t.TempDir(), "counting.yaml")
	if err := os.WriteFile(counting, append(example, "\nnew_starter_days: 60\nrag: {red_below: 0.75}\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(counting)
	if err != nil {
		t.Fatal(err)
	}
	pol := cfg.Policy()
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		opt := ingest.Options{Aliases: cfg.Aliases(), Policy: &pol, Today: date(2026, 12, 1)}
		for _, f := range []string{"esr_staff_2026-09-30.csv", "ESR Staff Extract 2026-10-31.xlsx", "ESR Staff Extract 2026-11-30.xlsx"} {
			if _, err := ingest.Staff(ctx, s, demo(f), opt); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range []string{"LMS completions export 2026-11-01.csv", "ESR competences 2026-11-01.xlsx"} {
			if _, err := ingest.Completions(ctx, s, demo(f), opt); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := ingest.Exemptions(ctx, s, demo("exemptions 2026-12-01.csv"), opt); err != nil {
			t.Fatal(err)
		}
		points := 0
		for _, qs := range []string{"2026-27Q2", "2026-27Q3", "2026-27Q4"} {
			q := quarter(t, qs)
			r, trend, err := QuarterReturn(ctx, s, pol, returns.Provider{}, q, 0, "", time.Time{}, true)
			if err != nil {
				t.Fatal(err)
			}
			want, err := trendOneByOne(ctx, s, pol, q)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(trend, want) {
				t.Errorf("%s: trend\n got %s\nwant %s", q, trendString(trend), trendString(want))
			}
			pos, err := LoadFor(ctx, s, pol, q.End(), NeedAll)
			if err != nil {
				t.Fatal(err)
			}
			if w := returns.BuildBy(q, returns.Provider{}, pos.People, pol.Threshold, compliance.ByOrganisation); !reflect.DeepEqual(r.Rows, w.Rows) || !reflect.DeepEqual(r.Total, w.Total) {
				t.Errorf("%s:\n got %s\nwant %s", q, rowsString(r), rowsString(w))
			}
			if r.Total.ByStatus[compliance.NewStarter] == 0 && q.String() == "2026-27Q3" {
				t.Errorf("%s: no new starters counted: the config should count them", q)
			}
			points += len(trend)
		}
		if points < 3 {
			t.Errorf("%d trend points over three quarters: the demo should give some", points)
		}
	})
}

// The quarters' figures worked out together are, quarter by quarter and by
// each key, those of the quarter's whole position: quarters sharing a
// snapshot, one with none, in any order asked for.
func TestQuarterFiguresAgreeWithEachPosition(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		ctx := context.Background()
		trendTrust(t, s, 300)
		qs := []returns.Quarter{quarter(t, "2026-27Q2"), quarter(t, "2025-26Q1"), quarter(t, "2026-27Q1"),
			quarter(t, "2025-26Q4"), quarter(t, "2025-26Q3"), quarter(t, "2026-27Q3")}
		for _, counting := range []bool{false, true} {
			pol := trendPolicy(counting)
			for _, by := range []compliance.GroupKey{compliance.ByOrganisation, compliance.OrgLevelKey(4), compliance.ByStaffGroup} {
				figs, err := LoadQuarterFigures(ctx, s, pol, qs, by)
				if err != nil {
					t.Fatal(err)
				}
				nones := 0
				for i, q := range qs {
					pos, err := LoadFor(ctx, s, pol, q.End(), NeedAll)
					var none *NoSnapshotError
					if errors.As(err, &none) {
						nones++
						if figs[i].None == nil || !figs[i].None.AsOf.Equal(none.AsOf) {
							t.Errorf("%s: figures %+v, want none as of %s", q, figs[i], none.AsOf)
						}
						continue
					}
					if err != nil {
						t.Fatal(err)
					}
					groups, total := compliance.AggregateBy(pos.People, by)
					if figs[i].None != nil || figs[i].Snapshot != pos.Snapshot ||
						!reflect.DeepEqual(figs[i].Groups, groups) || !reflect.DeepEqual(figs[i].Total, total) {
						t.Errorf("counting %v, %s by %s: figures differ from the position's", counting, q, by)
					}
				}
				if nones != 1 {
					t.Fatalf("%d quarters with no snapshot, want 1: the test lost its point", nones)
				}
			}
		}
	})
}
