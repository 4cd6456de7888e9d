package store_test

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// sendAt is when the test deliveries are first made.
var sendAt = time.Date(2026, 10, 1, 8, 0, 0, 0, time.UTC)

const staleAfter = 30 * time.Minute

func ensure(t *testing.T, s *store.Store, key, recipient string) store.Delivery {
	t.Helper()
	d, err := s.EnsureDelivery(ctx, "return", key, recipient, sendAt)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func claim(t *testing.T, s *store.Store, id int64, now time.Time, respectBackoff bool) bool {
	t.Helper()
	ok, err := s.ClaimDelivery(ctx, id, now, respectBackoff, staleAfter)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func reread(t *testing.T, s *store.Store, id int64) store.Delivery {
	t.Helper()
	d, err := s.Delivery(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestEnsureDelivery(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		t.Run("a new delivery is queued as generation 0 with its recipient in lower case", func(t *testing.T) {
			d := ensure(t, s, "2026-27Q2", " Commissioner@Example.NHS.net ")
			want := store.Delivery{ID: d.ID, Kind: "return", Key: "2026-27Q2", Recipient: "commissioner@example.nhs.net",
				Status: store.DeliveryQueued, CreatedAt: sendAt, UpdatedAt: sendAt}
			if d != want {
				t.Errorf("got  %+v\nwant %+v", d, want)
			}
		})
		t.Run("ensuring it again returns the same row unchanged", func(t *testing.T) {
			first := ensure(t, s, "2026-27Q3", "a@example.nhs.net")
			if !claim(t, s, first.ID, sendAt, false) {
				t.Fatal("first claim refused")
			}
			again, err := s.EnsureDelivery(ctx, "return", "2026-27Q3", "A@example.nhs.net", sendAt.Add(time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			if again.ID != first.ID || again.Status != store.DeliverySending || again.Attempts != 1 || !again.CreatedAt.Equal(sendAt) {
				t.Errorf("again = %+v, want row %d sending after 1 attempt", again, first.ID)
			}
		})
		t.Run("kind, key and recipient are required", func(t *testing.T) {
			for _, args := range [][3]string{{"", "k", "r@x"}, {"return", "", "r@x"}, {"return", "k", "  "}} {
				if _, err := s.EnsureDelivery(ctx, args[0], args[1], args[2], sendAt); err == nil {
					t.Errorf("EnsureDelivery(%q, %q, %q) succeeded", args[0], args[1], args[2])
				}
			}
		})
	})
}

func TestClaimDelivery(t *testing.T) {
	failedAt := sendAt.Add(time.Minute)
	retryAt := failedAt.Add(5 * time.Minute)
	tests := []struct {
		name           string
		prepare        func(t *testing.T, s *store.Store, id int64) // from queued
		now            time.Time
		respectBackoff bool
		want           bool
	}{
		{name: "a queued delivery is claimed", now: sendAt, want: true},
		{
			name:    "a delivery being sent is not claimed by another sender",
			prepare: func(t *testing.T, s *store.Store, id int64) { claim(t, s, id, sendAt, false) },
			now:     sendAt.Add(staleAfter - time.Second), want: false,
		},
		{
			name:    "a delivery whose sender died is claimed once its claim is stale",
			prepare: func(t *testing.T, s *store.Store, id int64) { claim(t, s, id, sendAt, false) },
			now:     sendAt.Add(staleAfter), want: true,
		},
		{
			name:    "a sent delivery is never claimed",
			prepare: markSent,
			now:     sendAt.Add(365 * 24 * time.Hour), want: false,
		},
		{
			name: "a failed delivery is retried at once when backoff is not respected",
			prepare: func(t *testing.T, s *store.Store, id int64) {
				markFailed(t, s, id, retryAt, failedAt)
			},
			now: failedAt, want: true,
		},
		{
			name: "a failed delivery waits for its next attempt when backoff is respected",
			prepare: func(t *testing.T, s *store.Store, id int64) {
				markFailed(t, s, id, retryAt, failedAt)
			},
			now: retryAt.Add(-time.Second), respectBackoff: true, want: false,
		},
		{
			name: "a failed delivery is retried when its next attempt is due",
			prepare: func(t *testing.T, s *store.Store, id int64) {
				markFailed(t, s, id, retryAt, failedAt)
			},
			now: retryAt, respectBackoff: true, want: true,
		},
	}
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		for i, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				d := ensure(t, s, "2026-27Q2", fmt.Sprintf("claim%d@example.nhs.net", i))
				if tt.prepare != nil {
					tt.prepare(t, s, d.ID)
				}
				before := reread(t, s, d.ID)
				got := claim(t, s, d.ID, tt.now, tt.respectBackoff)
				if got != tt.want {
					t.Fatalf("claim = %v, want %v (row %+v)", got, tt.want, before)
				}
				after := reread(t, s, d.ID)
				switch {
				case got && (after.Status != store.DeliverySending || after.Attempts != before.Attempts+1 || !after.ClaimedAt.Equal(tt.now)):
					t.Errorf("after a claim: %+v, want sending, attempts %d, claimed at %v", after, before.Attempts+1, tt.now)
				case !got && after != before:
					t.Errorf("a refused claim changed the row:\nbefore %+v\nafter  %+v", before, after)
				}
			})
		}
	})
	t.Run("staleAfter must be positive", func(t *testing.T) {
		storetest.ForEach(t, func(t *testing.T, s *store.Store) {
			d := ensure(t, s, "2026-27Q2", "a@example.nhs.net")
			if _, err := s.ClaimDelivery(ctx, d.ID, sendAt, false, 0); err == nil {
				t.Error("claim with staleAfter 0 succeeded")
			}
		})
	})
}

