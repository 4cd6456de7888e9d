package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

// The referral log of the activity tests: a BOM, semicolons, a title row,
// a column the import ignores, and a row on each side of 2026-27Q2's first
// and last days. Every reference begins "PRV-26-" so that any output
// holding one is found.
const e2eReferrals = "\ufeffPrevent referral log (safeguarding team);;;;;;\r\n" +
	"Reference;Date Raised;Subject;Service;Outcome;Notes\r\n" +
	"PRV-26-001;30/06/2026;patient;Adult Mental Health;Channel case;before the quarter\r\n" +
	"PRV-26-002;01/07/2026;Patient;Adult Mental Health Inpatients;Advice only;\r\n" +
	"PRV-26-003;01/07/2026;staff;Emergency Department;Referred to Prevent;\r\n" +
	"PRV-26-004;14/08/2026;;Community Nursing;;\r\n" +
	"PRV-26-005;02/09/2026;patient;CAMHS;discussed at channel;\r\n" +
	"PRV-26-006;30/09/2026;Patient;Older People's Mental Health;referred;\r\n" +
	"PRV-26-007;01/10/2026;staff;Maternity;adopted;after the quarter\r\n" +
	"PRV-26-008;15/09/2026;visitor;Maternity;concern;\r\n"

// The next month's log: PRV-26-003 has moved on to adoption by Channel,
// PRV-26-006 is corrected to a staff concern, and one is new.
const e2eReferralsLater = "Reference,Date,Subject,Service,Outcome\n" +
	"PRV-26-003,01/07/2026,staff,Emergency Department,adopted\n" +
	"prv-26-006 ,30/09/2026,staff,Older People's Mental Health,referred\n" +
	"PRV-26-009,20/09/2026,other,Estates,No further action\n"

const e2eMeetings = "Date,Forum,Attended\n" +
	"30/06/2026,Channel panel,Yes\n" +
	"01/07/2026,Channel panel,No\n" +
	"01/07/2026,Channel Panel,yes\n" + // the same meeting: the last row stands
	"12/08/2026,Prevent partnership board,Yes\n" +
	"30/09/2026,CONTEST board,no\n" +
	"01/10/2026,Channel panel,Yes\n"

const e2eReferralHeader = "quarter,provider_code,provider,concerns_raised,referred_to_prevent,discussed_at_channel,adopted_by_channel,about_patients,about_staff,mental_health_services,partnership_meetings,partnership_attended,prevent_lead,prevent_lead_email\n"

