package returns

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/figures"
)

const contractHeader = "quarter,provider_code,provider,organisation,headcount,basic_required,basic_compliant,basic_pct,level3_required,level3_compliant,level3_pct,face_to_face_required,face_to_face_compliant,face_to_face_pct,all_compliant,all_pct,meets_threshold"

var provider = Provider{Name: "Example NHS Foundation Trust", ODSCode: "RXX"}

// staff makes n people of one organisation and requirement, the first
// `compliant` of them in date (alternately compliant and due soon, which
// both count) and the rest alternately expired and never trained. Each has
// a distinctive name, employee number and email so that tests can look for
// them in the outputs.
func staff(org string, level compliance.Level, n, compliant int) []compliance.Person {
	var out []compliance.Person
	for i := 0; i < n; i++ {
		st := []compliance.Status{compliance.Compliant, compliance.DueSoon}[i%2]
		if i >= compliant {
			st = []compliance.Status{compliance.Expired, compliance.Never}[i%2]
		}
		key := fmt.Sprintf("%s-%s-%d", strings.ReplaceAll(org, " ", ""), level, i)
		out = append(out, compliance.Person{
			EmployeeNumber: fmt.Sprintf("9%07d", len(key)*1000+i*37+int(level)),
			Name:           "Zebedee Quonsett " + key,
			Email:          "zq." + strings.ToLower(key) + "@example.nhs.net",
			Organisation:   org,
			Requirement:    level,
			Status:         st,
		})
	}
	return out
}

// example is the hand-computed return:
//
//	Acute Medicine:     basic 1/1, level3 2/3 (66.7), no face to face; all 3/4 (75.0); no
//	Community Services: basic 1/8 (12.5), nobody at level 3 or face to face; all 1/8; no
//	Safeguarding Team:  basic 2/2, face to face 1/1; all 3/3; yes
//	TOTAL:              basic 4/11 (36.4), level3 2/3, face to face 1/1; all 7/15 (46.7); no
func example() []compliance.Person {
	var people []compliance.Person
	people = append(people, staff("Safeguarding Team", compliance.FaceToFace, 1, 1)...)
	people = append(people, staff("Community Services", compliance.Basic, 8, 1)...)
	people = append(people, staff("Acute Medicine", compliance.Level3, 3, 2)...)
	people = append(people, staff("Acute Medicine", compliance.Basic, 1, 1)...)
	people = append(people, staff("Safeguarding Team", compliance.Basic, 2, 2)...)
	return people
}

func TestColumnsAreTheContractHeader(t *testing.T) {
	if got := strings.Join(Columns, ","); got != contractHeader {
		t.Fatalf("Columns =\n%s\nwant\n%s", got, contractHeader)
	}
}

func TestBuild(t *testing.T) {
	q := mustQuarter(t, "Q2 2026/27")
	r := Build(q, provider, example(), 0.85)
	t.Run("the return is as of the quarter's last day", func(t *testing.T) {
		if want := q.End(); !r.AsOf.Equal(want) {
			t.Fatalf("AsOf = %s, want %s", r.AsOf, want)
		}
	})
	t.Run("organisations are sorted by name", func(t *testing.T) {
		var names []string
		for _, s := range r.Rows {
			names = append(names, s.Organisation)
		}
		if got := strings.Join(names, "|"); got != "Acute Medicine|Community Services|Safeguarding Team" {
			t.Fatalf("rows = %s", got)
		}
	})
}

func TestWriteCSV(t *testing.T) {
	r := Build(mustQuarter(t, "2026/27 q2"), provider, example(), 0.85)
	var buf bytes.Buffer
	if err := r.WriteCSV(&buf); err != nil {
		t.Fatal(err)
	}
	want := contractHeader + "\n" +
		"2026-27Q2,RXX,Example NHS Foundation Trust,Acute Medicine,4,1,1,100.0,3,2,66.7,0,0,,3,75.0,no\n" +
		"2026-27Q2,RXX,Example NHS Foundation Trust,Community Services,8,8,1,12.5,0,0,,0,0,,1,12.5,no\n" +
		"2026-27Q2,RXX,Example NHS Foundation Trust,Safeguarding Team,3,2,2,100.0,0,0,,1,1,100.0,3,100.0,yes\n" +
		"2026-27Q2,RXX,Example NHS Foundation Trust,TOTAL,15,11,4,36.4,3,2,66.7,1,1,100.0,7,46.7,no\n"
	if got := buf.String(); got != want {
		t.Fatalf("CSV =\n%s\nwant\n%s", got, want)
	}
}

