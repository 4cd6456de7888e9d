package importers

import (
	"errors"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/activity"
)

func readReferrals(t *testing.T, path string) ([]ReferralRow, Summary, error) {
	t.Helper()
	var out []ReferralRow
	sum, err := ReadReferrals(path, Options{}, func(r ReferralRow) error {
		out = append(out, r)
		return nil
	})
	return out, sum, err
}

func TestReadReferralsCSV(t *testing.T) {
	// A BOM, semicolons, Windows line ends and a title row above the header.
	csv := "\ufeffPrevent referral log 2026-27;;;;;\r\n" +
		"Reference;Date Raised;Subject;Service;Outcome;Notes\r\n" +
		"PR-001;01/07/2026;Patient;Adult Mental Health;Advice only;x\r\n" +
		"PR-002;2026-07-15;STAFF;Emergency Department;Referred to Prevent;\r\n" +
		"PR-003;15-Aug-2026;;Community;;\r\n" +
		"PR-004;30/09/2026;patient;CAMHS;Channel case;\r\n" +
		"PR-005;31/09/2026;patient;CAMHS;adopted;\r\n" +
		"PR-006;01/10/2026;visitor;CAMHS;adopted;\r\n" +
		"PR-007;01/10/2026;patient;CAMHS;closed;\r\n" +
		";01/10/2026;patient;CAMHS;adopted;\r\n"
	rows, sum, err := readReferrals(t, writeFile(t, "referrals.csv", []byte(csv)))
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		ref     string
		day     string
		subject activity.Subject
		service string
		outcome activity.Outcome
	}{
		{"PR-001", "2026-07-01", activity.SubjectPatient, "Adult Mental Health", activity.OutcomeConcern},
		{"PR-002", "2026-07-15", activity.SubjectStaff, "Emergency Department", activity.OutcomeReferred},
		{"PR-003", "2026-08-15", activity.SubjectOther, "Community", activity.OutcomeConcern},
		{"PR-004", "2026-09-30", activity.SubjectPatient, "CAMHS", activity.OutcomeAdopted},
	}
	if len(rows) != len(want) {
		t.Fatalf("got %d rows, want %d: %+v", len(rows), len(want), rows)
	}
	for i, w := range want {
		r := rows[i]
		if r.Reference != w.ref || !r.Raised.Equal(day(w.day)) || r.Subject != w.subject || r.Service != w.service || r.Outcome != w.outcome {
			t.Errorf("row %d = %+v, want %+v", i, r, w)
		}
	}
	errs := strings.Join(errorStrings(sum.Errors), "\n")
	for _, frag := range []string{`row 7, column "Date Raised": "31/09/2026"`, `row 8, column "Subject": "visitor" is not a subject`,
		`row 9, column "Outcome": "closed" is not an outcome`, `row 10, column "Reference" is blank`} {
		if !strings.Contains(errs, frag) {
			t.Errorf("row errors lack %q:\n%s", frag, errs)
		}
	}
	if strings.Contains(errs, "PR-00") {
		t.Errorf("a row error gives a case reference away:\n%s", errs)
	}
}

func TestReadReferralsRefusesPersonalData(t *testing.T) {
	for _, h := range []string{"Patient Name", "NHS Number", " dob ", "Date of Birth", "Name", "Postcode"} {
		csv := "Reference,Date," + h + ",Outcome\nPR-1,01/07/2026,x,concern\n"
		rows, _, err := readReferrals(t, writeFile(t, "log.csv", []byte(csv)))
		var fe *FileError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), strings.TrimSpace(h)) || len(rows) != 0 {
			t.Errorf("header %q: rows %d, err %v; want the file refused naming the column", h, len(rows), err)
		}
	}
	// A meetings log is guarded too.
	_, err := ReadMeetings(writeFile(t, "m.csv", []byte("Date,Forum,Attended,Surname\n01/07/2026,Channel,Yes,Smith\n")), Options{}, func(MeetingRow) error { return nil })
	if err == nil || !strings.Contains(err.Error(), `"Surname"`) {
		t.Errorf("meetings log with a Surname column: %v", err)
	}
}

func TestReadMeetingsXLSX(t *testing.T) {
	f := excelize.NewFile()
	sheet := f.GetSheetName(0)
	_ = f.SetSheetRow(sheet, "A1", &[]any{"Partnership meetings 2026-27"})
	_ = f.SetSheetRow(sheet, "A3", &[]any{"Date", "Forum", "Attended", "Chair"})
	_ = f.SetSheetRow(sheet, "A4", &[]any{46204, "Channel panel", "Yes"}) // 2026-07-01 as an Excel serial
	_ = f.SetSheetRow(sheet, "A5", &[]any{"30/09/2026", "Prevent partnership board", "no"})
	_ = f.SetSheetRow(sheet, "A6", &[]any{"30/09/2026", "CONTEST board", "maybe"})
	p := writeFile(t, "meetings.xlsx", nil)
	if err := f.SaveAs(p); err != nil {
		t.Fatal(err)
	}
	var got []MeetingRow
	sum, err := ReadMeetings(p, Options{}, func(m MeetingRow) error {
		got = append(got, m)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !got[0].Date.Equal(day("2026-07-01")) || !got[0].Attended || got[1].Attended || got[1].Forum != "Prevent partnership board" {
		t.Errorf("meetings = %+v", got)
	}
	if len(sum.Errors) != 1 || sum.Errors[0].Row != 6 || sum.Errors[0].Column != "Attended" {
		t.Errorf("errors = %v", errorStrings(sum.Errors))
	}
}

func TestClassifyLogs(t *testing.T) {
	for name, c := range map[string]struct {
		content string
		want    Kind
	}{
		"referrals.csv": {"Reference,Date,Subject,Service,Outcome\nPR-1,01/07/2026,patient,x,concern\n", Referrals},
		"meetings.csv":  {"Date;Forum;Attended\n01/07/2026;Channel;Yes\n", Meetings},
		"staff.csv":     {"Employee Number,Staff Group\n1,Nursing\n", Staff},
	} {
		k, err := Classify(writeFile(t, name, []byte(c.content)), Options{})
		if err != nil || k != c.want {
			t.Errorf("%s: Classify = %q, %v; want %q", name, k, err, c.want)
		}
	}
}
