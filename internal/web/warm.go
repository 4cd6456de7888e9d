package web

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/returns"
)

// WarmEvery is how often a dashboard kept warm looks whether the data or
// the date has changed: a query of a few rows.
const WarmEvery = 30 * time.Second

// Warm keeps the caches of a dashboard (a handler from New) ready for its
// first visitors: at once, then whenever the data's version (an import, a
// purge) or the date has changed, looked at every interval, it works out
// today's position and what the pages show of it, the overview's trend
// quarters, the returns page's quarters and the imports page's quality
// report. A visitor asking for one of these while it is being worked out
// waits for the same computation rather than starting another. Warm
// returns when ctx ends.
func Warm(ctx context.Context, h http.Handler, every time.Duration) {
	hd, ok := h.(*handler)
	if !ok || hd.s == nil {
		return
	}
	hd.s.warmLoop(ctx, every)
}

func (s *server) warmLoop(ctx context.Context, every time.Duration) {
	for {
		if err := s.warm(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("dashboard: warming up failed; trying again later", slog.Any("error", err))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(every):
		}
	}
}

// warm works out what the pages need for today on the current data,
// unless that was done already.
func (s *server) warm(ctx context.Context) error {
	ctx = withVersion(ctx)
	version, err := s.version(ctx)
	if err != nil {
		return err
	}
	today := s.today()
	key := version + " " + isoDate(today)
	if done, _ := s.warmed.Load().(string); done == key {
		return nil
	}
	start := time.Now()
	s.position.prune(version)
	// The quarters, then the quality report, beside today's position:
	// the database reads their snapshots and scans the history while
	// this process builds the position.
	quarters := make(chan error, 1)
	go func() {
		_, err := s.quarterPoints(ctx, today)
		if err == nil {
			_, err = s.loadQuality(ctx)
		}
		quarters <- err
	}()
	pos, err := s.load(ctx, today)
	qerr := <-quarters
	if err != nil && !noSnapshot(err) {
		return err
	}
	if qerr != nil {
		return qerr
	}
	if err == nil {
		pos.aggregateBy(compliance.ByOrganisation)
		pos.trendPoint()
		pos.forecastsFor(s.policy.Threshold)
		pos.distinct()
		pos.dueOrder()
		pos.tnaCounts()
	}
	if _, err := s.quarterList(ctx, lastQuarters(returns.LastCompleted(today), returnsShown)); err != nil {
		return err
	}
	s.warmed.Store(key)
	s.log.Info("dashboard warmed up", slog.Duration("took", time.Since(start).Round(time.Millisecond)),
		slog.Int("people", s.position.people()))
	return nil
}
