package scheduler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

func at(month time.Month, day, hour int) time.Time {
	return time.Date(2026, month, day, hour, 0, 0, 0, time.UTC)
}

// fakeTime is the time shared by the schedulers of a test. Each scheduler
// gets a view of its own; a scheduler is asleep when its view has a timer
// pending, and the test moves time on only when every scheduler is
// asleep, so each step is deterministic.
type fakeTime struct {
	mu    sync.Mutex
	now   time.Time
	views map[*clockView]bool
}

func newFakeTime(now time.Time) *fakeTime {
	return &fakeTime{now: now, views: map[*clockView]bool{}}
}

// clockView is one scheduler's Clock: at most one timer pending, as a
// scheduler waits on one thing at a time.
type clockView struct {
	ft      *fakeTime
	at      time.Time
	ch      chan time.Time
	pending bool
}

func (ft *fakeTime) view() *clockView {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	v := &clockView{ft: ft}
	ft.views[v] = true
	return v
}

func (ft *fakeTime) drop(v *clockView) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	delete(ft.views, v)
}

func (ft *fakeTime) Now() time.Time {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	return ft.now
}

func (v *clockView) Now() time.Time { return v.ft.Now() }

func (v *clockView) After(d time.Duration) <-chan time.Time {
	v.ft.mu.Lock()
	defer v.ft.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- v.ft.now
		return ch
	}
	v.at, v.ch, v.pending = v.ft.now.Add(d), ch, true
	return ch
}

// waitAsleep waits until every scheduler is asleep and returns when the
// first will wake.
func (ft *fakeTime) waitAsleep(t *testing.T) time.Time {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ft.mu.Lock()
		var first time.Time
		asleep := len(ft.views) > 0
		for v := range ft.views {
			if !v.pending {
				asleep = false
				break
			}
			if first.IsZero() || v.at.Before(first) {
				first = v.at
			}
		}
		ft.mu.Unlock()
		if asleep {
			return first
		}
		if time.Now().After(deadline) {
			t.Fatalf("the schedulers did not go to sleep (fake time %s)", ft.Now().Format(time.RFC3339))
		}
		time.Sleep(100 * time.Microsecond)
	}
}

// set moves time to now, waking every scheduler whose timer is due.
func (ft *fakeTime) set(now time.Time) {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	ft.now = now
	for v := range ft.views {
		if v.pending && !v.at.After(now) {
			v.ch <- v.at
			v.pending = false
		}
	}
}

// event is something the test does at a moment of fake time, such as
// dropping a file.
type event struct {
	at time.Time
	do func()
}

// runUntil moves time on, wake-up by wake-up, doing each event at its
// time while the schedulers sleep, until the next wake-up is after end.
// check, when given, runs at every step.
func (ft *fakeTime) runUntil(t *testing.T, end time.Time, events []event, check func()) {
	t.Helper()
	for {
		wake := ft.waitAsleep(t)
		if check != nil {
			check()
		}
		if len(events) > 0 && !events[0].at.After(wake) {
			events[0].do()
			ft.set(events[0].at)
			events = events[1:]
			continue
		}
		if wake.After(end) {
			ft.set(end)
			return
		}
		ft.set(wake)
	}
}

// sentMail is one message a recorder was given.
type sentMail struct {
	At       time.Time
	To       string
	Subject  string
	Delivery string // the X-Prevent-Delivery header: kind/key/generation
	Text     string
}

// recorder is a mail.Sender that keeps what it is given, as one SMTP
// server shared by every scheduler of a test would.
type recorder struct {
	mu      sync.Mutex
	now     func() time.Time
	sent    []sentMail
	failing bool
}

func (r *recorder) Send(ctx context.Context, m *mail.Message) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.failing {
		return &mail.SendError{Temporary: true, Err: errors.New("451 the mail server is unavailable")}
	}
	r.sent = append(r.sent, sentMail{At: r.now(), To: strings.Join(m.To, ","), Subject: m.Subject, Delivery: m.Headers[delivery.Header], Text: m.Text})
	return nil
}

func (r *recorder) Describe() string { return "recorder" }

func (r *recorder) setFailing(f bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failing = f
}

func (r *recorder) all() []sentMail {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sentMail(nil), r.sent...)
}

// of lists the messages of one delivery kind.
func (r *recorder) of(kind string) []sentMail {
	var out []sentMail
	for _, m := range r.all() {
		if strings.HasPrefix(m.Delivery, kind+"/") {
			out = append(out, m)
		}
	}
	return out
}

// checkOnce fails the test when any message went twice to one recipient.
func (r *recorder) checkOnce(t *testing.T) {
	t.Helper()
	seen := map[string]sentMail{}
	for _, m := range r.all() {
		k := m.Delivery + " to " + m.To
		if prev, ok := seen[k]; ok {
			t.Errorf("%s sent twice: at %s and %s", k, prev.At.Format(time.RFC3339), m.At.Format(time.RFC3339))
		}
		seen[k] = m
	}
}

// syncBuffer is a log destination written by a scheduler and read by the
// test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// env is a trust's set-up: a config, a drop folder and a mail server.
type env struct {
	cfg  *config.Config
	drop string
	mail *recorder
	ft   *fakeTime
}

