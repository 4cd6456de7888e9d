package delivery_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// Options.Audit's line for each message sent is written in the transaction
// that records the message sent: no message is ever recorded sent without
// its line, wherever the process dies.
func TestAuditedAsSent(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		audit := func(o delivery.Outcome) store.AuditEntry {
			return store.AuditEntry{At: time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC), Who: "tester", Action: store.AuditReturnSent,
				Detail: o.Delivery.Key + " to " + o.Recipient}
		}
		t.Run("a line for each message sent, none for a failure", func(t *testing.T) {
			sender := &recordingSender{failTo: map[string]bool{"b@example.nhs.net": true}}
			opt := delivery.Options{Now: newClock().Now, Audit: audit}
			send(t, s, sender, &builder{}, opt, "a@example.nhs.net", "b@example.nhs.net", "c@example.nhs.net")
			send(t, s, sender, &builder{}, opt, "a@example.nhs.net", "c@example.nhs.net") // sent already: no new line
			trail, err := s.AuditTrail(ctx, store.AuditReturnSent, 0)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range trail {
				got = append(got, e.Detail)
			}
			if strings.Join(got, ", ") != "2026-27Q2 to c@example.nhs.net, 2026-27Q2 to a@example.nhs.net" {
				t.Errorf("audit trail %q, want a and c once each", got)
			}
		})
		t.Run("a line that cannot be written leaves the message unrecorded too", func(t *testing.T) {
			if _, err := s.DB().ExecContext(ctx, `DROP TABLE audit`); err != nil {
				t.Fatal(err)
			}
			sender := &recordingSender{}
			_, err := delivery.Send(ctx, s, sender, "return", "2026-27Q3", []string{"x@example.nhs.net"}, (&builder{}).Build,
				delivery.Options{Now: newClock().Now, Audit: audit})
			if err == nil || !strings.Contains(err.Error(), "could not be recorded") {
				t.Fatalf("error %v, want the message reported sent but not recorded", err)
			}
			if sent, err := s.SentDelivery(ctx, "return", "2026-27Q3", "x@example.nhs.net"); err != nil || sent {
				t.Errorf("recorded sent = %v (%v) without its audit line", sent, err)
			}
		})
	})
}
