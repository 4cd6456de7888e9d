package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/report"
)

// asOf reads the as-of date of a request (?as_of=YYYY-MM-DD), today when
// absent. given reports whether the request named one.
func (s *server) asOf(r *http.Request) (day time.Time, given bool, err error) {
	v := strings.TrimSpace(r.URL.Query().Get("as_of"))
	if v == "" {
		return s.today(), false, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil {
		return time.Time{}, true, fmt.Errorf("the as-of date %q is not a date written YYYY-MM-DD", v)
	}
	return t, true, nil
}

// The data's version (store.DataVersion) keys every cache: a position, a
// quarter's figures, a return file or the quality report is used only
// while the data is as it was when it was computed. A request reads it
// once, whatever it shows: the overview's trend and the returns page need
// several quarters.

// versionKey carries a request's versionMemo in its context.
type versionKey struct{}

// versionMemo is the data's version as first read by a request.
type versionMemo struct {
	mu sync.Mutex
	v  string
}

// withVersion gives a context a memo of its own, so that everything done
// for it reads the data's version once.
func withVersion(ctx context.Context) context.Context {
	return context.WithValue(ctx, versionKey{}, &versionMemo{})
}

// memoVersion gives each request a memo of the data's version.
func memoVersion(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(withVersion(r.Context())))
	})
}

// version is the data's version, read from the store the first time a
// request (or a warm-up round) asks.
func (s *server) version(ctx context.Context) (string, error) {
	m, _ := ctx.Value(versionKey{}).(*versionMemo)
	if m != nil {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.v != "" {
			return m.v, nil
		}
	}
	s.versionReads.Add(1)
	v, err := s.store.DataVersion(ctx)
	if err != nil {
		return "", err
	}
	if m != nil {
		m.v = v
	}
	return v, nil
}

// position is a whole workforce's position on a date, shared by every
// request for that date on the same data, with what pages work out from
// it, each worked out once (a national workforce is millions of people:
// summing, sorting or listing them takes a noticeable time every time).
// Callers must not reorder or change its people, nor what it hands out.
type position struct {
	*report.Position
	version string

	mu         sync.Mutex
	aggregates map[compliance.GroupKey]*aggregate
	point      *trendRow
	forecasts  []compliance.Forecast
	orgs       []string // organisations and staff groups, sorted
	groups     []string
	byDue      []int32 // People's indexes by due date (never trained first)
	selections []selected
	tna        *tnaCounts
}

// aggregate is a summary of the workforce by a key.
type aggregate struct {
	groups []*compliance.Summary // by name; share, don't sort
	total  *compliance.Summary
}

// aggregateBy is the workforce summed by the key.
func (p *position) aggregateBy(key compliance.GroupKey) *aggregate {
	p.mu.Lock()
	defer p.mu.Unlock()
	if a := p.aggregates[key]; a != nil {
		return a
	}
	groups, total := compliance.AggregateBy(p.People, key)
	a := &aggregate{groups: groups, total: total}
	if p.aggregates == nil {
		p.aggregates = map[compliance.GroupKey]*aggregate{}
	}
	p.aggregates[key] = a
	return a
}

// trendPoint is the position's own point on the overview's trend.
func (p *position) trendPoint() trendRow {
	a := p.aggregateBy(compliance.ByOrganisation)
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.point == nil {
		row := pointOf(p.AsOf.Format("2 Jan 2006"), p.AsOf, a.total)
		p.point = &row
	}
	return *p.point
}

// forecastsFor is compliance.Forecasts of the workforce.
func (p *position) forecastsFor(threshold float64) []compliance.Forecast {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.forecasts == nil {
		p.forecasts = compliance.Forecasts(p.People, p.AsOf, threshold, forecastMonths)
	}
	return p.forecasts
}

// distinct lists the organisations and staff groups of the workforce.
func (p *position) distinct() (orgs, groups []string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.orgs == nil {
		p.orgs, p.groups = distinct(p.People)
	}
	return p.orgs, p.groups
}

// dueOrder is the order of the people list sorted by due date: never
// trained first, then by due date, ties by employee number (the people's
// own order).
func (p *position) dueOrder() []int32 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byDue == nil {
		p.byDue = byDue(p.People)
	}
	return p.byDue
}

// positionCache keeps recent positions, for the pages and their as-of
// dates, while the data is unchanged (a new version drops them). It holds
// at most positionCacheSize positions, and about positionBudget people
// in all: a 30,000-person trust keeps four dates, a national workforce
// one. Today's position is kept first: a position for another date that
// would leave no room for it is computed for its requests and not kept.
type positionCache struct {
	mu      sync.Mutex
	budget  int
	entries map[time.Time]*cachedPosition
	tick    int64 // for least recently used
}

type cachedPosition struct {
	pos  *position
	used int64
}