func sheets(t *testing.T, path string) []string {
	t.Helper()
	f, err := excelize.OpenFile(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return f.GetSheetList()
}

func TestReferralsEndToEnd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", e2eConfig)
	var outputs []output // everything prevent wrote, for the privacy check
	run := func(want int, args ...string) run {
		t.Helper()
		r := prevent(t, dir, db, args...)
		if r.code != want {
			t.Fatalf("prevent %v: exit %d (want %d)\nstdout: %s\nstderr: %s", args, r.code, want, r.stdout, r.stderr)
		}
		outputs = append(outputs, output{strings.Join(args, " "), []byte(r.stdout + r.stderr)})
		return r
	}
	run(0, "import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", e2eStaff))
	run(0, "import", "completions", write(t, dir, "lms.csv", e2eCompletions))

	// Nothing of the referrals section before a lead or a log.
	run(0, "return", "--quarter", "2026-27Q2", "--out", "before.xlsx")
	if got := sheets(t, filepath.Join(dir, "before.xlsx")); !slices.Equal(got, []string{"Cover", "Return", "Chart", "Trend"}) {
		t.Errorf("sheets without a lead or a log: %v", got)
	}
	trainingCSV := run(0, "return", "--quarter", "2026-27Q2", "--format", "csv").stdout

	t.Run("a log with a Patient Name column is refused whole", func(t *testing.T) {
		p := write(t, dir, "with names.csv", "Reference,Date,Patient Name,Outcome\nPRV-26-001,01/07/2026,Jane Doe,concern\n")
		r := run(1, "import", "referrals", p)
		if !strings.Contains(r.stderr, `"Patient Name"`) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
			t.Errorf("stderr %q: want one sentence naming the column", r.stderr)
		}
		if imports, _ := held(t, db); imports != 2 {
			t.Errorf("%d imports held after the refused log, want the 2 before it", imports)
		}
		if r := run(0, "return", "--quarter", "2026-27Q2", "--out", "still.xlsx"); len(sheets(t, filepath.Join(dir, "still.xlsx"))) != 4 {
			t.Errorf("the refused log switched the referrals section on: %s", r.stderr)
		}
	})

	r := run(0, "import", "referrals", write(t, dir, "referral log 2026-09.csv", e2eReferrals))
	if !strings.Contains(r.stdout, "8 rows read, 7 new, 0 replacing rows held, 1 rejected") || !strings.Contains(r.stderr, `row 10, column "Subject": "visitor"`) {
		t.Errorf("referral import said:\n%s%s", r.stdout, r.stderr)
	}
	run(0, "import", "meetings", write(t, dir, "meetings.csv", e2eMeetings))
	section := func() string {
		return run(0, "return", "--quarter", "2026-27Q2", "--section", "referrals", "--format", "csv").stdout
	}
	// Q2: 002 (patient, MH, concern), 003 (staff, ED, referred), 004
	// (other, concern), 005 (patient, discussed), 006 (patient, MH,
	// referred); meetings on 1 July (attended, last row) and 12 August
	// (attended) and 30 September (not).
	want := e2eReferralHeader + "2026-27Q2,RT1,Test NHS Trust,5,3,1,0,3,1,2,3,2,,\n"
	if got := section(); got != want {
		t.Errorf("referrals section:\n%s\nwant:\n%s", got, want)
	}
	if got := run(0, "return", "--quarter", "2026-27Q2", "--format", "csv").stdout; got != trainingCSV {
		t.Errorf("the training CSV changed with the logs:\n%s\nwas:\n%s", got, trainingCSV)
	}

	t.Run("a reference imported again takes its latest row", func(t *testing.T) {
		r := run(0, "import", "referrals", write(t, dir, "referral log 2026-10.csv", e2eReferralsLater))
		if !strings.Contains(r.stdout, "3 rows read, 1 new, 2 replacing rows held") {
			t.Errorf("second import said %s", r.stdout)
		}
		// 003 now adopted (referred, discussed, adopted); 006 now about
		// staff; 009 a new concern about someone else.
		want := e2eReferralHeader + "2026-27Q2,RT1,Test NHS Trust,6,3,2,1,2,2,2,3,2,,\n"
		if got := section(); got != want {
			t.Errorf("referrals section:\n%s\nwant:\n%s", got, want)
		}
		want = e2eReferralHeader + "2026-27Q3,RT1,Test NHS Trust,1,1,1,1,0,1,0,1,1,,\n"
		if got := run(0, "return", "--quarter", "2026-27Q3", "--section", "referrals", "--format", "csv").stdout; got != want {
			t.Errorf("Q3 referrals section:\n%s\nwant:\n%s", got, want)
		}
	})

	t.Run("suppress_below withholds small counts but not zeros", func(t *testing.T) {
		write(t, dir, "suppress.yaml", strings.Replace(e2eConfig, "return:\n", "return:\n  suppress_below: 3\n", 1))
		r := run(0, "--config", filepath.Join(dir, "suppress.yaml"), "return", "--quarter", "2026-27Q2", "--section", "referrals", "--format", "csv")
		want := e2eReferralHeader + "2026-27Q2,RT1,Test NHS Trust,6,3,*,*,*,*,*,3,*,,\n"
		if r.stdout != want {
			t.Errorf("suppressed section:\n%s\nwant:\n%s", r.stdout, want)
		}
		r = run(0, "--config", filepath.Join(dir, "suppress.yaml"), "return", "--quarter", "2026-27Q3", "--section", "referrals", "--format", "csv")
		if !strings.HasSuffix(r.stdout, ",*,*,*,*,0,*,0,*,*,,\n") {
			t.Errorf("Q3 suppressed: %s", r.stdout)
		}
	})

	t.Run("the workbook and the email carry the section", func(t *testing.T) {
		run(0, "return", "--quarter", "2026-27Q2", "--out", "after.xlsx")
		if got := sheets(t, filepath.Join(dir, "after.xlsx")); !slices.Equal(got, []string{"Cover", "Return", "Chart", "Trend", "Referrals", "Prevent lead"}) {
			t.Errorf("sheets: %v", got)
		}
		f, err := excelize.OpenFile(filepath.Join(dir, "after.xlsx"))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows("Referrals")
		f.Close()
		if len(rows) != 2 || strings.Join(rows[0], ",")+"\n" != e2eReferralHeader || rows[1][3] != "6" {
			t.Errorf("Referrals sheet: %q", rows)
		}
		run(0, "return", "--quarter", "2026-27Q2", "--send")
		mails := readOutbox(t, filepath.Join(dir, "outbox"))
		if len(mails) != 2 {
			t.Fatalf("%d emails, want 2", len(mails))
		}
		for _, m := range mails {
			want := []string{"RT1 Prevent return 2026-27Q2.xlsx", "RT1 Prevent return 2026-27Q2.csv", "RT1 Prevent referrals 2026-27Q2.csv"}
			if !slices.Equal(m.attach, want) {
				t.Errorf("%s attaches %q, want %q", m.file, m.attach, want)
			}
			if !strings.Contains(m.text, "Concerns raised") {
				t.Errorf("%s body lacks the referral counts:\n%s", m.file, m.text)
			}
		}
	})

	t.Run("no case reference leaves the referral log", func(t *testing.T) {
		run(0, "quality")
		run(0, "audit", "--limit", "0")
		run(0, "deliveries")
		for _, name := range []string{"before.xlsx", "after.xlsx"} {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			outputs = append(outputs, unzipped(t, name, b)...)
		}
		emls, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.eml"))
		for _, f := range emls {
			raw, _ := os.ReadFile(f)
			_, parts := decodeEmail(t, f, raw)
			for _, p := range parts {
				outputs = append(outputs, unzipped(t, p.label, p.data)...)
			}
		}
		dbs, _ := filepath.Glob(filepath.Join(dir, "prevent.db*"))
		for _, f := range dbs {
			b, _ := os.ReadFile(f)
			outputs = append(outputs, output{f, b})
		}
		for _, o := range outputs {
			if bytes.Contains(bytes.ToUpper(o.data), []byte("PRV-26")) {
				t.Errorf("%s holds a case reference", o.name)
			}
		}
	})
}

