package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

func TestMain(m *testing.M) { storetest.Main(m) }

var ctx = context.Background()

// start is when the tests first send: 1 October 2026, 8am, the return's
// scheduled time.
var start = time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)

const quarter = "2026-27Q2"

var commissioners = []string{"commissioner@example.nhs.net", "second.commissioner@example.nhs.net"}

// clock is a settable time for Options.Now.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: start} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

func (c *clock) Advance(d time.Duration) { c.Set(c.Now().Add(d)) }

// recordingSender keeps what it is asked to send, failing on demand.
type recordingSender struct {
	delay time.Duration // each send takes this long, to widen races

	mu       sync.Mutex
	failNext int             // the next this many sends fail
	failTo   map[string]bool // sends to these addresses always fail
	calls    int
	sent     []*mail.Message
}

var errTryLater = &mail.SendError{Temporary: true, Err: errors.New("421 4.3.2 service not available, try again later")}

func (r *recordingSender) Send(ctx context.Context, m *mail.Message) error {
	r.mu.Lock()
	r.calls++
	fail := r.failNext > 0 || r.failTo[m.To[0]]
	if r.failNext > 0 {
		r.failNext--
	}
	r.mu.Unlock()
	if fail {
		return errTryLater
	}
	time.Sleep(r.delay)
	r.mu.Lock()
	r.sent = append(r.sent, m)
	r.mu.Unlock()
	return nil
}

func (r *recordingSender) Describe() string { return "recording sender" }

func (r *recordingSender) Calls() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.calls
}

func (r *recordingSender) Sent() []*mail.Message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*mail.Message(nil), r.sent...)
}

// sentTo counts the messages delivered to each address.
func (r *recordingSender) sentTo() map[string]int {
	n := map[string]int{}
	for _, m := range r.Sent() {
		for _, to := range m.To {
			n[to]++
		}
	}
	return n
}

// builder makes return messages and counts how many it made.
type builder struct {
	mu    sync.Mutex
	built int
	err   error
}

func (b *builder) Build(to string) (*mail.Message, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return nil, b.err
	}
	b.built++
	return &mail.Message{To: []string{to}, Subject: "Prevent training return " + quarter, Text: "Attached."}, nil
}

func (b *builder) Built() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.built
}

func send(t *testing.T, s *store.Store, sender mail.Sender, b *builder, opt delivery.Options, recipients ...string) []delivery.Outcome {
	t.Helper()
	out, err := delivery.Send(ctx, s, sender, "return", quarter, recipients, b.Build, opt)
	if err != nil {
		t.Fatalf("Send: %v", err)
	}
	if len(out) != len(recipients) {
		t.Fatalf("%d outcomes for %d recipients", len(out), len(recipients))
	}
	return out
}

func statuses(out []delivery.Outcome) []string {
	var s []string
	for _, o := range out {
		s = append(s, o.Recipient+": "+o.Status)
	}
	return s
}

func wantStatuses(t *testing.T, out []delivery.Outcome, want ...string) {
	t.Helper()
	if len(out) != len(want) {
		t.Fatalf("outcomes %q, want statuses %q", statuses(out), want)
	}
	for i, o := range out {
		if o.Status != want[i] {
			t.Errorf("outcomes %q, want statuses %q", statuses(out), want)
			return
		}
	}
}

func deliveryTo(t *testing.T, s *store.Store, recipient string) store.Delivery {
	t.Helper()
	list, err := s.Deliveries(ctx, "return", quarter)
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range list {
		if d.Recipient == recipient && d.Generation == 0 {
			return d
		}
	}
	t.Fatalf("no delivery to %s in %+v", recipient, list)
	return store.Delivery{}
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		attempts int
		want     time.Duration
	}{
		{0, 5 * time.Minute},
		{1, 5 * time.Minute},
		{2, 10 * time.Minute},
		{3, 20 * time.Minute},
		{7, 320 * time.Minute},
		{8, 6 * time.Hour},
		{1000, 6 * time.Hour},
	}
	t.Run("the wait doubles from 5 minutes up to 6 hours", func(t *testing.T) {
		for _, tt := range tests {
			if got := delivery.Backoff(tt.attempts); got != tt.want {
				t.Errorf("Backoff(%d) = %s, want %s", tt.attempts, got, tt.want)
			}
		}
	})
}

