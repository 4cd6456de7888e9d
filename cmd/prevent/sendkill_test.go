package main

import (
	"bytes"
	"context"
	"fmt"
	"net/mail"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/store"
)

// TestKilledSendDeliversEachMessage kills `return --send` and `remind
// --send` at many points and checks the outbox sender's promise: every
// recipient gets its message eventually (the next run completes what a
// killed one left), and never twice, except when the kill fell between
// writing a message and recording it as sent (the documented at-least-once
// window), and then the copy carries the same Message-ID.
func TestKilledSendDeliversEachMessage(t *testing.T) {
	if testing.Short() {
		t.Skip("kills a process many times")
	}
	const recipients = 16
	var list, cfg strings.Builder
	for i := range recipients {
		fmt.Fprintf(&list, "    - commissioner%02d@icb.nhs.net\n", i)
	}
	cfg.WriteString(strings.Replace(e2eConfig, `  recipients: ["commissioner@icb.nhs.net", "second@icb.nhs.net"]`+"\n",
		"  recipients:\n"+list.String(), 1))
	cfg.WriteString("reminders:\n  leads:\n")
	for i := range recipients {
		fmt.Fprintf(&cfg, "    - {email: lead%02d@trust.nhs.uk}\n", i)
	}
	sends := []struct {
		name string
		kind string
		args []string
	}{
		{"return", "return", []string{"return", "--quarter", "2026-27Q2", "--send"}},
		{"remind", store.ReminderKind, []string{"remind", "--as-of", "2026-09-30", "--send"}},
	}
	for _, tc := range serveDatabases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			setup := func(t *testing.T) (dir, db string) {
				dir = t.TempDir()
				db = tc.dsn(t, dir)
				if strings.HasPrefix(db, "postgres") {
					// Names the runs' connections, for afterKill.
					db = setParam(t, db, "application_name", fmt.Sprintf("prevent-sendkill-%d", time.Now().UnixNano()))
				}
				write(t, dir, "prevent.yaml", cfg.String())
				for _, args := range [][]string{
					{"import", "staff", write(t, dir, "esr_staff_2026-09-30.csv", e2eStaff)},
					{"import", "completions", write(t, dir, "lms.csv", e2eCompletions)},
				} {
					if r := prevent(t, dir, db, args...); r.code != 0 {
						t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
					}
				}
				return dir, db
			}
			for _, send := range sends {
				t.Run(send.name, func(t *testing.T) {
					// Time a whole run on a scratch database.
					scratchDir, scratchDB := setup(t)
					start := time.Now()
					if r := prevent(t, scratchDir, scratchDB, send.args...); r.code != 0 {
						t.Fatalf("timing run: exit %d: %s", r.code, r.stderr)
					}
					took := time.Since(start)

					dir, db := setup(t)
					k := &sendKiller{t: t, dir: dir, db: db, kind: send.kind, want: recipients, files: map[string]int{}, windows: map[string]int{}}
					// Kill at moments early in a run (starting, opening the
					// database, working out what to send), then, so that
					// kills land mid-send however fast or loaded the machine,
					// as soon as a run begins writing a message (a new
					// temporary file) or has written one (a new .eml), by
					// turns, until a run gets to the end. An early kill
					// falls at its moment or at the run's first message,
					// whichever comes first: a run faster than the timing
					// run (a machine less loaded than a moment before) must
					// not get to the end before the kills mid-send begin.
					midSend := 0
					for i := 0; i <= 3*recipients && !k.done; i++ {
						var trigger func() bool
						if i < 3 {
							trigger = either(after(took*time.Duration(i)/10), k.newFile(true))
						} else {
							trigger = k.newFile(i%2 == 0)
						}
						k.killWhen(send.args, trigger, time.Duration(i%5)*time.Millisecond)
						if sent := k.afterKill(); sent > 0 && !k.done {
							midSend++
						}
					}
					t.Logf("a run took %v; %d kills fell mid-send, %d in the window between writing a message and recording it",
						took.Round(time.Millisecond), midSend, len(k.windows))
					if midSend < 3 {
						t.Errorf("only %d kills fell between a run's first message and its last: the test is not exercising kills mid-send", midSend)
					}

					r := prevent(t, dir, db, send.args...)
					if r.code != 0 {
						t.Fatalf("the run after the kills: exit %d: %s", r.code, r.stderr)
					}
					k.afterKill()
					if !k.done {
						t.Fatalf("the run after the kills left deliveries unsent")
					}
					k.check()
					if again := prevent(t, dir, db, send.args...); again.code != 0 || strings.Contains(again.stdout, ": sent") {
						t.Errorf("a further run sent again: exit %d\n%s%s", again.code, again.stdout, again.stderr)
					}
				})
			}
		})
	}
}