// TestReturnUnchangedWithoutActivity pins compatibility: with no
// prevent_lead and no referral or meetings log, the return email carries
// the two attachments it always has and no word of referrals.
func TestReturnUnchangedWithoutActivity(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", e2eConfig)
	prevent(t, dir, db, "import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", e2eStaff))
	if r := prevent(t, dir, db, "return", "--quarter", "2026-27Q2", "--send"); r.code != 0 {
		t.Fatal(r.stderr)
	}
	for _, m := range readOutbox(t, filepath.Join(dir, "outbox")) {
		if len(m.attach) != 2 || strings.Contains(m.text, "eferral") {
			t.Errorf("%s: attachments %q, body mentions referrals: %v", m.file, m.attach, strings.Contains(m.text, "eferral"))
		}
	}
}

// TestLeadChangeNotice: the first lead is recorded without mail; a change
// is notified once to every return recipient, again only after another
// change; a notice that fails while the mail server is down is sent by the
// next run.
func TestLeadChangeNotice(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	lead := func(name, email string) string {
		return fmt.Sprintf("prevent_lead: {name: %s, email: %s, phone: 0114 271 1900}\n", name, email)
	}
	cfg := func(file, extra string) string { return write(t, dir, file, e2eConfig+extra) }
	amina := cfg("amina.yaml", lead("Dr Amina Patel", "amina.patel@trust.nhs.uk"))
	aminaAgain := cfg("amina-case.yaml", lead("  DR AMINA PATEL ", "Amina.Patel@trust.nhs.uk"))
	tom := cfg("tom.yaml", lead("Tom Okafor", "tom.okafor@trust.nhs.uk"))
	tomDown := cfg("tom-down.yaml", lead("Tom Okafor", "tom.okafor@trust.nhs.uk")+fmt.Sprintf(
		"smtp: {host: 127.0.0.1, port: %d, from: prevent@trust.nhs.uk, tls: none}\n", closedPort(t)))
	sara := cfg("sara.yaml", lead("Sara Iqbal", "sara.iqbal@trust.nhs.uk"))
	outbox := filepath.Join(dir, "outbox")
	notices := func() int { return len(readOutbox(t, outbox)) }
	send := func(config string, want int) run {
		t.Helper()
		r := prevent(t, dir, db, "--config", config, "lead", "--send")
		if r.code != want {
			t.Fatalf("lead --send with %s: exit %d (want %d)\n%s%s", filepath.Base(config), r.code, want, r.stdout, r.stderr)
		}
		return r
	}

	send(amina, 0)
	if n := notices(); n != 0 {
		t.Fatalf("the first lead sent %d notices", n)
	}
	send(aminaAgain, 0)
	if n := notices(); n != 0 {
		t.Fatalf("the same lead in other case and spaces sent %d notices", n)
	}
	r := send(tomDown, 1) // the change is seen while the mail server is down
	if !strings.Contains(r.stderr, "will retry") || notices() != 0 {
		t.Fatalf("a send to a closed port: %s", r.stderr)
	}
	send(tom, 0) // the next run retries it
	mails := readOutbox(t, outbox)
	if len(mails) != 2 {
		t.Fatalf("%d notices after the retry, want one to each of the 2 recipients", len(mails))
	}
	for _, m := range mails {
		if !strings.Contains(m.subject, "Change of Prevent lead") || !strings.Contains(m.text, "Dr Amina Patel") ||
			!strings.Contains(m.text, "Tom Okafor") || !strings.Contains(m.text, "Change seen on") {
			t.Errorf("%s: %s\n%s", m.file, m.subject, m.text)
		}
	}
	send(tom, 0)
	send(tom, 0)
	if n := notices(); n != 2 {
		t.Errorf("%d notices after running again, want still 2", n)
	}
	send(sara, 0)
	if n := notices(); n != 4 {
		t.Errorf("%d notices after a second change, want 4", n)
	}
	show := prevent(t, dir, db, "--config", sara, "lead")
	for _, want := range []string{"Prevent lead:     Sara Iqbal", "first lead recorded (no notice)", "Tom Okafor", "sent to 2"} {
		if !strings.Contains(show.stdout, want) {
			t.Errorf("prevent lead lacks %q:\n%s", want, show.stdout)
		}
	}
}

