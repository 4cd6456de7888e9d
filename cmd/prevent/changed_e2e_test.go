package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/returns"
)

// A return sent, then a corrected staff extract for the quarter's date:
// sending again sends nothing and says that the figures changed since they
// were sent, as deliveries does; a resend with a reason quiets both; a
// return whose figures are as sent says nothing.
func TestReturnChangedSinceSent(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", e2eConfig)
	for _, imp := range [][]string{
		{"import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", e2eStaff)},
		{"import", "completions", write(t, dir, "lms.csv", e2eCompletions)},
	} {
		if r := prevent(t, dir, db, imp...); r.code != 0 {
			t.Fatalf("%v: exit %d: %s", imp, r.code, r.stderr)
		}
	}
	const note = "the figures of 2026-27Q2 have changed since its return was sent on"
	send := func(args ...string) run {
		t.Helper()
		r := prevent(t, dir, db, append([]string{"return", "--quarter", "2026-27Q2", "--send"}, args...)...)
		if r.code != 0 {
			t.Fatalf("return --send %v: exit %d: %s", args, r.code, r.stderr)
		}
		return r
	}
	send()
	if r := send(); strings.Contains(r.stderr, note) {
		t.Errorf("sent again on the same data, it says the figures changed: %s", r.stderr)
	}
	if r := prevent(t, dir, db, "deliveries"); r.code != 0 || strings.Contains(r.stderr, note) {
		t.Errorf("deliveries on the same data: exit %d: %s", r.code, r.stderr)
	}

	// The corrected extract for 30 September: Bob the porter has left.
	corrected := strings.Replace(e2eStaff, "Porter;Active Assignment", "Porter;Terminate Assignment", 1)
	if r := prevent(t, dir, db, "import", "staff", "--effective", "2026-09-30", write(t, dir, "esr_staff_2026-09-30 corrected.csv", corrected)); r.code != 0 {
		t.Fatalf("corrected extract: exit %d: %s", r.code, r.stderr)
	}
	r := send()
	if !strings.Contains(r.stderr, note) || !strings.Contains(r.stderr, `prevent return --quarter 2026-27Q2 --send --resend --reason "WHY"`) {
		t.Errorf("sent again after a correction: no note that the figures changed:\n%s%s", r.stdout, r.stderr)
	}
	if strings.Count(r.stdout, "already sent") != 2 {
		t.Errorf("sent again after a correction, it sent:\n%s", r.stdout)
	}
	if r := prevent(t, dir, db, "deliveries"); r.code != 0 || !strings.Contains(r.stderr, note) {
		t.Errorf("deliveries after a correction: exit %d, no note: %s", r.code, r.stderr)
	}

	before := len(readOutbox(t, filepath.Join(dir, "outbox")))
	send("--resend", "--reason", "Bob's leaving date corrected")
	mails := readOutbox(t, filepath.Join(dir, "outbox"))
	if len(mails) != before+2 {
		t.Fatalf("%d emails after the resend, want %d", len(mails), before+2)
	}
	resent := 0
	for _, m := range mails {
		if strings.HasPrefix(m.subject, "Corrected: Prevent quarterly data return 2026-27Q2") &&
			strings.HasPrefix(m.text, "This corrected return replaces the 2026-27Q2 return sent on ") {
			resent++
		}
		if strings.Contains(m.text, "Bob") {
			t.Errorf("%s carries the resend's reason, free text that may name someone", m.file)
		}
	}
	if resent != 2 {
		t.Errorf("%d of the resent returns say they are corrections, want 2", resent)
	}
	if r := send(); strings.Contains(r.stderr, note) {
		t.Errorf("after the resend, it still says the figures changed: %s", r.stderr)
	}
	if r := prevent(t, dir, db, "deliveries"); r.code != 0 || strings.Contains(r.stderr, note) {
		t.Errorf("deliveries after the resend: exit %d: %s", r.code, r.stderr)
	}
}

// A return whose first attempt failed and whose retry went shows no error
// in deliveries: the row is sent, the error was an earlier attempt's.
func TestDeliveriesShowNoErrorOnceSent(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	up := write(t, dir, "prevent.yaml", e2eConfig)
	down := write(t, dir, "down.yaml", e2eConfig+fmt.Sprintf("smtp: {host: 127.0.0.1, port: %d, from: prevent@trust.nhs.uk, tls: none}\n", closedPort(t)))
	if r := prevent(t, dir, db, "import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", e2eStaff)); r.code != 0 {
		t.Fatalf("import: exit %d: %s", r.code, r.stderr)
	}
	if r := prevent(t, dir, db, "--config", down, "return", "--quarter", "2026-27Q2", "--send"); r.code != 1 {
		t.Fatalf("to a closed port: exit %d: %s", r.code, r.stderr)
	}
	r := prevent(t, dir, db, "--config", down, "deliveries")
	if !strings.Contains(r.stdout, "failed") || !strings.Contains(r.stdout, "connect") {
		t.Fatalf("after the failed attempt, deliveries:\n%s", r.stdout)
	}
	if r := prevent(t, dir, db, "--config", up, "return", "--quarter", "2026-27Q2", "--send"); r.code != 0 {
		t.Fatalf("retry: exit %d: %s", r.code, r.stderr)
	}
	r = prevent(t, dir, db, "--config", up, "deliveries")
	if strings.Contains(r.stdout, "failed") || strings.Contains(r.stdout, "connect") || strings.Count(r.stdout, " sent ") != 2 {
		t.Errorf("after the retry went, deliveries:\n%s", r.stdout)
	}
}