// sendKiller inspects the deliveries and the outbox after each kill.
type sendKiller struct {
	t        *testing.T
	dir, db  string
	kind     string
	want     int            // deliveries owed: one per recipient
	done     bool           // every delivery owed is sent
	files    map[string]int // delivery -> messages in the outbox
	windows  map[string]int // delivery -> kills between its message being written and recorded
	sentRows []store.Delivery
	history  map[string][]string // delivery -> its state after each kill, for failures
	kills    int
}

// after is a kill trigger that fires once d has passed.
func after(d time.Duration) func() bool {
	at := time.Now().Add(d)
	return func() bool { return !time.Now().Before(at) }
}

// either is a kill trigger that fires when a or b does.
func either(a, b func() bool) func() bool {
	return func() bool { return a() || b() }
}

// newFile is a kill trigger that fires when the outbox has a message file
// (.eml) or, when tmp, a temporary file that it did not have before.
func (k *sendKiller) newFile(tmp bool) func() bool {
	pattern := "*.eml"
	if tmp {
		pattern = ".prevent-*.tmp"
	}
	glob := filepath.Join(k.dir, "outbox", pattern)
	before, _ := filepath.Glob(glob)
	seen := make(map[string]bool, len(before))
	for _, f := range before {
		seen[f] = true
	}
	return func() bool {
		now, _ := filepath.Glob(glob)
		for _, f := range now {
			if !seen[f] {
				return true
			}
		}
		return false
	}
}

// killWhen runs prevent with args and kills it with SIGKILL the given
// delay after trigger fires, unless it has ended by then.
func (k *sendKiller) killWhen(args []string, trigger func() bool, delay time.Duration) {
	k.t.Helper()
	cmd := exec.Command(binary, append([]string{"--db", k.db}, args...)...)
	cmd.Dir = k.dir
	cmd.Env = append(os.Environ(), "PREVENT_CONFIG=", "PREVENT_DB=")
	if err := cmd.Start(); err != nil {
		k.t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	deadline := time.After(30 * time.Second)
	for !trigger() {
		select {
		case <-exited:
			return
		case <-deadline:
			k.t.Fatalf("prevent %v neither ended nor reached the kill point within 30s", args)
		case <-time.After(200 * time.Microsecond):
		}
	}
	time.Sleep(delay)
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-exited
}

// outboxMessage is one .eml file's identity.
type outboxMessage struct {
	file, delivery, to, messageID string
}

func (k *sendKiller) outbox() []outboxMessage {
	k.t.Helper()
	files, _ := filepath.Glob(filepath.Join(k.dir, "outbox", "*.eml"))
	var out []outboxMessage
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			k.t.Fatal(err)
		}
		msg, err := mail.ReadMessage(bytes.NewReader(b))
		if err != nil {
			k.t.Fatalf("%s is not a whole message: %v", filepath.Base(f), err)
		}
		to, err := mail.ParseAddress(msg.Header.Get("To"))
		if err != nil {
			k.t.Fatalf("%s: To: %v", filepath.Base(f), err)
		}
		out = append(out, outboxMessage{file: filepath.Base(f), delivery: msg.Header.Get("X-Prevent-Delivery"),
			to: strings.ToLower(to.Address), messageID: msg.Header.Get("Message-ID")})
	}
	return out
}

func deliveryName(d store.Delivery) string {
	return fmt.Sprintf("%s/%s/%d to %s", d.Kind, d.Key, d.Generation, d.Recipient)
}

func (m outboxMessage) name() string { return m.delivery + " to " + m.to }

