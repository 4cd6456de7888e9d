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

// positionCache keeps recent positions, so that the overview's eight
// quarters are not recomputed on every page. An entry is used only while
// the imports are as they were when it was computed, and for two minutes
// at most. It keeps few: with 30,000 people a position is tens of
// megabytes.
type positionCache struct {
	mu      sync.Mutex
	entries map[time.Time]cachedPosition
}

type cachedPosition struct {
	pos         *report.Position
	fingerprint string
	at          time.Time
}

const (
	positionCacheTTL  = 2 * time.Minute
	positionCacheSize = 4
)

func newPositionCache() *positionCache {
	return &positionCache{entries: map[time.Time]cachedPosition{}}
}

func (c *positionCache) get(asOf time.Time, fp string) *report.Position {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.entries[asOf]; ok && e.fingerprint == fp && time.Since(e.at) < positionCacheTTL {
		return e.pos
	}
	return nil
}

// put keeps a position, making room by dropping stale entries, then the
// oldest.
func (c *positionCache) put(asOf time.Time, fp string, pos *report.Position) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for k, v := range c.entries {
		if v.fingerprint != fp || time.Since(v.at) >= positionCacheTTL {
			delete(c.entries, k)
		}
	}
	for len(c.entries) >= positionCacheSize {
		var oldest, at time.Time
		for k, v := range c.entries {
			if at.IsZero() || v.at.Before(at) {
				oldest, at = k, v.at
			}
		}
		delete(c.entries, oldest)
	}
	c.entries[asOf] = cachedPosition{pos: pos, fingerprint: fp, at: time.Now()}
}

// pointCache keeps the trend's quarter figures (a few tallies each), so
// that the overview does not recompute eight quarters' positions once they
// have left the position cache. Keys carry the data's fingerprint.
type pointCache struct {
	mu     sync.Mutex
	points map[string]trendRow
}

const pointCacheSize = 256

func (c *pointCache) get(key string) (trendRow, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	row, ok := c.points[key]
	return row, ok
}

func (c *pointCache) put(key string, row trendRow) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.points == nil || len(c.points) >= pointCacheSize {
		c.points = map[string]trendRow{} // stale keys go with the rest
	}
	c.points[key] = row
}

// fingerprint changes whenever an import is added or replaced.
func (s *server) fingerprint(ctx context.Context) (string, error) {
	imports, err := s.store.Imports(ctx)
	if err != nil {
		return "", err
	}
	if len(imports) == 0 {
		return "none", nil
	}
	return fmt.Sprintf("%d/%d/%d", len(imports), imports[0].ID, imports[0].ImportedAt.UnixNano()), nil
}

// load is report.Load through the cache, and through s.work: a few at a
// time, and one computation for requests for the same date on the same
// data. The position returned is shared: callers must not reorder or
// change its people.
func (s *server) load(ctx context.Context, asOf time.Time) (*report.Position, error) {
	asOf = compliance.Day(asOf)
	fp, err := s.fingerprint(ctx)
	if err != nil {
		return nil, err
	}
	if pos := s.position.get(asOf, fp); pos != nil {
		return pos, nil
	}
	v, err := s.work.do(ctx, "position "+isoDate(asOf)+" "+fp, func(ctx context.Context) (any, error) {
		if pos := s.position.get(asOf, fp); pos != nil {
			return pos, nil // computed while this waited its turn
		}
		s.computed.Add(1)
		pos, err := report.Load(ctx, s.store, s.policy, asOf)
		if err != nil {
			return nil, err
		}
		s.position.put(asOf, fp, pos)
		return pos, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*report.Position), nil
}

// noSnapshot reports whether err says there is no staff snapshot for the
// date.
func noSnapshot(err error) bool {
	var ns *report.NoSnapshotError
	return errors.As(err, &ns)
}

// tokens maps people to the opaque tokens in their pages' addresses: an
// HMAC of the employee number under the process key, so that the address
// gives nothing away and cannot be guessed from a number.
type tokens struct {
	key []byte
	mu  sync.RWMutex
	emp map[string]string // token -> employee number
}

func (s *server) personToken(emp string) string {
	tok := s.mac("person", emp)[:22] // 132 bits
	t := s.people
	t.mu.RLock()
	_, known := t.emp[tok]
	t.mu.RUnlock()
	if !known {
		t.mu.Lock()
		if t.emp == nil {
			t.emp = map[string]string{}
		}
		t.emp[tok] = emp
		t.mu.Unlock()
	}
	return tok
}

// personByToken finds the employee number behind a token: one handed out
// by this process, else anyone in any snapshot (after a restart the
// tokens are new, so an old address finds nobody).
func (s *server) personByToken(ctx context.Context, tok string) (string, bool, error) {
	t := s.people
	t.mu.RLock()
	emp, ok := t.emp[tok]
	t.mu.RUnlock()
	if ok {
		return emp, true, nil
	}
	all, err := s.store.EmployeeNumbers(ctx)
	if err != nil {
		return "", false, err
	}
	for _, e := range all {
		if s.personToken(e) == tok {
			return e, true, nil
		}
	}
	return "", false, nil
}