const (
	commissioner = "commissioner@icb.nhs.net"
	second       = "second@icb.nhs.net"
	workforce    = "workforce@trust.nhs.uk"
	lead         = "prevent.lead@trust.nhs.uk"
)

func newEnv(t *testing.T, start time.Time) *env {
	t.Helper()
	cfg := config.Default()
	cfg.Organisation, cfg.ODSCode = "Test NHS Trust", "RT1"
	cfg.Return.Recipients = []string{commissioner, second}
	cfg.Import.Notify = []string{workforce}
	cfg.Reminders.Leads = []config.Lead{{Email: lead, Organisation: "*"}}
	cfg.Schedule.ImportDir = filepath.Join(t.TempDir(), "drop")
	if err := os.MkdirAll(cfg.Schedule.ImportDir, 0o700); err != nil {
		t.Fatal(err)
	}
	ft := newFakeTime(start)
	return &env{cfg: cfg, drop: cfg.Schedule.ImportDir, mail: &recorder{now: ft.Now}, ft: ft}
}

// instance is one running scheduler.
type instance struct {
	s      *Scheduler
	view   *clockView
	log    *syncBuffer
	cancel context.CancelFunc
	done   chan struct{}
}

// start runs a scheduler on s, as one `prevent serve` would.
func (e *env) start(t *testing.T, s *store.Store, name string) *instance {
	t.Helper()
	in := &instance{view: e.ft.view(), log: &syncBuffer{}, done: make(chan struct{})}
	sch, err := New(Options{Store: s, Config: e.cfg, Sender: e.mail, Clock: in.view,
		Logger: slog.New(slog.NewTextHandler(in.log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		Holder: name, Settle: time.Millisecond, Standby: time.Hour, Recheck: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	in.s = sch
	ctx, cancel := context.WithCancel(context.Background())
	in.cancel = cancel
	go func() {
		defer close(in.done)
		if err := sch.Run(ctx); err != nil {
			t.Errorf("%s: Run: %v", name, err)
		}
	}()
	t.Cleanup(func() {
		in.stop()
		if t.Failed() || os.Getenv("SHOWLOG") != "" {
			t.Logf("log of %s:\n%s", name, in.log)
		}
	})
	return in
}

// stop shuts the scheduler down, as SIGTERM would, and waits for it.
func (in *instance) stop() {
	in.cancel()
	<-in.done
	in.view.ft.drop(in.view)
}

// write puts a file into the drop folder.
func (e *env) write(t *testing.T, name, content string) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(e.drop, name), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
}

// staffCSV is a staff extract: the four long-serving staff, and a starter
// for each month up to the extract's.
func staffCSV(month time.Month) string {
	var b strings.Builder
	b.WriteString("Employee Number,Full Name,Organisation,Staff Group,Job Role\n")
	for i := 1; i <= 4; i++ {
		fmt.Fprintf(&b, "1000000%d,Person %d,RT1 Community,Nursing and Midwifery Registered,Staff Nurse\n", i, i)
	}
	for m := time.June; m <= month; m++ {
		fmt.Fprintf(&b, "200000%02d,Starter %d,RT1 Acute,Administrative and Clerical,Receptionist\n", m, m)
	}
	return b.String()
}

// completionsCSV is an LMS export: cumulative, so each month's repeats the
// earlier rows; 10000002 renews in September.
func completionsCSV(month time.Month) string {
	s := "Employee Number,Course Name,Completion Date\n" +
		"10000001,Preventing Radicalisation - Basic Prevent Awareness,15/01/2024\n" +
		"10000002,Preventing Radicalisation - Basic Prevent Awareness,20/08/2023\n" +
		"10000004,Preventing Radicalisation - Basic Prevent Awareness,10/10/2023\n"
	if month >= time.September {
		s += "10000002,Preventing Radicalisation - Basic Prevent Awareness,05/09/2026\n"
	}
	return s
}

// monthEnd is the last day of a month of 2026, as extracts are named.
func monthEnd(m time.Month) string {
	return time.Date(2026, m+1, 0, 0, 0, 0, 0, time.UTC).Format(time.DateOnly)
}

// dropMonth is the month's extracts arriving in the drop folder.
func (e *env) dropMonth(t *testing.T, m time.Month) {
	e.write(t, "esr_staff_"+monthEnd(m)+".csv", staffCSV(m))
	e.write(t, "LMS completions "+monthEnd(m)+".csv", completionsCSV(m))
}

func count(t *testing.T, s *store.Store, table string) int {
	t.Helper()
	var n int
	if err := s.DB().Get(&n, `SELECT count(*) FROM `+table); err != nil {
		t.Fatal(err)
	}
	return n
}

// runs lists a job's runs, oldest first.
func runs(t *testing.T, s *store.Store, job string) []store.JobRun {
	t.Helper()
	list, err := s.JobRuns(context.Background(), job, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i, j := 0, len(list)-1; i < j; i, j = i+1, j-1 {
		list[i], list[j] = list[j], list[i]
	}
	return list
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }
