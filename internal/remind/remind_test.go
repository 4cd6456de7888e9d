package remind_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/remind"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var (
	ctx  = context.Background()
	date = compliance.Date
)

// oct1 is the first reminder run: 1 October 2026.
var oct1 = date(2026, 10, 1)

const (
	leadAll = "prevent.lead@trust.nhs.uk"
	leadMH  = "mh.lead@trust.nhs.uk"
	boss1   = "boss1@trust.nhs.uk"
	boss2   = "boss2@trust.nhs.uk"

	level3Course = "NHS|MAND|Prevent Level 3 - 3 Years|"
	basicCourse  = "Preventing Radicalisation - Basic Prevent Awareness"
)

// The workforce on 1 October 2026 (due soon = within 90 days):
//
//	1001 Amy  Acute Medicine           level3  due 2026-06-01  expired      boss1
//	1002 Ben  Mental Health Services   basic   -               never        boss1
//	1003 Cat  Mental Health Services   basic   due 2026-11-15  due soon     boss2
//	1004 Dee  Acute Medicine           basic   due 2028-01-01  compliant    boss2
//	1005 Eve  Estates                  basic   due 2026-10-05  due soon     -
//	1006 Gus  Estates                  basic   -               never, no email
var staff = []compliance.Assignment{
	{EmployeeNumber: "1001", Name: "Amy Nurse", Organisation: "Acute Medicine", StaffGroup: "Nursing and Midwifery Registered", JobRole: "Staff Nurse", Email: "amy@trust.nhs.uk", ManagerEmail: boss1, Primary: true},
	{EmployeeNumber: "1002", Name: "Ben Porter", Organisation: "Mental Health Services", StaffGroup: "Estates and Ancillary", JobRole: "Porter", Email: "ben@trust.nhs.uk", ManagerEmail: boss1, Primary: true},
	{EmployeeNumber: "1003", Name: "Cat Clerk", Organisation: "Mental Health Services", StaffGroup: "Administrative and Clerical", JobRole: "Receptionist", Email: "cat@trust.nhs.uk", ManagerEmail: boss2, Primary: true},
	{EmployeeNumber: "1004", Name: "Dee Admin", Organisation: "Acute Medicine", StaffGroup: "Administrative and Clerical", JobRole: "Secretary", Email: "dee@trust.nhs.uk", ManagerEmail: boss2, Primary: true},
	{EmployeeNumber: "1005", Name: "Eve Estates", Organisation: "Estates", StaffGroup: "Estates and Ancillary", JobRole: "Gardener", Email: "eve@trust.nhs.uk", Primary: true},
	{EmployeeNumber: "1006", Name: "Gus Guard", Organisation: "Estates", StaffGroup: "Estates and Ancillary", JobRole: "Security", Primary: true},
}

var completions = []compliance.Completion{
	{EmployeeNumber: "1001", Course: level3Course, CompletedOn: date(2023, 6, 1)},
	{EmployeeNumber: "1003", Course: basicCourse, CompletedOn: date(2023, 11, 15)},
	{EmployeeNumber: "1004", Course: basicCourse, CompletedOn: date(2025, 1, 1)},
	{EmployeeNumber: "1005", Course: basicCourse, CompletedOn: date(2023, 10, 5)},
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// seed imports the staff extract effective 30 September 2026 and the
// completions.
func seed(t *testing.T, s *store.Store) {
	t.Helper()
	tx, err := s.BeginStaffImport(ctx, store.Import{FileName: "staff.csv", SHA256: hashOf("staff"), EffectiveDate: date(2026, 9, 30)})
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range staff {
		a.Row = i + 2
		a.AssignmentNumber = a.EmployeeNumber + "-1"
		if err := tx.Add(a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Commit(len(staff), 0, nil); err != nil {
		t.Fatal(err)
	}
	addCompletions(t, s, "lms.csv", completions...)
}

func addCompletions(t *testing.T, s *store.Store, file string, list ...compliance.Completion) {
	t.Helper()
	tx, err := s.BeginCompletionImport(ctx, store.Import{FileName: file, SHA256: hashOf(file)})
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range list {
		if _, err := tx.Add(c, i+2); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Commit(len(list), 0, nil); err != nil {
		t.Fatal(err)
	}
}

// configWith is the test trust's config with the reminders given.
func configWith(r config.Reminders) *config.Config {
	c := config.Default()
	c.Organisation, c.ODSCode = "Test NHS Trust", "RT1"
	c.Requirements = []config.RequirementRule{{Level: "level3", Match: map[string][]string{"staff_group": {"Nursing and Midwifery Registered"}}}}
	c.Courses[1].Link = "https://learning.example.nhs.net/prevent-level-3"
	c.Courses[2].Link = "https://learning.example.nhs.net/prevent-awareness"
	c.Reminders = r
	if err := c.Validate(); err != nil {
		panic(err)
	}
	return c
}

var leads = config.Reminders{Leads: []config.Lead{
	{Email: leadAll, Organisation: "*"},
	{Email: leadMH, Organisation: "*mental health*"},
}}

// sender keeps what it is asked to send, failing on demand.
type sender struct {
	delay time.Duration

	mu     sync.Mutex
	failTo map[string]bool
	sent   []*mail.Message
}

func (r *sender) Send(ctx context.Context, m *mail.Message) error {
	r.mu.Lock()
	fail := r.failTo[m.To[0]]
	r.mu.Unlock()
	if fail {
		return &mail.SendError{Temporary: true, Err: errors.New("421 4.3.2 try again later")}
	}
	time.Sleep(r.delay)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sent = append(r.sent, m)
	return nil
}

func (r *sender) Describe() string { return "test sender" }

func (r *sender) Sent() []*mail.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.sent)
}

// take returns the messages sent since the last take.
func (r *sender) take() []*mail.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.sent
	r.sent = nil
	return out
}

var employeeNumber = regexp.MustCompile(`\(employee number (\d+)\)`)

// listed is "recipient: employee numbers in list order" per message.
func listed(msgs []*mail.Message) []string {
	var out []string
	for _, m := range msgs {
		var nums []string
		for _, sm := range employeeNumber.FindAllStringSubmatch(m.Text, -1) {
			nums = append(nums, sm[1])
		}
		out = append(out, m.To[0]+": "+strings.Join(nums, " "))
	}
	sort.Strings(out)
	return out
}

func clockAt(day time.Time) func() time.Time {
	return func() time.Time { return day.Add(7 * time.Hour) }
}

func run(t *testing.T, s *store.Store, cfg *config.Config, snd mail.Sender, asOf time.Time, send bool) *remind.Report {
	t.Helper()
	rep, err := remind.Run(ctx, s, cfg, snd, asOf, send, delivery.Options{Now: clockAt(asOf)})
	if err != nil {
		t.Fatalf("Run(%s, send=%v): %v", asOf.Format(time.DateOnly), send, err)
	}
	return rep
}

// planned is "audience recipient: employee numbers" per message of a report.
func planned(rep *remind.Report) []string {
	var out []string
	for _, m := range rep.Messages {
		var nums []string
		for _, e := range m.Entries {
			nums = append(nums, e.EmployeeNumber)
		}
		line := fmt.Sprintf("%s %s: %s", m.Audience, m.Recipient, strings.Join(nums, " "))
		if m.Audience == remind.Staff {
			line += " (" + m.Point + ")"
		}
		out = append(out, line)
	}
	sort.Strings(out)
	return out
}

func same(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\n got %q\nwant %q", what, got, want)
	}
}