func TestSend(t *testing.T) {
	t.Run("sending twice delivers once", func(t *testing.T) {
		storetest.ForEach(t, func(t *testing.T, s *store.Store) {
			sender, b, clk := &recordingSender{}, &builder{}, newClock()
			opt := delivery.Options{Now: clk.Now}
			wantStatuses(t, send(t, s, sender, b, opt, commissioners...), delivery.StatusSent, delivery.StatusSent)
			clk.Advance(24 * time.Hour)
			wantStatuses(t, send(t, s, sender, b, opt, commissioners...), delivery.StatusAlreadySent, delivery.StatusAlreadySent)
			if sender.Calls() != 2 || b.Built() != 2 {
				t.Errorf("sender called %d times, build %d times, want 2 and 2", sender.Calls(), b.Built())
			}
			d := deliveryTo(t, s, commissioners[0])
			if d.Status != store.DeliverySent || d.Attempts != 1 || !d.SentAt.Equal(start) {
				t.Errorf("delivery %+v, want sent at %v after 1 attempt", d, start)
			}
		})
	})

	t.Run("recipients are one address whatever their case", func(t *testing.T) {
		storetest.ForEach(t, func(t *testing.T, s *store.Store) {
			sender := &recordingSender{}
			out, err := delivery.Send(ctx, s, sender, "return", quarter, []string{"Commissioner@Example.nhs.net", " commissioner@example.NHS.net"},
				(&builder{}).Build, delivery.Options{})
			if err != nil {
				t.Fatal(err)
			}
			wantStatuses(t, out, delivery.StatusSent)
			if out[0].Recipient != "commissioner@example.nhs.net" || sender.Calls() != 1 {
				t.Errorf("outcome %+v after %d sends", out[0], sender.Calls())
			}
		})
	})

	t.Run("each message goes to its recipient alone, naming its delivery", func(t *testing.T) {
		storetest.ForEach(t, func(t *testing.T, s *store.Store) {
			sender := &recordingSender{}
			everyone := func(string) (*mail.Message, error) {
				return &mail.Message{To: commissioners, Subject: "Return", Headers: map[string]string{"X-Other": "kept"}}, nil
			}
			if _, err := delivery.Send(ctx, s, sender, "return", quarter, commissioners, everyone, delivery.Options{}); err != nil {
				t.Fatal(err)
			}
			for i, m := range sender.Sent() {
				d := deliveryTo(t, s, commissioners[i])
				if len(m.To) != 1 || m.To[0] != commissioners[i] {
					t.Errorf("message %d to %q, want %s alone", i, m.To, commissioners[i])
				}
				if got, want := m.Headers[delivery.Header], "return/"+quarter+"/0"; got != want {
					t.Errorf("%s: %q, want %q", delivery.Header, got, want)
				}
				if m.Headers["X-Other"] != "kept" {
					t.Errorf("the caller's own header was lost: %v", m.Headers)
				}
				if want := fmt.Sprintf("return-%s-%d-0", quarter, d.ID); m.ID != want || d.MessageID != want {
					t.Errorf("message ID %q, recorded %q, want %q", m.ID, d.MessageID, want)
				}
			}
		})
	})

	t.Run("one recipient failing does not stop the others", func(t *testing.T) {
		storetest.ForEach(t, func(t *testing.T, s *store.Store) {
			sender := &recordingSender{failTo: map[string]bool{"b@example.nhs.net": true}}
			out := send(t, s, sender, &builder{}, delivery.Options{Now: newClock().Now}, "a@example.nhs.net", "b@example.nhs.net", "c@example.nhs.net")
			wantStatuses(t, out, delivery.StatusSent, delivery.StatusFailed, delivery.StatusSent)
			if !errors.Is(out[1].Err, errTryLater) {
				t.Errorf("failed outcome's error = %v, want the sender's", out[1].Err)
			}
			if n := sender.sentTo(); n["a@example.nhs.net"] != 1 || n["c@example.nhs.net"] != 1 {
				t.Errorf("delivered %v", n)
			}
		})
	})

	t.Run("a message that cannot be built is a failed attempt, retried later", func(t *testing.T) {
		storetest.ForEach(t, func(t *testing.T, s *store.Store) {
			sender, b := &recordingSender{}, &builder{err: errors.New("no staff snapshot on or before 2026-09-30")}
			wantStatuses(t, send(t, s, sender, b, delivery.Options{Now: newClock().Now}, commissioners[0]), delivery.StatusFailed)
			d := deliveryTo(t, s, commissioners[0])
			if sender.Calls() != 0 || d.Status != store.DeliveryFailed || !strings.Contains(d.LastError, "no staff snapshot") {
				t.Errorf("sender called %d times; delivery %+v", sender.Calls(), d)
			}
			b.err = nil
			wantStatuses(t, send(t, s, sender, b, delivery.Options{Now: newClock().Now}, commissioners[0]), delivery.StatusSent)
		})
	})

	t.Run("an empty recipient address is refused before anything is sent", func(t *testing.T) {
		storetest.ForEach(t, func(t *testing.T, s *store.Store) {
			sender := &recordingSender{}
			if _, err := delivery.Send(ctx, s, sender, "return", quarter, []string{"a@example.nhs.net", " "}, (&builder{}).Build, delivery.Options{}); err == nil {
				t.Error("Send succeeded")
			}
			if sender.Calls() != 0 {
				t.Errorf("sender called %d times", sender.Calls())
			}
		})
	})
}

