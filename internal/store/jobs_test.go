package store_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// slot is a scheduled time the test runs cover: 06:00 on 1 October 2026.
var slot = time.Date(2026, 10, 1, 6, 0, 0, 0, time.UTC)

func startRun(t *testing.T, s *store.Store, job string, scheduledFor, startedAt time.Time) store.JobRun {
	t.Helper()
	r, err := s.StartJobRun(ctx, job, scheduledFor, startedAt, "pid 1 on test")
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func finishRun(t *testing.T, s *store.Store, id int64, outcome string, endedAt time.Time, summary, errText string) {
	t.Helper()
	if err := s.FinishJobRun(ctx, id, outcome, endedAt, summary, errText); err != nil {
		t.Fatal(err)
	}
}

func TestJobRuns(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		t.Run("a started run has no outcome and no end until it finishes", func(t *testing.T) {
			r := startRun(t, s, "import", slot, slot.Add(time.Second))
			want := store.JobRun{ID: r.ID, Job: "import", ScheduledFor: slot, StartedAt: slot.Add(time.Second), Runner: "pid 1 on test"}
			if r != want {
				t.Errorf("got  %+v\nwant %+v", r, want)
			}
			if r.Settled() || r.Duration() != 0 {
				t.Errorf("a running run is settled %v, duration %s", r.Settled(), r.Duration())
			}
			finishRun(t, s, r.ID, store.JobOK, slot.Add(3*time.Second), "2 files imported", "")
			got, err := s.JobRun(ctx, r.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Outcome != store.JobOK || got.Summary != "2 files imported" || got.Duration() != 2*time.Second || !got.Settled() {
				t.Errorf("finished run = %+v", got)
			}
		})
		t.Run("a finished run is not finished again", func(t *testing.T) {
			r := startRun(t, s, "return", slot, slot)
			finishRun(t, s, r.ID, store.JobInterrupted, slot.Add(time.Minute), "", "the process stopped")
			finishRun(t, s, r.ID, store.JobOK, slot.Add(2*time.Minute), "sent", "")
			got, _ := s.JobRun(ctx, r.ID)
			if got.Outcome != store.JobInterrupted || got.Settled() {
				t.Errorf("got %+v, want it left interrupted", got)
			}
		})
		t.Run("an unknown outcome is refused", func(t *testing.T) {
			r := startRun(t, s, "return", slot, slot)
			if err := s.FinishJobRun(ctx, r.ID, "done", slot, "", ""); err == nil {
				t.Error("outcome \"done\" accepted")
			}
			finishRun(t, s, r.ID, store.JobFailed, slot.Add(time.Second), "", strings.Repeat("é", 3000))
			got, _ := s.JobRun(ctx, r.ID)
			if n := len([]rune(got.Error)); n > 2001 || !strings.HasSuffix(got.Error, "…") {
				t.Errorf("a long error is kept at %d characters", n)
			}
		})
	})
}

func TestJobRunsList(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		var ids []int64
		for i, job := range []string{"import", "reminders", "import", "return"} {
			r := startRun(t, s, job, slot.Add(time.Duration(i)*time.Hour), slot.Add(time.Duration(i)*time.Hour))
			ids = append(ids, r.ID)
		}
		t.Run("newest first", func(t *testing.T) {
			all, err := s.JobRuns(ctx, "", 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := runIDs(all); !equalIDs(got, []int64{ids[3], ids[2], ids[1], ids[0]}) {
				t.Errorf("got %v", got)
			}
		})
		t.Run("one job's runs, at most the limit", func(t *testing.T) {
			imports, err := s.JobRuns(ctx, "import", 1)
			if err != nil {
				t.Fatal(err)
			}
			if got := runIDs(imports); !equalIDs(got, []int64{ids[2]}) {
				t.Errorf("got %v", got)
			}
		})
		t.Run("runs still going are marked interrupted, once", func(t *testing.T) {
			finishRun(t, s, ids[0], store.JobOK, slot.Add(time.Minute), "", "")
			at := slot.Add(24 * time.Hour)
			n, err := s.InterruptJobRuns(ctx, at, "the process stopped")
			if err != nil || n != 3 {
				t.Fatalf("InterruptJobRuns = %d, %v; want 3", n, err)
			}
			all, _ := s.JobRuns(ctx, "", 0)
			for _, r := range all {
				want := store.JobInterrupted
				if r.ID == ids[0] {
					want = store.JobOK
				}
				if r.Outcome != want || r.EndedAt.IsZero() {
					t.Errorf("run %d (%s) = %q ended %v, want %q", r.ID, r.Job, r.Outcome, r.EndedAt, want)
				}
			}
			if n, _ := s.InterruptJobRuns(ctx, at, "again"); n != 0 {
				t.Errorf("a second call marked %d runs", n)
			}
		})
	})
}

func runIDs(runs []store.JobRun) []int64 {
	out := make([]int64, len(runs))
	for i, r := range runs {
		out[i] = r.ID
	}
	return out
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
