package store_test

import (
	"context"
	"sync"
	"testing"

	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// Ten readers at once on PostgreSQL, then ten again, use the same
// connections: the second round starts no new server process.
func TestPostgresKeepsConnectionsForVisitors(t *testing.T) {
	s := storetest.Open(t, storetest.PostgresDSN(t))
	round := func() {
		var wg sync.WaitGroup
		var hold sync.WaitGroup
		hold.Add(10)
		for range 10 {
			wg.Go(func() {
				c, err := s.DB().Conn(context.Background())
				if err != nil {
					t.Error(err)
					hold.Done()
					return
				}
				defer c.Close()
				hold.Done()
				hold.Wait() // all ten held at once
				if _, err := c.ExecContext(context.Background(), "SELECT 1"); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
	}
	round()
	opened := s.DB().Stats().OpenConnections
	round()
	st := s.DB().Stats()
	if opened < 10 || st.OpenConnections != opened || st.MaxIdleClosed != 0 {
		t.Errorf("after the first round %d open, after the second %d open, %d closed for want of room: want 10 or more, the same, none",
			opened, st.OpenConnections, st.MaxIdleClosed)
	}
}