func TestRetry(t *testing.T) {
	type run struct {
		after      time.Duration // since the failed first run
		want       string
		wantCalled bool
	}
	tests := []struct {
		name           string
		respectBackoff bool
		runs           []run
	}{
		{
			name: "a person running the command retries a failure at once",
			runs: []run{{after: time.Second, want: delivery.StatusSent, wantCalled: true}},
		},
		{
			name:           "the scheduler retries a failure once its backoff has run out",
			respectBackoff: true,
			runs: []run{
				{after: 5*time.Minute - time.Second, want: delivery.StatusFailed},
				{after: 5 * time.Minute, want: delivery.StatusSent, wantCalled: true},
				{after: 6 * time.Minute, want: delivery.StatusAlreadySent},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.ForEach(t, func(t *testing.T, s *store.Store) {
				sender, b, clk := &recordingSender{failNext: 1}, &builder{}, newClock()
				opt := delivery.Options{Now: clk.Now, RespectBackoff: tt.respectBackoff}
				out := send(t, s, sender, b, opt, commissioners[0])
				wantStatuses(t, out, delivery.StatusFailed)
				d := deliveryTo(t, s, commissioners[0])
				if d.Status != store.DeliveryFailed || d.Attempts != 1 || d.LastError != errTryLater.Error() ||
					!d.NextAttemptAt.Equal(start.Add(5*time.Minute)) || out[0].Attempts != 1 {
					t.Fatalf("after the failure: %+v", d)
				}
				for _, r := range tt.runs {
					calls := sender.Calls()
					clk.Set(start.Add(r.after))
					out := send(t, s, sender, b, opt, commissioners[0])
					wantStatuses(t, out, r.want)
					if called := sender.Calls() > calls; called != r.wantCalled {
						t.Errorf("%s after the failure: sender called = %v, want %v", r.after, called, r.wantCalled)
					}
				}
				if n := sender.sentTo()[commissioners[0]]; n != 1 {
					t.Errorf("%d messages delivered, want 1", n)
				}
				if d := deliveryTo(t, s, commissioners[0]); d.Status != store.DeliverySent || d.Attempts != 2 {
					t.Errorf("in the end: %+v, want sent after 2 attempts", d)
				}
			})
		})
	}
}

