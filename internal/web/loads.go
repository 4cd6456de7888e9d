package web

import (
	"context"
	"fmt"
	"sync"
)

// maxLoads is how many heavy computations (a position read from the
// store, a return built) run at once. Each holds the whole workforce in
// memory while it runs: with 30,000 people, eight at once took the process
// past 700 MB. Requests beyond it wait their turn rather than fail.
const maxLoads = 2

// loads bounds and shares the dashboard's heavy work: at most maxLoads run
// at once, and requests for the same thing while it runs (the same date on
// the same data) wait for the one computation rather than start their
// own.
type loads struct {
	slots chan struct{}
	mu    sync.Mutex
	calls map[string]*call
}

// call is one computation and the requests waiting for it.
type call struct {
	done    chan struct{}
	val     any
	err     error
	waiters int
	cancel  context.CancelFunc
}

func newLoads(n int) *loads {
	return &loads{slots: make(chan struct{}, n), calls: map[string]*call{}}
}

// do returns fn's result for key, running fn when no request for the key
// is already running it. fn runs apart from any one request, so that a
// request that gives up does not fail the others waiting; it is cancelled
// when every request waiting for it has given up.
func (l *loads) do(ctx context.Context, key string, fn func(context.Context) (any, error)) (any, error) {
	l.mu.Lock()
	c := l.calls[key]
	if c == nil {
		var work context.Context
		work, cancel := context.WithCancel(context.WithoutCancel(ctx))
		c = &call{done: make(chan struct{}), cancel: cancel}
		l.calls[key] = c
		go l.run(work, key, c, fn)
	}
	c.waiters++
	l.mu.Unlock()

	select {
	case <-c.done:
		return c.val, c.err
	case <-ctx.Done():
		l.mu.Lock()
		c.waiters--
		if c.waiters == 0 {
			// Nobody wants it now: stop it, and let the next request
			// for the key start afresh rather than join a cancelled call.
			c.cancel()
			if l.calls[key] == c {
				delete(l.calls, key)
			}
		}
		l.mu.Unlock()
		return nil, ctx.Err()
	}
}

func (l *loads) run(ctx context.Context, key string, c *call, fn func(context.Context) (any, error)) {
	defer func() {
		l.mu.Lock()
		if l.calls[key] == c {
			delete(l.calls, key)
		}
		l.mu.Unlock()
		c.cancel()
		close(c.done)
	}()
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		c.err = ctx.Err()
		return
	}
	defer func() {
		<-l.slots
		// A panic here is on no request's goroutine: make it the error
		// of every request waiting, not the end of the process.
		if v := recover(); v != nil {
			c.val, c.err = nil, fmt.Errorf("dashboard internal error: %v", v)
		}
	}()
	c.val, c.err = fn(ctx)
}

// file is a download made once and served many times.
type file struct {
	name, contentType string
	body              []byte
	rows              int // for the audit trail
}

// fileCache keeps the return downloads: the same quarter on the same data
// is the same file, and building it reads nine quarters' positions. Keys
// carry the data's fingerprint, so an import makes new files; the few
// kilobytes of each are all it holds.
type fileCache struct {
	mu    sync.Mutex
	files map[string]*file
	order []string // oldest first
}

const fileCacheSize = 32

func newFileCache() *fileCache { return &fileCache{files: map[string]*file{}} }

func (c *fileCache) get(key string) *file {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.files[key]
}

func (c *fileCache) put(key string, f *file) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.files[key]; ok {
		return
	}
	for len(c.order) >= fileCacheSize {
		delete(c.files, c.order[0])
		c.order = c.order[1:]
	}
	c.files[key] = f
	c.order = append(c.order, key)
}