// A completions file imported before a course rule counted one of its
// courses: every report says so on stderr, with the command that counts
// them, and quality lists the file; importing it again stores the rows,
// counts them and quiets the note. Under the rules it was imported with
// nothing is said.
func TestReportsSayWhichFilesHoldNewlyCountedCourses(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", "organisation: Test NHS Trust\n")
	later := write(t, dir, "later.yaml", "organisation: Test NHS Trust\ncourses:\n  - {level: basic, match: [\"*Prevent Basic*\", \"*Prevent Awareness*\"]}\n")
	for _, imp := range [][]string{
		{"import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", "Employee Number,Full Name,Organisation,Staff Group\n1,A,Ward,Administrative and Clerical\n2,B,Ward,Administrative and Clerical\n")},
		{"import", "completions", write(t, dir, "lms.csv", "Employee Number,Course,Completion Date\n1,Prevent Basic eLearning,01/02/2025\n2,Preventing Radicalisation - Basic Prevent Awareness,01/02/2025\n")},
	} {
		if r := prevent(t, dir, db, imp...); r.code != 0 {
			t.Fatalf("%v: exit %d: %s", imp, r.code, r.stderr)
		}
	}
	const note = `lms.csv, imported `
	const advice = `holds completions counted then but not stored, which count for nobody: import it again to count them (prevent import completions "lms.csv", from the folder it was imported from; import dir keeps the files it took in processed/)`
	for _, args := range [][]string{{"status", "--as-of", "2026-09-30"}, {"summary", "--as-of", "2026-09-30"}, {"return", "--quarter", "2026-27Q2", "--format", "csv"}} {
		if r := prevent(t, dir, db, args...); r.code != 0 || strings.Contains(r.stderr, note) {
			t.Errorf("%v under the rules of the import: exit %d, %s", args, r.code, r.stderr)
		}
		r := prevent(t, dir, db, append([]string{"--config", later}, args...)...)
		if r.code != 0 || !strings.Contains(r.stderr, note) || !strings.Contains(r.stderr, `"Prevent Basic eLearning" (1 row)`) || !strings.Contains(r.stderr, advice) {
			t.Errorf("%v under the new rule: exit %d, stderr %s", args, r.code, r.stderr)
		}
	}
	if r := prevent(t, dir, db, "--config", later, "quality"); !strings.Contains(r.stdout, "Files with completions of courses the rules now count, not stored when imported: 1\n") {
		t.Errorf("quality:\n%s", r.stdout)
	}
	if r := prevent(t, dir, db, "--config", later, "import", "completions", filepath.Join(dir, "lms.csv")); r.code != 0 {
		t.Fatalf("import again: exit %d: %s", r.code, r.stderr)
	}
	r := prevent(t, dir, db, "--config", later, "status", "--as-of", "2026-09-30", "--format", "csv")
	if strings.Contains(r.stderr, note) || !strings.Contains(r.stdout, "1,A,Ward,basic,compliant,2025-02-01,2028-02-01") {
		t.Errorf("after importing it again:\n%s%s", r.stdout, r.stderr)
	}
}

// A quarter that has not ended is not sent: a return sent now would be a
// projection and the quarter's one send. Nothing is queued.
func TestReturnOfAQuarterNotEndedIsNotSent(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", e2eConfig)
	if r := prevent(t, dir, db, "import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", e2eStaff)); r.code != 0 {
		t.Fatalf("import: exit %d: %s", r.code, r.stderr)
	}
	q := returns.QuarterOf(time.Now()).String() // the quarter running now
	for _, args := range [][]string{{"--send"}, {"--resend", "--reason", "early"}} {
		r := prevent(t, dir, db, append([]string{"return", "--quarter", q}, args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, q+" has not ended") {
			t.Errorf("return --quarter %s %v: exit %d, %s", q, args, r.code, r.stderr)
		}
	}
	if r := prevent(t, dir, db, "deliveries"); !strings.Contains(r.stdout, "no deliveries yet") {
		t.Errorf("deliveries after the refusals:\n%s", r.stdout)
	}
	if r := prevent(t, dir, db, "return", "--quarter", q, "--format", "csv"); r.code != 0 {
		t.Errorf("the figures so far without --send: exit %d: %s", r.code, r.stderr)
	}
}