// afterKill looks at what a killed run left. A delivery left 'sending' is
// one whose sender died: the next run takes it over once its claim is
// stale (30 minutes); the test stands in for that wait by recording the
// attempt failed, which the next run retries at once. It returns how many
// deliveries are sent.
func (k *sendKiller) afterKill() (sent int) {
	t := k.t
	t.Helper()
	ctx := context.Background()
	inspect, app := k.db, ""
	if strings.HasPrefix(k.db, "postgres") {
		u, err := url.Parse(k.db)
		if err != nil {
			t.Fatal(err)
		}
		app = u.Query().Get("application_name")
		inspect = setParam(t, k.db, "application_name", app+"-inspect")
	}
	s, err := store.Open(ctx, inspect)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if app != "" {
		// The server may still be finishing what the killed process sent
		// last (a COMMIT, say): wait until its connections are gone.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(time.Millisecond) {
			var n int
			if err := s.DB().Get(&n, `SELECT count(*) FROM pg_stat_activity WHERE application_name = $1`, app); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("the killed process's %d connections are still open after 10s", n)
			}
		}
	}
	list, err := s.Deliveries(ctx, k.kind, "")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]int{}
	for _, m := range k.outbox() {
		files[m.name()]++
	}
	k.kills++
	if k.history == nil {
		k.history = map[string][]string{}
	}
	for _, d := range list {
		name := deliveryName(d)
		k.history[name] = append(k.history[name], fmt.Sprintf("run %d: %s, %d files", k.kills, d.Status, files[name]))
		switch d.Status {
		case store.DeliverySent:
			sent++
		case store.DeliverySending:
			// Killed after writing the message (this run wrote one more)
			// and before recording it: the at-least-once window.
			if files[name] > k.files[name] {
				k.windows[name]++
			}
			if err := s.MarkDeliveryFailed(ctx, d.ID, "the sender was killed", time.Time{}, time.Now()); err != nil {
				t.Fatal(err)
			}
		}
	}
	k.files = files
	k.done = sent == k.want
	k.sentRows = list

	if k.kind == "return" {
		// Each return sent is audited in the transaction that records it
		// sent: no kill leaves one recorded sent without its line.
		trail, err := s.AuditTrail(ctx, store.AuditReturnSent, 0)
		if err != nil {
			t.Fatal(err)
		}
		audited := map[string]bool{}
		for _, e := range trail {
			audited[e.Detail] = true
		}
		unaudited := 0 // recorded sent but not on the audit trail
		for _, d := range list {
			if d.Status == store.DeliverySent && !audited[d.Key+" to "+d.Recipient] {
				unaudited++
			}
		}
		if unaudited > 0 {
			t.Errorf("%d returns recorded sent but not on the audit trail", unaudited)
		}
	}
	return sent
}

// check asserts the invariant once every delivery is sent.
func (k *sendKiller) check() {
	t := k.t
	t.Helper()
	if len(k.sentRows) != k.want {
		t.Errorf("%d deliveries, want one per recipient (%d)", len(k.sentRows), k.want)
	}
	perRecipient := map[string]int{}
	ids := map[string]string{} // Message-ID -> delivery
	byDelivery := map[string][]outboxMessage{}
	for _, m := range k.outbox() {
		byDelivery[m.name()] = append(byDelivery[m.name()], m)
	}
	for _, d := range k.sentRows {
		perRecipient[d.Recipient]++
		name := deliveryName(d)
		msgs := byDelivery[name]
		delete(byDelivery, name)
		if want := 1 + k.windows[name]; len(msgs) != want {
			t.Errorf("%s: %d messages in the outbox, want %d (%d kills fell in its at-least-once window); after each run: %s",
				name, len(msgs), want, k.windows[name], strings.Join(k.history[name], "; "))
		}
		for _, m := range msgs {
			if m.messageID == "" || m.messageID != msgs[0].messageID {
				t.Errorf("%s: the copies carry different Message-IDs: %s and %s", name, msgs[0].messageID, m.messageID)
			}
			if other, ok := ids[m.messageID]; ok && other != name {
				t.Errorf("%s and %s share the Message-ID %s", name, other, m.messageID)
			}
			ids[m.messageID] = name
		}
	}
	for name, msgs := range byDelivery {
		t.Errorf("%d messages in the outbox for %s, which is no delivery recorded as sent", len(msgs), name)
	}
	for r, n := range perRecipient {
		if n != 1 {
			t.Errorf("%s has %d deliveries, want 1", r, n)
		}
	}
	if tmp, _ := filepath.Glob(filepath.Join(k.dir, "outbox", ".prevent-*.tmp")); len(tmp) > 0 {
		t.Logf("%d half-written temporary files left in the outbox by killed runs", len(tmp))
	}
}