func TestConcurrentSend(t *testing.T) {
	t.Run("two processes sending at once deliver one message per recipient", func(t *testing.T) {
		storetest.ForEachDSN(t, func(t *testing.T, dsn string) {
			// Two stores, as two processes would have, on one database.
			stores := [2]*store.Store{storetest.Open(t, dsn), storetest.Open(t, dsn)}
			recipients := []string{"a@example.nhs.net", "b@example.nhs.net", "c@example.nhs.net"}
			for run := range 20 {
				key := fmt.Sprintf("%s-run%d", quarter, run)
				sender := &recordingSender{delay: 3 * time.Millisecond}
				var (
					mu       sync.Mutex
					outcomes []delivery.Outcome
					done     = make(chan error, 2)
					ready    = make(chan struct{})
				)
				for _, s := range stores {
					go func() {
						<-ready
						out, err := delivery.Send(ctx, s, sender, "return", key, recipients, (&builder{}).Build, delivery.Options{})
						mu.Lock()
						outcomes = append(outcomes, out...)
						mu.Unlock()
						done <- err
					}()
				}
				close(ready)
				for range 2 {
					if err := <-done; err != nil {
						t.Fatalf("run %d: %v", run, err)
					}
				}
				for _, r := range recipients {
					if n := sender.sentTo()[r]; n != 1 {
						t.Errorf("run %d: %d messages to %s, want 1", run, n, r)
					}
					var sent, other int
					for _, o := range outcomes {
						switch {
						case o.Recipient != r:
						case o.Status == delivery.StatusSent:
							sent++
						case o.Status == delivery.StatusAlreadySent, o.Status == delivery.StatusInProgress:
							other++
						default:
							t.Errorf("run %d: %s: %s %v", run, r, o.Status, o.Err)
						}
					}
					if sent != 1 || other != 1 {
						t.Errorf("run %d: %s sent by %d calls, skipped by %d, want 1 and 1", run, r, sent, other)
					}
				}
			}
		})
	})
}

func TestStaleClaim(t *testing.T) {
	tests := []struct {
		name       string
		staleAfter time.Duration // 0: the default
		after      time.Duration // since the crashed claim
		want       string
	}{
		{name: "a claim younger than the default 30 minutes is left alone", after: 30*time.Minute - time.Second, want: delivery.StatusInProgress},
		{name: "a claim of the default 30 minutes is retried", after: 30 * time.Minute, want: delivery.StatusSent},
		{name: "a claim younger than StaleAfter is left alone", staleAfter: time.Hour, after: 59 * time.Minute, want: delivery.StatusInProgress},
		{name: "a claim older than StaleAfter is retried", staleAfter: time.Hour, after: 61 * time.Minute, want: delivery.StatusSent},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			storetest.ForEach(t, func(t *testing.T, s *store.Store) {
				// A process claimed the delivery and died before recording
				// anything.
				d, err := s.EnsureDelivery(ctx, "return", quarter, commissioners[0], start)
				if err != nil {
					t.Fatal(err)
				}
				if ok, err := s.ClaimDelivery(ctx, d.ID, start, false, time.Hour); err != nil || !ok {
					t.Fatalf("claim = %v, %v", ok, err)
				}
				sender, clk := &recordingSender{}, newClock()
				clk.Advance(tt.after)
				out := send(t, s, sender, &builder{}, delivery.Options{Now: clk.Now, StaleAfter: tt.staleAfter}, commissioners[0])
				wantStatuses(t, out, tt.want)
				wantCalls := 0
				if tt.want == delivery.StatusSent {
					wantCalls = 1
					if out[0].Attempts != 2 {
						t.Errorf("attempts %d, want 2 (the crashed one counts)", out[0].Attempts)
					}
				}
				if sender.Calls() != wantCalls {
					t.Errorf("sender called %d times, want %d", sender.Calls(), wantCalls)
				}
			})
		})
	}
}