func markSent(t *testing.T, s *store.Store, id int64) {
	t.Helper()
	if !claim(t, s, id, sendAt, false) {
		t.Fatal("claim refused")
	}
	if err := s.MarkDeliverySent(ctx, id, "return-2026-27Q2-1-0", "", sendAt.Add(time.Second), nil); err != nil {
		t.Fatal(err)
	}
}

func markFailed(t *testing.T, s *store.Store, id int64, next, now time.Time) {
	t.Helper()
	if !claim(t, s, id, sendAt, false) {
		t.Fatal("claim refused")
	}
	if err := s.MarkDeliveryFailed(ctx, id, "421 try again later", next, now); err != nil {
		t.Fatal(err)
	}
}

func TestMarkDelivery(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		t.Run("a failure records the error and the next attempt", func(t *testing.T) {
			d := ensure(t, s, "2026-27Q2", "failed@example.nhs.net")
			next := sendAt.Add(5 * time.Minute)
			markFailed(t, s, d.ID, next, sendAt.Add(time.Second))
			got := reread(t, s, d.ID)
			if got.Status != store.DeliveryFailed || got.Attempts != 1 || got.LastError != "421 try again later" ||
				!got.NextAttemptAt.Equal(next) || !got.UpdatedAt.Equal(sendAt.Add(time.Second)) {
				t.Errorf("got %+v", got)
			}
		})
		t.Run("sending records the message ID and clears the next attempt", func(t *testing.T) {
			d := ensure(t, s, "2026-27Q2", "sent@example.nhs.net")
			markFailed(t, s, d.ID, sendAt.Add(5*time.Minute), sendAt)
			markSent(t, s, d.ID)
			got := reread(t, s, d.ID)
			if got.Status != store.DeliverySent || got.Attempts != 2 || got.MessageID != "return-2026-27Q2-1-0" ||
				!got.SentAt.Equal(sendAt.Add(time.Second)) || !got.NextAttemptAt.IsZero() {
				t.Errorf("got %+v", got)
			}
		})
		t.Run("a late failure does not undo a send by a sender that took over", func(t *testing.T) {
			d := ensure(t, s, "2026-27Q2", "took-over@example.nhs.net")
			markSent(t, s, d.ID)
			if err := s.MarkDeliveryFailed(ctx, d.ID, "timed out", sendAt.Add(time.Hour), sendAt.Add(time.Hour)); err != nil {
				t.Fatal(err)
			}
			if got := reread(t, s, d.ID); got.Status != store.DeliverySent || got.LastError != "" {
				t.Errorf("got %+v, want still sent", got)
			}
		})
		t.Run("marking a delivery that does not exist fails", func(t *testing.T) {
			if err := s.MarkDeliverySent(ctx, 999999, "x", "", sendAt, nil); err == nil {
				t.Error("MarkDeliverySent succeeded")
			}
			if err := s.MarkDeliveryFailed(ctx, 999999, "x", time.Time{}, sendAt); err == nil {
				t.Error("MarkDeliveryFailed succeeded")
			}
		})
	})
}

