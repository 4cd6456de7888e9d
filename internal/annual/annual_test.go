package annual

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/returns"
)

// sample is a report built by hand from a small workforce, as Build
// would from the store.
func sample(complete bool) *Report {
	var people []compliance.Person
	for i := 0; i < 20; i++ {
		p := compliance.Person{Organisation: []string{"RT1 Acute", "RT1 Community"}[i%2], Requirement: compliance.Basic,
			Status: compliance.Compliant, DueDate: compliance.Date(2026, time.Month(4+i%9), 15)}
		if i%5 == 0 {
			p.Requirement = compliance.FaceToFace
		}
		if i%4 == 0 {
			p.Status, p.DueDate = compliance.Never, time.Time{}
		}
		people = append(people, p)
	}
	y := returns.Year{StartYear: 2025}
	last := y.Quarters()[3]
	if !complete {
		last = y.Quarters()[1]
	}
	_, total := compliance.Aggregate(people)
	r := &Report{Year: y, Provider: returns.Provider{Name: "Test NHS Trust", ODSCode: "RT1"}, Threshold: 0.85,
		Complete: complete, LastDay: last.End(), GeneratedAt: time.Date(2026, 4, 2, 9, 0, 0, 0, time.UTC)}
	for _, q := range y.Quarters() {
		if !last.Before(q) {
			r.Quarters = append(r.Quarters, QuarterPosition{Quarter: q, AsOf: q.End(), Total: total})
		}
	}
	r.Quarters[0].Total = nil // before the first staff extract
	r.Trend = r.Quarters[1:]
	r.YearEnd = returns.Build(last, r.Provider, people, 0.85)
	r.Plan = plan(people, r.LastDay, Source{Policy: compliance.Policy{Threshold: 0.85}})
	return r
}

func htmlOf(t *testing.T, r *Report) string {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteHTML(&b); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func sheetNames(t *testing.T, r *Report) []string {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteXLSX(&b); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.GetSheetList()
}

func TestOptionalSections(t *testing.T) {
	t.Run("left out when there is nothing for them", func(t *testing.T) {
		r := sample(true)
		page := htmlOf(t, r)
		for _, absent := range []string{"Prevent lead", "Accountable lead", "New starters", "Face-to-face sessions a month", "Beside the figures"} {
			if strings.Contains(page, absent) {
				t.Errorf("the HTML has %q with nothing to show", absent)
			}
		}
		got := strings.Join(sheetNames(t, r), ",")
		if want := "Cover,Quarter ends,Organisations,Trend,Plan,Referrals,Partnership,Data quality"; got != want {
			t.Errorf("sheets %s, want %s", got, want)
		}
	})
	t.Run("the referrals section is always there, saying when nothing is recorded", func(t *testing.T) {
		r := sample(true)
		for _, q := range r.Year.Quarters() {
			r.Referrals = append(r.Referrals, QuarterActivity{Quarter: q})
		}
		const note = "No referral log has been imported into prevent"
		if page := htmlOf(t, r); !strings.Contains(page, "Referrals and partnership work") || !strings.Contains(page, note) {
			t.Errorf("with nothing recorded, the HTML lacks the section or its note")
		}
		const meetingsNote = "No partnership meetings log has been imported into prevent"
		if page := htmlOf(t, r); !strings.Contains(page, meetingsNote) {
			t.Errorf("with nothing recorded, the HTML does not say the meetings are not recorded")
		}
		var b bytes.Buffer
		if err := r.WriteXLSX(&b); err != nil {
			t.Fatal(err)
		}
		book, err := excelize.OpenReader(&b)
		if err != nil {
			t.Fatal(err)
		}
		for sheet, want := range map[string]string{"Referrals": note, "Partnership": meetingsNote} {
			rows, err := book.GetRows(sheet)
			if err != nil || len(rows) == 0 || len(rows[len(rows)-1]) == 0 || !strings.HasPrefix(rows[len(rows)-1][0], want) {
				t.Errorf("sheet %s does not end with %q: %q %v", sheet, want, rows, err)
			}
		}
		book.Close()
		r.Quality.ReferralImports = 1
		if page := htmlOf(t, r); strings.Contains(page, note) || !strings.Contains(page, meetingsNote) {
			t.Errorf("with a referral log only, the HTML does not say just the meetings are not recorded")
		}
		r.Quality.MeetingImports = 1
		if page := htmlOf(t, r); !strings.Contains(page, "Referrals and partnership work") || strings.Contains(page, note) || strings.Contains(page, meetingsNote) {
			t.Errorf("with both logs imported, the HTML lacks the section or still says something is not recorded")
		}
	})
	t.Run("shown when given", func(t *testing.T) {
		r := sample(true)
		r.Leads = Leads{Prevent: Contact{Name: "Pat Lead", Email: "prevent.lead@trust.nhs.uk"}, Accountable: Contact{Name: "Chief Nurse"}}
		r.Referrals = []QuarterActivity{{Quarter: r.Year.Quarters()[0], Counts: QuarterCounts{ConcernsRaised: 7, ReferredToPrevent: 3, PartnershipMeetings: 2, PartnershipAttended: 1}}}
		n := 4
		r.Quarters[1].NewStarters = &n
		r.Plan.Sessions = &Sessions{Plan: compliance.TrainingPlan{SessionSize: 10, Trainers: 1, SessionsPerTrainerMonth: 1}, PerMonth: 25, Needed: 3, Capacity: 1}
		r.Returns = []ReturnSent{{Quarter: r.Year.Quarters()[0], Recipients: 2, Sent: 1, FirstSent: time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC), LastSent: time.Date(2025, 7, 1, 8, 0, 0, 0, time.UTC)}}
		page := htmlOf(t, r)
		for _, present := range []string{"Referrals and partnership work", "Pat Lead, prevent.lead@trust.nhs.uk", "Accountable lead", "Chief Nurse",
			"New starters", "That is 2 sessions short a month.", "1 Jul 2025"} {
			if !strings.Contains(page, present) {
				t.Errorf("the HTML lacks %q", present)
			}
		}
		got := strings.Join(sheetNames(t, r), ",")
		if want := "Cover,Quarter ends,Beside the figures,Organisations,Trend,Plan,Face-to-face sessions,Referrals,Partnership,Returns sent,Data quality"; got != want {
			t.Errorf("sheets %s, want %s", got, want)
		}
	})
	t.Run("RAG colours the rates when configured", func(t *testing.T) {
		r := sample(true)
		if strings.Contains(htmlOf(t, r), `class="red"`) {
			t.Fatal("RAG colours without rag:")
		}
		r.RAG = func(t compliance.Tally) string { return "red" }
		if !strings.Contains(htmlOf(t, r), `<td class="red">`) {
			t.Error("no RAG colour with rag:")
		}
	})
}

