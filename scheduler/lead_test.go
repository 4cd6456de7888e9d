package scheduler

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// TestReturnJobNotifiesALeadChange: the return job records the first lead
// without mail, notifies a change once to each return recipient, retries a
// notice the mail server refused once its backoff has passed, and sends
// nothing more until the lead changes again.
func TestReturnJobNotifiesALeadChange(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		e := newEnv(t, at(time.May, 4, 8))
		e.cfg.PreventLead = &config.PreventLead{Name: "Dr Amina Patel", Email: "amina.patel@trust.nhs.uk"}
		sch, err := New(Options{Store: s, Config: e.cfg, Sender: e.mail, Clock: e.ft.view(),
			Logger: slog.New(slog.DiscardHandler), Holder: "test"})
		if err != nil {
			t.Fatal(err)
		}
		job := func(now time.Time) Report {
			t.Helper()
			e.ft.mu.Lock()
			e.ft.now = now
			e.ft.mu.Unlock()
			rep, _ := sch.sendReturn(context.Background(), now) // the return itself fails: no staff snapshot
			return rep
		}
		job(at(time.May, 4, 8))
		if n := len(e.mail.of("lead-change")); n != 0 {
			t.Fatalf("the first lead sent %d notices", n)
		}
		e.cfg.PreventLead = &config.PreventLead{Name: "Tom Okafor", Email: "tom.okafor@trust.nhs.uk"}
		e.mail.setFailing(true)
		job(at(time.May, 5, 8))
		e.mail.setFailing(false)
		job(at(time.May, 5, 8).Add(time.Minute)) // within the backoff: not yet
		if n := len(e.mail.of("lead-change")); n != 0 {
			t.Fatalf("%d notices sent within the backoff", n)
		}
		rep := job(at(time.May, 6, 8))
		if got := e.mail.of("lead-change"); len(got) != 2 || got[0].Subject != "Change of Prevent lead: Test NHS Trust (RT1)" {
			t.Fatalf("notices after the retry: %+v (report %q)", got, rep.Summary)
		}
		job(at(time.May, 7, 8))
		job(at(time.May, 8, 8))
		if n := len(e.mail.of("lead-change")); n != 2 {
			t.Errorf("%d notices after two more days, want still 2", n)
		}
		e.cfg.PreventLead = &config.PreventLead{Name: "Sara Iqbal", Email: "sara.iqbal@trust.nhs.uk"}
		job(at(time.May, 9, 8))
		if n := len(e.mail.of("lead-change")); n != 4 {
			t.Errorf("%d notices after a second change, want 4", n)
		}
		e.mail.checkOnce(t)
	})
}