func TestLeadLists(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		seed(t, s)
		cfg := configWith(leads)
		snd := &sender{}
		t.Run("each lead gets the people their organisation pattern covers, expired then never then due soon", func(t *testing.T) {
			rep := run(t, s, cfg, nil, oct1, false)
			same(t, "planned", planned(rep), []string{
				"lead " + leadMH + ": 1002 1003",
				"lead " + leadAll + ": 1001 1002 1006 1005 1003",
			})
		})
		rep := run(t, s, cfg, snd, oct1, true)
		sent := snd.Sent()
		t.Run("sending mails one message per lead with the same lists", func(t *testing.T) {
			same(t, "sent", listed(sent), []string{
				leadMH + ": 1002 1003",
				leadAll + ": 1001 1002 1006 1005 1003",
			})
			for _, m := range rep.Messages {
				if m.Outcome == nil || m.Outcome.Status != delivery.StatusSent || m.Retry {
					t.Errorf("%s: outcome %+v, retry %v", m.Recipient, m.Outcome, m.Retry)
				}
			}
		})
		var all *mail.Message
		for _, m := range sent {
			if m.To[0] == leadAll {
				all = m
			}
		}
		if all == nil {
			t.Fatal("no message to " + leadAll)
		}
		t.Run("the message names role, requirement, dates and the course to book with its link", func(t *testing.T) {
			for _, want := range []string{
				"EXPIRED (1)", "NEVER TRAINED (2)", "DUE SOON (2)",
				"Amy Nurse (employee number 1001)", "Acute Medicine, Staff Nurse", "Requirement: Level 3 Prevent",
				"Last completed 1 June 2023; due 1 June 2026",
				"Book: Prevent Level 3 - https://learning.example.nhs.net/prevent-level-3",
				"Book: Prevent Awareness - https://learning.example.nhs.net/prevent-awareness",
				"No Prevent training on record",
			} {
				if !strings.Contains(all.Text, want) {
					t.Errorf("text lacks %q:\n%s", want, all.Text)
				}
			}
			if e, n, d := strings.Index(all.Text, "EXPIRED"), strings.Index(all.Text, "NEVER TRAINED"), strings.Index(all.Text, "DUE SOON"); !(e < n && n < d) {
				t.Errorf("groups out of order:\n%s", all.Text)
			}
			if !strings.Contains(all.HTML, `<a href="https://learning.example.nhs.net/prevent-level-3">Prevent Level 3</a>`) {
				t.Errorf("HTML has no course link:\n%s", all.HTML)
			}
			if all.Subject != "Prevent training: 5 people to book (1 expired, 2 never trained, 2 due soon)" {
				t.Errorf("subject %q", all.Subject)
			}
		})
		t.Run("the same list is attached as a workbook", func(t *testing.T) {
			if len(all.Attachments) != 1 || all.Attachments[0].Name != "Prevent reminders 2026-10-01.xlsx" {
				t.Fatalf("attachments %+v", all.Attachments)
			}
			rows := sheetRows(t, all.Attachments[0].Data)
			if !slices.Equal(rows[0], remind.XLSXColumns) || len(rows) != 6 {
				t.Fatalf("rows %q", rows)
			}
			want := []string{"Expired", "1001", "Amy Nurse", "Acute Medicine", "Staff Nurse", "Level 3 Prevent",
				"2023-06-01", "2026-06-01", "Prevent Level 3", "https://learning.example.nhs.net/prevent-level-3"}
			if !slices.Equal(rows[1], want) {
				t.Errorf("row 2 %q\nwant  %q", rows[1], want)
			}
		})
	})
}

func sheetRows(t *testing.T, data []byte) [][]string {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(f.GetSheetList()[0])
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func TestWorkbookCellsAreText(t *testing.T) {
	t.Run("a value that looks like a formula is written as text", func(t *testing.T) {
		evil := `=HYPERLINK("http://evil.example","click")`
		var b bytes.Buffer
		err := remind.WriteXLSX(&b, oct1, []remind.Entry{{EmployeeNumber: "1", Name: evil, Organisation: "+1", JobRole: "@SUM(A1)", Status: compliance.Never}})
		if err != nil {
			t.Fatal(err)
		}
		f, err := excelize.OpenReader(&b)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		sheet := f.GetSheetList()[0]
		for _, cell := range []string{"C2", "D2", "E2"} {
			if formula, _ := f.GetCellFormula(sheet, cell); formula != "" {
				t.Errorf("%s holds formula %q", cell, formula)
			}
		}
		// The text is kept (perhaps neutralised with a leading apostrophe
		// for when it is copied out of the workbook).
		if v, _ := f.GetCellValue(sheet, "C2"); !strings.HasSuffix(v, evil) {
			t.Errorf("C2 = %q", v)
		}
	})
}

func TestOncePerLapse(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		seed(t, s)
		cfg := configWith(leads)
		snd := &sender{}
		run(t, s, cfg, snd, oct1, true)
		snd.take()
		steps := []struct {
			name string
			asOf time.Time
			add  []compliance.Completion // imported before the run
			want []string
		}{
			{name: "running again the same day mails nothing", asOf: oct1},
			{
				// Eve has expired and Cat is still due soon, on the same due
				// dates as before: no news for the leads.
				name: "the same lapse is not re-mailed next month",
				asOf: date(2026, 11, 1),
			},
			{
				name: "a renewed completion that lapses later is mailed again",
				asOf: date(2029, 11, 1),
				add:  []compliance.Completion{{EmployeeNumber: "1001", Course: level3Course, CompletedOn: date(2026, 10, 10)}},
				// Amy renewed (due 2029-10-10) and lapsed again; Dee's first
				// lapse (due 2028-01-01) is new too. Cat and Eve never
				// renewed: nothing new about them.
				want: []string{leadAll + ": 1004 1001"},
			},
			{name: "and only once", asOf: date(2029, 12, 1)},
		}
		for i, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				if len(st.add) > 0 {
					addCompletions(t, s, fmt.Sprintf("renewals%d.csv", i), st.add...)
				}
				rep := run(t, s, cfg, snd, st.asOf, true)
				same(t, "sent", listed(snd.take()), st.want)
				if len(rep.Failed()) > 0 {
					t.Errorf("failed: %+v", rep.Failed())
				}
			})
		}
	})
}