const (
	positionCacheSize = 4
	// positionBudget is about how many people the cache holds in all,
	// each some hundreds of bytes.
	positionBudget = 3_000_000
)

func newPositionCache() *positionCache {
	return &positionCache{budget: positionBudget, entries: map[time.Time]*cachedPosition{}}
}

func (c *positionCache) get(asOf time.Time, version string) *position {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[asOf]; ok && e.pos.version == version {
		c.tick++
		e.used = c.tick
		return e.pos
	}
	return nil
}

// put keeps a position, making room by dropping those of other versions,
// then the least recently used other than today's; it reports whether the
// position was kept.
func (c *positionCache) put(pos *position, today time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropOthers(pos.version)
	delete(c.entries, pos.AsOf)
	held := c.held()
	for len(c.entries) > 0 && (len(c.entries) >= positionCacheSize || held+len(pos.People) > c.budget) {
		var drop *cachedPosition
		for k, v := range c.entries {
			if !k.Equal(today) && (drop == nil || v.used < drop.used) {
				drop = v
			}
		}
		if drop == nil { // only today's is left
			if !pos.AsOf.Equal(today) {
				return false
			}
			drop = c.entries[today]
		}
		delete(c.entries, drop.pos.AsOf)
		held -= len(drop.pos.People)
	}
	c.tick++
	c.entries[pos.AsOf] = &cachedPosition{pos: pos, used: c.tick}
	return true
}

// prune drops the positions of versions other than this one.
func (c *positionCache) prune(version string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dropOthers(version)
}

// dropOthers is prune with c.mu held.
func (c *positionCache) dropOthers(version string) {
	for k, v := range c.entries {
		if v.pos.version != version {
			delete(c.entries, k)
		}
	}
}

// people is how many people the cache holds.
func (c *positionCache) people() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.held()
}

// held is people with c.mu held.
func (c *positionCache) held() int {
	n := 0
	for _, v := range c.entries {
		n += len(v.pos.People)
	}
	return n
}

// cached returns the position for the date if it is cached for the
// request's data, without computing it.
func (s *server) cached(ctx context.Context, asOf time.Time) (*position, error) {
	version, err := s.version(ctx)
	if err != nil {
		return nil, err
	}
	return s.position.get(compliance.Day(asOf), version), nil
}

// load is report.Load through the cache, and through s.work: a few at a
// time, and one computation for requests for the same date on the same
// data. The position returned is shared: callers must not reorder or
// change its people.
func (s *server) load(ctx context.Context, asOf time.Time) (*position, error) {
	asOf = compliance.Day(asOf)
	version, err := s.version(ctx)
	if err != nil {
		return nil, err
	}
	if pos := s.position.get(asOf, version); pos != nil {
		return pos, nil
	}
	v, err := s.work.do(ctx, "position "+isoDate(asOf)+" "+version, func(ctx context.Context) (any, error) {
		if pos := s.position.get(asOf, version); pos != nil {
			return pos, nil // computed while this waited its turn
		}
		// Positions of an older version will not be asked for again:
		// not held while this one is computed.
		s.position.prune(version)
		s.computed.Add(1)
		rp, err := report.Load(ctx, s.store, s.policy, asOf)
		if err != nil {
			return nil, err
		}
		pos := &position{Position: rp, version: version}
		s.position.put(pos, s.today())
		return pos, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*position), nil
}

// noSnapshot reports whether err says there is no staff snapshot for the
// date.
func noSnapshot(err error) bool {
	var ns *report.NoSnapshotError
	return errors.As(err, &ns)
}

// small is a cache of a few small things computed from the data (a
// quarter's figures, the quality report), keyed by what they are and the
// data's version.
type small[T any] struct {
	mu    sync.Mutex
	items map[string]T
	size  int
}

func (c *small[T]) get(key string) (T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.items[key]
	return v, ok
}

func (c *small[T]) put(key string, v T) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.items == nil || len(c.items) >= c.size {
		c.items = map[string]T{} // stale keys go with the rest
	}
	c.items[key] = v
}

// cachedWork is fn's result through the cache c and s.work: computed once
// for the key (which carries the data's version) by one request, the
// others asking meanwhile waiting for it.
func cachedWork[T any](ctx context.Context, s *server, c *small[T], key string, fn func(ctx context.Context) (T, error)) (T, error) {
	if v, ok := c.get(key); ok {
		return v, nil
	}
	v, err := s.work.do(ctx, key, func(ctx context.Context) (any, error) {
		if v, ok := c.get(key); ok {
			return v, nil
		}
		v, err := fn(ctx)
		if err != nil {
			return nil, err
		}
		c.put(key, v)
		return v, nil
	})
	if err != nil {
		var zero T
		return zero, err
	}
	return v.(T), nil
}