// TestImportDirLogs: a drop folder's referral and meetings logs are told
// by their header rows; one with a Date of Birth column goes to failed/
// with nothing of it stored.
func TestImportDirLogs(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	drop := filepath.Join(dir, "drop")
	if err := os.MkdirAll(drop, 0o700); err != nil {
		t.Fatal(err)
	}
	write(t, drop, "log.csv", e2eReferrals)
	write(t, drop, "forums.csv", e2eMeetings)
	write(t, drop, "with dob.csv", "Reference,Date,DOB,Outcome\nPRV-26-099,01/07/2026,01/01/1990,concern\n")
	r := prevent(t, dir, db, "import", "dir", drop)
	if r.code != 1 || !strings.Contains(r.stderr, `"DOB"`) {
		t.Errorf("exit %d, stderr %s; want 1 naming the DOB column", r.code, r.stderr)
	}
	for _, f := range []string{"processed/log.csv", "processed/forums.csv", "failed/with dob.csv"} {
		if _, err := os.Stat(filepath.Join(drop, f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
	got := prevent(t, dir, db, "return", "--quarter", "2026-27Q2", "--section", "referrals", "--format", "csv").stdout
	if want := e2eReferralHeader + "2026-27Q2,,,5,3,1,0,3,1,2,3,2,,\n"; got != want {
		t.Errorf("referrals section:\n%s\nwant:\n%s", got, want)
	}
	// The meetings log offered again as a referral log is refused.
	r = prevent(t, dir, db, "import", "referrals", filepath.Join(drop, "processed", "forums.csv"))
	if r.code != 1 || !strings.Contains(r.stderr, "already imported as meetings on ") || !strings.Contains(r.stderr, "not a referral log") {
		t.Errorf("a meetings log imported as referrals: exit %d, %s", r.code, r.stderr)
	}
}