func TestConcurrentSends(t *testing.T) {
	t.Run("two runs sending at once mail each person once", func(t *testing.T) {
		storetest.ForEachDSN(t, func(t *testing.T, dsn string) {
			stores := []*store.Store{storetest.Open(t, dsn), storetest.Open(t, dsn)}
			seed(t, stores[0])
			cfg := configWith(config.Reminders{Leads: leads.Leads, Managers: true, Staff: []int{90, 30, 7}})
			snd := &sender{delay: 20 * time.Millisecond}
			errs := make([]error, len(stores))
			var wg sync.WaitGroup
			for i, s := range stores {
				wg.Go(func() {
					_, errs[i] = remind.Run(ctx, s, cfg, snd, oct1, true, delivery.Options{Now: clockAt(oct1)})
				})
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			perRecipient := map[string]int{}
			for _, m := range snd.Sent() {
				perRecipient[m.To[0]]++
			}
			want := map[string]int{leadAll: 1, leadMH: 1, boss1: 1, boss2: 1,
				"amy@trust.nhs.uk": 1, "ben@trust.nhs.uk": 1, "cat@trust.nhs.uk": 1, "eve@trust.nhs.uk": 1}
			if fmt.Sprint(perRecipient) != fmt.Sprint(want) {
				t.Errorf("messages per recipient %v\nwant %v", perRecipient, want)
			}
			var lists []*mail.Message
			for _, m := range snd.Sent() {
				if !strings.HasPrefix(m.Subject, "Your") && !strings.HasPrefix(m.Subject, "Please") {
					lists = append(lists, m)
				}
			}
			same(t, "lists", listed(lists), []string{
				boss1 + ": 1001 1002",
				boss2 + ": 1003",
				leadMH + ": 1002 1003",
				leadAll + ": 1001 1002 1006 1005 1003",
			})
		})
	})
}

func TestFailedSendRetried(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		seed(t, s)
		cfg := configWith(leads)
		snd := &sender{failTo: map[string]bool{leadAll: true}}
		rep := run(t, s, cfg, snd, oct1, true)
		t.Run("a failed send is reported and the other lead still gets theirs", func(t *testing.T) {
			failed := rep.Failed()
			if len(failed) != 1 || failed[0].Recipient != leadAll || failed[0].Outcome.Err == nil {
				t.Fatalf("failed %+v", failed)
			}
			same(t, "sent", listed(snd.take()), []string{leadMH + ": 1002 1003"})
		})
		t.Run("a dry run lists it as a retry and changes nothing", func(t *testing.T) {
			before := deliveries(t, s)
			rep := run(t, s, cfg, nil, date(2026, 10, 2), false)
			if len(rep.Messages) != 1 || !rep.Messages[0].Retry || rep.Messages[0].Recipient != leadAll {
				t.Errorf("planned %q", planned(rep))
			}
			if after := deliveries(t, s); after != before {
				t.Errorf("deliveries changed:\n%s\n%s", before, after)
			}
		})
		snd.failTo = nil
		rep = run(t, s, cfg, snd, date(2026, 10, 2), true)
		t.Run("the next run sends it with the same people, as of the first run", func(t *testing.T) {
			same(t, "sent", listed(snd.take()), []string{leadAll + ": 1001 1002 1006 1005 1003"})
			if len(rep.Messages) != 1 || !rep.Messages[0].Retry || !rep.Messages[0].AsOf.Equal(oct1) ||
				rep.Messages[0].Outcome.Status != delivery.StatusSent || rep.Messages[0].Outcome.Attempts != 2 {
				t.Errorf("report %+v", rep.Messages)
			}
		})
		t.Run("and never again", func(t *testing.T) {
			run(t, s, cfg, snd, date(2026, 10, 3), true)
			same(t, "sent", listed(snd.take()), nil)
		})
	})
}