// LMS exports are cumulative: when a later export, imported under the new
// rule, stores the course's rows, the earlier file is not reported as
// holding rows that count for nobody.
func TestNoUnstoredNoteOnceALaterExportStoredTheCourse(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	write(t, dir, "prevent.yaml", "organisation: Test NHS Trust\n")
	later := write(t, dir, "later.yaml", "organisation: Test NHS Trust\ncourses:\n  - {level: basic, match: [\"*Prevent Basic*\"]}\n")
	rows := "Employee Number,Course,Completion Date\n1,Prevent Basic eLearning,01/02/2025\n"
	for _, imp := range [][]string{
		{"import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", "Employee Number,Full Name,Organisation,Staff Group\n1,A,Ward,Administrative and Clerical\n")},
		{"import", "completions", write(t, dir, "lms_oct.csv", rows)},
		{"--config", later, "import", "completions", write(t, dir, "lms_nov.csv", rows+"1,Fire Safety,01/03/2025\n")},
	} {
		if r := prevent(t, dir, db, imp...); r.code != 0 {
			t.Fatalf("%v: exit %d: %s", imp, r.code, r.stderr)
		}
	}
	r := prevent(t, dir, db, "--config", later, "status", "--as-of", "2026-09-30", "--format", "csv")
	if strings.Contains(r.stderr, "lms_oct.csv") || !strings.Contains(r.stdout, "1,A,Ward,basic,compliant") {
		t.Errorf("after the later export stored the course:\n%s%s", r.stdout, r.stderr)
	}
}

// noteStep is a command and whether it says the figures changed since sent.
type noteStep struct {
	args []string
	note bool
}

// recipientSteps runs steps on a database of its own holding the e2e
// staff extract for 30 September 2026, given the configs naming one
// recipient and two, and the file of the extract corrected (Bob the porter
// has left).
func recipientSteps(t *testing.T, steps func(one, two, corrected string) []noteStep) {
	t.Helper()
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "prevent.db")
	one := write(t, dir, "one.yaml", strings.Replace(e2eConfig, `recipients: ["commissioner@icb.nhs.net", "second@icb.nhs.net"]`, `recipients: ["commissioner@icb.nhs.net"]`, 1))
	two := write(t, dir, "two.yaml", e2eConfig)
	corrected := write(t, dir, "corrected.csv", strings.Replace(e2eStaff, "Porter;Active Assignment", "Porter;Terminate Assignment", 1))
	if r := prevent(t, dir, db, "import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", e2eStaff)); r.code != 0 {
		t.Fatalf("import: exit %d: %s", r.code, r.stderr)
	}
	const note = "the figures of 2026-27Q2 have changed since its return was sent"
	for _, step := range steps(one, two, corrected) {
		r := prevent(t, dir, db, step.args...)
		if r.code != 0 || strings.Contains(r.stderr, note) != step.note {
			t.Errorf("%v: exit %d, note %v wanted %v:\n%s%s", step.args, r.code, !step.note, step.note, r.stdout, r.stderr)
		}
	}
}

// A recipient added after the figures changed is sent the figures of now,
// but the first recipient still holds the earlier ones: the note stays
// until the corrected return goes to every recipient.
func TestChangedSinceSentPerRecipient(t *testing.T) {
	recipientSteps(t, func(one, two, corrected string) []noteStep {
		return []noteStep{
			{[]string{"--config", one, "return", "--quarter", "2026-27Q2", "--send"}, false},
			{[]string{"import", "staff", "--effective", "2026-09-30", corrected}, false},
			{[]string{"--config", two, "return", "--quarter", "2026-27Q2", "--send"}, false}, // sends to the second only
			{[]string{"--config", two, "deliveries"}, true},
			{[]string{"--config", two, "return", "--quarter", "2026-27Q2", "--resend", "--reason", "corrected"}, false},
			{[]string{"--config", two, "deliveries"}, false},
		}
	})
}

// An address taken off return.recipients holds the figures it was sent,
// but is no longer asked about: a corrected return sent to the recipients
// configured now quiets the note.
func TestChangedSinceSentAsksTheRecipientsConfigured(t *testing.T) {
	recipientSteps(t, func(one, two, corrected string) []noteStep {
		return []noteStep{
			{[]string{"--config", two, "return", "--quarter", "2026-27Q2", "--send"}, false},
			{[]string{"import", "staff", "--effective", "2026-09-30", corrected}, false},
			{[]string{"--config", one, "deliveries"}, true},
			{[]string{"--config", one, "return", "--quarter", "2026-27Q2", "--resend", "--reason", "corrected"}, false},
			{[]string{"--config", one, "deliveries"}, false},
			{[]string{"--config", two, "deliveries"}, true}, // second@ still holds the first figures
		}
	})
}