func TestResend(t *testing.T) {
	const reason, by = "corrected ESR extract", "jsmith"
	resend := func(t *testing.T, s *store.Store, sender mail.Sender, clk *clock) []delivery.Outcome {
		t.Helper()
		out, err := delivery.Resend(ctx, s, sender, "return", quarter, commissioners[:1], reason, by, (&builder{}).Build, delivery.Options{Now: clk.Now})
		if err != nil {
			t.Fatal(err)
		}
		return out
	}

	t.Run("a resend goes out as a new generation although the original was sent", func(t *testing.T) {
		storetest.ForEach(t, func(t *testing.T, s *store.Store) {
			sender, clk := &recordingSender{}, newClock()
			wantStatuses(t, send(t, s, sender, &builder{}, delivery.Options{Now: clk.Now}, commissioners[0]), delivery.StatusSent)
			clk.Advance(48 * time.Hour)
			out := resend(t, s, sender, clk)
			wantStatuses(t, out, delivery.StatusSent)

			list, err := s.Deliveries(ctx, "return", quarter)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 2 {
				t.Fatalf("%d deliveries listed, want the original and the resend: %+v", len(list), list)
			}
			re, orig := list[0], list[1]
			if re.Generation != 1 || re.Status != store.DeliverySent || re.Reason != reason || re.RequestedBy != by ||
				!re.SentAt.Equal(clk.Now()) || re.ID != out[0].Delivery.ID {
				t.Errorf("resend %+v", re)
			}
			if orig.Generation != 0 || orig.Status != store.DeliverySent || orig.Reason != "" {
				t.Errorf("original %+v", orig)
			}
			msgs := sender.Sent()
			if len(msgs) != 2 {
				t.Fatalf("%d messages, want 2", len(msgs))
			}
			if got := msgs[1].Headers[delivery.Header]; got != "return/"+quarter+"/1" {
				t.Errorf("resend's %s = %q", delivery.Header, got)
			}
			if msgs[0].ID == msgs[1].ID {
				t.Errorf("the resend reuses the original's message ID %q", msgs[0].ID)
			}
		})
	})

	t.Run("a failed resend run again is retried, not queued twice", func(t *testing.T) {
		storetest.ForEach(t, func(t *testing.T, s *store.Store) {
			sender, clk := &recordingSender{failNext: 1}, newClock()
			wantStatuses(t, resend(t, s, sender, clk), delivery.StatusFailed)
			clk.Advance(time.Minute)
			out := resend(t, s, sender, clk)
			wantStatuses(t, out, delivery.StatusSent)
			if out[0].Delivery.Generation != 1 || out[0].Attempts != 2 {
				t.Errorf("resend %+v, want generation 1 after 2 attempts", out[0].Delivery)
			}
			wantStatuses(t, resend(t, s, sender, clk), delivery.StatusSent) // an explicit request: generation 2
			if n := sender.sentTo()[commissioners[0]]; n != 2 {
				t.Errorf("%d messages, want 2", n)
			}
		})
	})

	t.Run("a resend sent makes the original already sent", func(t *testing.T) {
		storetest.ForEach(t, func(t *testing.T, s *store.Store) {
			sender, clk := &recordingSender{}, newClock()
			wantStatuses(t, resend(t, s, sender, clk), delivery.StatusSent)
			wantStatuses(t, send(t, s, sender, &builder{}, delivery.Options{Now: clk.Now}, commissioners[0]), delivery.StatusAlreadySent)
			if sender.Calls() != 1 {
				t.Errorf("sender called %d times, want 1", sender.Calls())
			}
		})
	})

	t.Run("a resend needs a reason", func(t *testing.T) {
		storetest.ForEach(t, func(t *testing.T, s *store.Store) {
			_, err := delivery.Resend(ctx, s, &recordingSender{}, "return", quarter, commissioners, " ", by, (&builder{}).Build, delivery.Options{})
			if err == nil {
				t.Error("Resend without a reason succeeded")
			}
		})
	})
}