// deliveries describes every delivery row.
func deliveries(t *testing.T, s *store.Store) string {
	t.Helper()
	ds, err := s.Deliveries(ctx, store.ReminderKind, "")
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for _, d := range ds {
		fmt.Fprintf(&b, "%s %s %s %d\n", d.Key, d.Recipient, d.Status, d.Attempts)
	}
	return b.String()
}

func TestManagerCopies(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		seed(t, s)
		cfg := configWith(config.Reminders{Managers: true})
		snd := &sender{}
		run(t, s, cfg, snd, oct1, true)
		sent := snd.take()
		t.Run("each line manager gets their own reports who need training, and no lead list goes out", func(t *testing.T) {
			// Dee (boss2) is compliant; Eve and Gus have no manager.
			same(t, "sent", listed(sent), []string{boss1 + ": 1001 1002", boss2 + ": 1003"})
			for _, m := range sent {
				if !strings.HasPrefix(m.Subject, "Prevent training for your team:") || !regexp.MustCompile(`who reports? to you needs? to book Prevent training`).MatchString(m.Text) {
					t.Errorf("%s: subject %q\n%s", m.To[0], m.Subject, m.Text)
				}
			}
		})
		t.Run("a manager is not told twice about the same lapse", func(t *testing.T) {
			run(t, s, cfg, snd, date(2026, 11, 1), true)
			same(t, "sent", listed(snd.take()), nil)
		})
	})
}

func TestStaffPoints(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		seed(t, s)
		cfg := configWith(config.Reminders{Staff: []int{7, 90, 30}})
		snd := &sender{}
		steps := []struct {
			name string
			asOf time.Time
			want []string // recipient subject
		}{
			{
				name: "each person gets the furthest point reached only: Eve, 4 days from due, gets the 7-day reminder alone",
				asOf: oct1,
				want: []string{
					"amy@trust.nhs.uk: Your Prevent training expired on 1 June 2026",
					"ben@trust.nhs.uk: Please complete your Prevent training",
					"cat@trust.nhs.uk: Your Prevent training is due for renewal on 15 November 2026",
					"eve@trust.nhs.uk: Your Prevent training is due for renewal on 5 October 2026",
				},
			},
			{name: "a point is sent once", asOf: date(2026, 10, 2)},
			{
				name: "the next point reached is sent, and expiry after the due date",
				asOf: date(2026, 10, 20), // Cat 26 days from due; Eve expired
				want: []string{
					"cat@trust.nhs.uk: Your Prevent training is due for renewal on 15 November 2026",
					"eve@trust.nhs.uk: Your Prevent training expired on 5 October 2026",
				},
			},
			{name: "nothing between points", asOf: date(2026, 11, 1)},
			{
				name: "the 7-day point",
				asOf: date(2026, 11, 10),
				want: []string{"cat@trust.nhs.uk: Your Prevent training is due for renewal on 15 November 2026"},
			},
			{
				name: "expiry",
				asOf: date(2026, 11, 16),
				want: []string{"cat@trust.nhs.uk: Your Prevent training expired on 15 November 2026"},
			},
			{name: "then nothing more for this due date", asOf: date(2027, 3, 1)},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				rep := run(t, s, cfg, snd, st.asOf, true)
				var got []string
				for _, m := range snd.take() {
					got = append(got, m.To[0]+": "+m.Subject)
				}
				sort.Strings(got)
				same(t, "sent", got, st.want)
				if rep.WithoutEmail != 1 {
					t.Errorf("%d people without an email, want 1 (Gus)", rep.WithoutEmail)
				}
			})
		}
		t.Run("the points skipped are recorded as passed, not sent", func(t *testing.T) {
			held, err := s.ReminderNotices(ctx, []string{"eve@trust.nhs.uk", "cat@trust.nhs.uk"})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range held {
				sent := "sent"
				if n.DeliveryKey == "" {
					sent = "passed"
				}
				got = append(got, fmt.Sprintf("%s %s %s %s", strings.TrimSuffix(n.Recipient, "@trust.nhs.uk"), n.DueKey, n.Point, sent))
			}
			same(t, "notices", got, []string{
				"cat 2026-11-15 before-30 sent",
				"cat 2026-11-15 before-7 sent",
				"cat 2026-11-15 before-90 sent",
				"cat 2026-11-15 expired sent",
				"eve 2026-10-05 before-30 passed",
				"eve 2026-10-05 before-7 sent",
				"eve 2026-10-05 before-90 passed",
				"eve 2026-10-05 expired sent",
			})
		})
	})
}