func TestResendAndList(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		orig := ensure(t, s, "2026-27Q2", "c@example.nhs.net")
		markSent(t, s, orig.ID)
		other := ensure(t, s, "2026-27Q1", "c@example.nhs.net")
		reminder, err := s.EnsureDelivery(ctx, "reminder", "12345678|2026-11-02|30", "lead@example.nhs.net", sendAt)
		if err != nil {
			t.Fatal(err)
		}
		var resends []store.Delivery
		for i, reason := range []string{"corrected ESR extract", "wrong organisation mapping"} {
			d, err := s.NewResend(ctx, "return", "2026-27Q2", "C@example.nhs.net", reason, "jsmith", sendAt.Add(time.Duration(i+1)*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			resends = append(resends, d)
		}

		t.Run("each resend is queued as the next generation with its reason and who asked", func(t *testing.T) {
			for i, d := range resends {
				if d.Generation != i+1 || d.Status != store.DeliveryQueued || d.Recipient != "c@example.nhs.net" ||
					d.RequestedBy != "jsmith" || d.Reason == "" {
					t.Errorf("resend %d = %+v", i+1, d)
				}
			}
		})
		t.Run("a resend of something never sent is generation 1", func(t *testing.T) {
			d, err := s.NewResend(ctx, "return", "2025-26Q4", "c@example.nhs.net", "late", "jsmith", sendAt)
			if err != nil {
				t.Fatal(err)
			}
			if d.Generation != 1 {
				t.Errorf("generation %d, want 1", d.Generation)
			}
		})
		t.Run("deliveries of one key are listed newest first", func(t *testing.T) {
			list, err := s.Deliveries(ctx, "return", "2026-27Q2")
			if err != nil {
				t.Fatal(err)
			}
			want := []int64{resends[1].ID, resends[0].ID, orig.ID}
			if got := ids(list); !slices.Equal(got, want) {
				t.Errorf("ids %v, want %v", got, want)
			}
		})
		t.Run("an empty key lists every key of the kind, and only that kind", func(t *testing.T) {
			list, err := s.Deliveries(ctx, "return", "")
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 5 {
				t.Errorf("%d deliveries, want 5: %+v", len(list), list)
			}
			for _, d := range list {
				if d.ID == reminder.ID {
					t.Errorf("reminder listed among returns")
				}
			}
		})
		t.Run("sent means any generation sent to the recipient", func(t *testing.T) {
			for _, tt := range []struct {
				kind, key, recipient string
				want                 bool
			}{
				{"return", "2026-27Q2", "C@Example.nhs.net", true},
				{"return", "2026-27Q2", "someone.else@example.nhs.net", false},
				{"return", other.Key, other.Recipient, false},
				{"reminder", "2026-27Q2", "c@example.nhs.net", false},
			} {
				got, err := s.SentDelivery(ctx, tt.kind, tt.key, tt.recipient)
				if err != nil {
					t.Fatal(err)
				}
				if got != tt.want {
					t.Errorf("SentDelivery(%s, %s, %s) = %v, want %v", tt.kind, tt.key, tt.recipient, got, tt.want)
				}
			}
		})
	})
}

func ids(list []store.Delivery) []int64 {
	out := make([]int64, len(list))
	for i, d := range list {
		out[i] = d.ID
	}
	return out
}

func TestConcurrentResends(t *testing.T) {
	t.Run("resends requested at once by two processes take distinct generations", func(t *testing.T) {
		storetest.ForEachDSN(t, func(t *testing.T, dsn string) {
			stores := []*store.Store{storetest.Open(t, dsn), storetest.Open(t, dsn)}
			const each = 10
			errs := make(chan error, 2*each)
			var wg sync.WaitGroup
			for _, s := range stores {
				wg.Go(func() {
					for range each {
						_, err := s.NewResend(ctx, "return", "2026-27Q2", "c@example.nhs.net", "corrected", "jsmith", sendAt)
						errs <- err
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			list, err := stores[0].Deliveries(ctx, "return", "2026-27Q2")
			if err != nil {
				t.Fatal(err)
			}
			var gens []int
			for _, d := range list {
				gens = append(gens, d.Generation)
			}
			slices.Sort(gens)
			want := make([]int, 2*each)
			for i := range want {
				want[i] = i + 1
			}
			if !slices.Equal(gens, want) {
				t.Errorf("generations %v, want %v", gens, want)
			}
		})
	})
}