func TestPeriod(t *testing.T) {
	if got := sample(true).Period(); got != "The financial year 2025-26, 1 April 2025 to 31 March 2026." {
		t.Errorf("a complete year: %q", got)
	}
	got := sample(false).Period()
	if !strings.Contains(got, "2025-26 is not over") || !strings.Contains(got, "to 30 September 2025, up to its last completed quarter (Q2 2025-26)") {
		t.Errorf("a year not over: %q", got)
	}
	if page := htmlOf(t, sample(false)); !strings.Contains(page, "2025-26 is not over") || !strings.Contains(page, "No staff extract held for this date") {
		t.Error("the HTML does not say the year is not over, or hides the quarter with no extract")
	}
}

func TestHTMLIsSelfContainedAndPrints(t *testing.T) {
	page := htmlOf(t, sample(true))
	for _, banned := range []string{"<script", "src=", `href="http`, "<link", "@import", "url("} {
		if strings.Contains(page, banned) {
			t.Errorf("the HTML fetches or runs something: %q", banned)
		}
	}
	for _, want := range []string{"@page { size: A4", "break-inside: avoid", "display: table-header-group", "<svg", "break-after: page"} {
		if !strings.Contains(page, want) {
			t.Errorf("the HTML lacks %q", want)
		}
	}
}

func TestPDF(t *testing.T) {
	var b bytes.Buffer
	if err := sample(true).WritePDF(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("%PDF-")) || bytes.Count(b.Bytes(), []byte("/Type /Page\n")) < 2 {
		t.Errorf("not a PDF of several pages (%d bytes, %d pages)", b.Len(), bytes.Count(b.Bytes(), []byte("/Type /Page\n")))
	}
}

func TestMessage(t *testing.T) {
	r := sample(true)
	m, err := r.Message("prevent@trust.nhs.uk")
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Prevent annual report to the board 2025-26: Test NHS Trust (RT1)" || !strings.Contains(m.Text, r.Verdict()) {
		t.Errorf("subject %q, body:\n%s", m.Subject, m.Text)
	}
	if len(m.Attachments) != 2 || m.Attachments[0].Name != "RT1 Prevent annual report 2025-26.pdf" ||
		!bytes.HasPrefix(m.Attachments[0].Data, []byte("%PDF-")) || m.Attachments[1].Name != "RT1 Prevent annual report 2025-26.xlsx" ||
		!bytes.HasPrefix(m.Attachments[1].Data, []byte("PK")) {
		t.Errorf("attachments %d: want the PDF and the XLSX", len(m.Attachments))
	}
}

func TestPDFSafe(t *testing.T) {
	for in, want := range map[string]string{"Ysbyty Gŵyr": "Ysbyty Gwyr", "Tŷ Gwyn – Adran": "Ty Gwyn – Adran", "Café 85%": "Café 85%", "東京": "??"} {
		if got := pdfSafe(in); got != want {
			t.Errorf("pdfSafe(%q) = %q, want %q", in, got, want)
		}
	}
}