func TestDryRun(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		seed(t, s)
		cfg := configWith(config.Reminders{Leads: leads.Leads, Managers: true, Staff: []int{90, 30, 7}})
		t.Run("a dry run lists every message and writes nothing", func(t *testing.T) {
			rep := run(t, s, cfg, nil, oct1, false)
			same(t, "planned", planned(rep), []string{
				"lead " + leadMH + ": 1002 1003",
				"lead " + leadAll + ": 1001 1002 1006 1005 1003",
				"manager " + boss1 + ": 1001 1002",
				"manager " + boss2 + ": 1003",
				"staff amy@trust.nhs.uk: 1001 (expired)",
				"staff ben@trust.nhs.uk: 1002 (never)",
				"staff cat@trust.nhs.uk: 1003 (before-90)",
				"staff eve@trust.nhs.uk: 1005 (before-7)",
			})
			for _, m := range rep.Messages {
				if m.Outcome != nil || m.DeliveryKey != "" {
					t.Errorf("a dry run message has outcome %+v, key %q", m.Outcome, m.DeliveryKey)
				}
			}
			for _, table := range []string{"reminder_notices", "deliveries"} {
				var n int
				if err := s.DB().Get(&n, "SELECT count(*) FROM "+table); err != nil {
					t.Fatal(err)
				}
				if n != 0 {
					t.Errorf("%s has %d rows after a dry run", table, n)
				}
			}
		})
		t.Run("after a send, a dry run shows only what is new", func(t *testing.T) {
			run(t, s, cfg, &sender{}, oct1, true)
			rep := run(t, s, cfg, nil, date(2026, 10, 20), false)
			same(t, "planned", planned(rep), []string{
				"staff cat@trust.nhs.uk: 1003 (before-30)",
				"staff eve@trust.nhs.uk: 1005 (expired)",
			})
		})
	})
}

func TestNotConfigured(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		t.Run("with no leads, managers or staff reminders nothing is looked at", func(t *testing.T) {
			// No staff snapshot either: that would be an error if looked for.
			rep, err := remind.Run(ctx, s, configWith(config.Reminders{}), &sender{}, oct1, true, delivery.Options{})
			if err != nil || rep.Configured || len(rep.Messages) != 0 {
				t.Errorf("report %+v, error %v", rep, err)
			}
		})
		t.Run("with reminders configured and no staff snapshot the error says so", func(t *testing.T) {
			_, err := remind.Run(ctx, s, configWith(leads), nil, oct1, false, delivery.Options{})
			if err == nil || !strings.Contains(err.Error(), "no staff snapshot on or before 2026-10-01") {
				t.Errorf("error %v", err)
			}
		})
	})
}

func TestStaleRecipients(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		seed(t, s)
		snd := &sender{failTo: map[string]bool{leadAll: true}}
		run(t, s, configWith(leads), snd, oct1, true)
		snd.take()
		snd.failTo = nil
		t.Run("a failed message to a lead taken out of the config is not retried", func(t *testing.T) {
			cfg := configWith(config.Reminders{Leads: leads.Leads[1:]})
			rep := run(t, s, cfg, snd, date(2026, 10, 2), true)
			same(t, "sent", listed(snd.take()), nil)
			if rep.Stale != 1 {
				t.Errorf("stale %d, want 1", rep.Stale)
			}
		})
		t.Run("and is sent when the lead is back", func(t *testing.T) {
			run(t, s, configWith(leads), snd, date(2026, 10, 3), true)
			same(t, "sent", listed(snd.take()), []string{leadAll + ": 1001 1002 1006 1005 1003"})
		})
	})
}