func TestRecords(t *testing.T) {
	q := mustQuarter(t, "2026-27Q2")
	col := func(name string) int { return colIndex(name) }
	row := func(r *Return, org string) []string {
		for _, rec := range r.Records() {
			if rec[col("organisation")] == org {
				return rec
			}
		}
		t.Fatalf("no row for %q in %v", org, r.Records())
		return nil
	}

	for _, tc := range []struct {
		rule               string
		required, complied int
		pct                string
	}{
		{"1 of 8 is 12.5", 8, 1, "12.5"},
		{"2 of 3 rounds up to 66.7", 3, 2, "66.7"},
		{"1 of 3 rounds down to 33.3", 3, 1, "33.3"},
		{"1 of 16 (6.25) rounds half up to 6.3", 16, 1, "6.3"},
		{"none of 5 is 0.0", 5, 0, "0.0"},
		{"all of 7 is 100.0", 7, 7, "100.0"},
	} {
		t.Run("pct: "+tc.rule, func(t *testing.T) {
			r := Build(q, provider, staff("Ward 1", compliance.Basic, tc.required, tc.complied), 0.85)
			if got := row(r, "Ward 1")[col("basic_pct")]; got != tc.pct {
				t.Fatalf("basic_pct = %q, want %q", got, tc.pct)
			}
		})
	}

	for _, tc := range []struct {
		rule   string
		people []compliance.Person
		want   string
	}{
		{"exactly the threshold meets it", staff("W", compliance.Basic, 20, 17), "yes"},
		{"just under the threshold does not (84.96% shows as 85.0)", staff("W", compliance.Basic, 1250, 1062), "no"},
		{"every level must meet it", append(staff("W", compliance.Basic, 10, 10), staff("W", compliance.Level3, 10, 8)...), "no"},
		{"a level nobody requires does not count against it", staff("W", compliance.Level3, 4, 4), "yes"},
	} {
		t.Run("meets_threshold: "+tc.rule, func(t *testing.T) {
			r := Build(q, provider, tc.people, 0.85)
			if got := row(r, "W")[col("meets_threshold")]; got != tc.want {
				t.Fatalf("meets_threshold = %q, want %q (row %v)", got, tc.want, row(r, "W"))
			}
		})
	}

	t.Run("the quarter column is canonical whatever was typed", func(t *testing.T) {
		r := Build(mustQuarter(t, "Q2 2026-2027"), provider, example(), 0.85)
		for _, rec := range r.Records() {
			if rec[0] != "2026-27Q2" {
				t.Fatalf("quarter = %q", rec[0])
			}
		}
	})

	t.Run("text that a spreadsheet would run is neutralised", func(t *testing.T) {
		r := Build(q, Provider{Name: "=HYPERLINK(\"x\")", ODSCode: "+RXX"}, staff("@Ward", compliance.Basic, 2, 1), 0.85)
		rec := r.Records()[0]
		for _, c := range []string{"provider", "provider_code", "organisation"} {
			if v := rec[col(c)]; !strings.HasPrefix(v, "'") {
				t.Errorf("%s = %q, want it neutralised", c, v)
			}
		}
	})

	t.Run("figures match the summary's for every row", func(t *testing.T) {
		r := Build(q, provider, example(), 0.85)
		for i, s := range append(append([]*compliance.Summary{}, r.Rows...), r.Total) {
			got := strings.Join(r.Records()[i][4:], ",")
			if want := strings.Join(figures.Record(s, 0.85), ","); got != want {
				t.Errorf("row %d = %s, want %s", i, got, want)
			}
		}
	})
}

func TestSuppression(t *testing.T) {
	q := mustQuarter(t, "2026-27Q2")
	r := Build(q, provider, example(), 0.85)
	r.SuppressBelow = 3
	got := r.Records()
	want := [][]string{
		// Acute Medicine: basic 1/1 and level3 compliant 2 are small; level3 required 3 is not.
		{"Acute Medicine", "4", "*", "*", "", "3", "*", "", "0", "0", "", "3", "75.0", "no"},
		// Community Services: basic compliant 1 is small, so 12.5 would give it away.
		{"Community Services", "8", "8", "*", "", "0", "0", "", "0", "0", "", "*", "", "no"},
		{"Safeguarding Team", "3", "*", "*", "", "0", "0", "", "*", "*", "", "3", "100.0", "yes"},
		// TOTAL is written as computed.
		{"TOTAL", "15", "11", "4", "36.4", "3", "2", "66.7", "1", "1", "100.0", "7", "46.7", "no"},
	}
	for i := range want {
		t.Run("row "+want[i][0], func(t *testing.T) {
			if g, w := strings.Join(got[i][3:], ","), strings.Join(want[i], ","); g != w {
				t.Fatalf("got  %s\nwant %s", g, w)
			}
		})
	}
	t.Run("zero is never suppressed and no suppression is the default", func(t *testing.T) {
		r.SuppressBelow = 0
		for _, rec := range r.Records() {
			for _, v := range rec {
				if v == Suppressed {
					t.Fatalf("suppressed without SuppressBelow: %v", rec)
				}
			}
		}
	})
}

// The figures' digest is the same for the same figures however the return
// is presented (provider name, suppression, provenance) and differs when a
// figure, a row or the quarter does.
func TestFiguresDigest(t *testing.T) {
	q := mustQuarter(t, "2026-27Q2")
	base := Build(q, provider, example(), 0.85).FiguresDigest()
	same := Build(q, Provider{Name: "Renamed Trust", ODSCode: "RXX"}, example(), 0.85)
	same.SuppressBelow, same.SnapshotFile = 5, "other.csv"
	if got := same.FiguresDigest(); got != base {
		t.Errorf("presentation changed the digest: %s, want %s", got, base)
	}
	oneMore := append(example(), staff("Acute Medicine", compliance.Basic, 1, 1)...)
	renamed := example()
	renamed[0].Organisation = "Safeguarding"
	lapsed := example()
	lapsed[0].Status = compliance.Expired // the same people, one no longer in date
	for name, r := range map[string]*Return{
		"a person more":       Build(q, provider, oneMore, 0.85),
		"an organisation":     Build(q, provider, renamed, 0.85),
		"another quarter":     Build(mustQuarter(t, "2026-27Q3"), provider, example(), 0.85),
		"a person's training": Build(q, provider, lapsed, 0.85),
	} {
		if r.FiguresDigest() == base {
			t.Errorf("%s: the digest did not change", name)
		}
	}
}
