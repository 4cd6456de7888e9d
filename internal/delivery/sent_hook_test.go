package delivery_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/internal/delivery"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// Options.Sent hears of each message as soon as it is recorded sent, before
// the next is sent, so that a caller's own record (the audit trail) misses
// at most the one in hand when the process dies.
func TestSentHook(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		t.Run("called once per message sent, before the next is sent", func(t *testing.T) {
			sender := &recordingSender{failTo: map[string]bool{"b@example.nhs.net": true}}
			var heard []string
			var afterSends []int
			opt := delivery.Options{Now: newClock().Now, Sent: func(ctx context.Context, o delivery.Outcome) error {
				if o.Status != delivery.StatusSent || o.Delivery.Status != store.DeliverySent {
					t.Errorf("told of %s with status %s/%s", o.Recipient, o.Status, o.Delivery.Status)
				}
				heard = append(heard, o.Recipient)
				afterSends = append(afterSends, sender.Calls())
				return nil
			}}
			send(t, s, sender, &builder{}, opt, "a@example.nhs.net", "b@example.nhs.net", "c@example.nhs.net")
			// Sends: a, b (fails), c.
			if strings.Join(heard, " ") != "a@example.nhs.net c@example.nhs.net" || fmt.Sprint(afterSends) != "[1 3]" {
				t.Errorf("told of %q after %v sends, want a after 1 and c after 3", heard, afterSends)
			}
			send(t, s, sender, &builder{}, opt, "a@example.nhs.net", "c@example.nhs.net")
			if len(heard) != 2 {
				t.Errorf("told again of messages already sent: %q", heard)
			}
		})
		t.Run("its error stops the run and the message stays sent", func(t *testing.T) {
			sender := &recordingSender{}
			opt := delivery.Options{Now: newClock().Now, Sent: func(context.Context, delivery.Outcome) error {
				return errors.New("audit trail unavailable")
			}}
			_, err := delivery.Send(ctx, s, sender, "return", "2026-27Q3", []string{"x@example.nhs.net", "y@example.nhs.net"}, (&builder{}).Build, opt)
			if err == nil || !strings.Contains(err.Error(), "audit trail unavailable") || !strings.Contains(err.Error(), "x@example.nhs.net") {
				t.Errorf("error %v", err)
			}
			if sender.Calls() != 1 {
				t.Errorf("%d sends, want the run stopped after the first", sender.Calls())
			}
			if sent, err := s.SentDelivery(ctx, "return", "2026-27Q3", "x@example.nhs.net"); err != nil || !sent {
				t.Errorf("the message sent is not recorded sent (%v)", err)
			}
		})
	})
}
