package web

import (
	"fmt"
	"net/http"
	"net/url"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/nhs-prevent/prevent/internal/config"
)

// lockOutServer is the demo trust with one user, sarah.kingsley, whose
// password is "correct horse battery", on a clock the test moves.
func lockOutServer(t *testing.T, web config.Web) (srv string, wait func(time.Duration), logs *logBuffer) {
	t.Helper()
	s, demoCfg := demoStore(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := *demoCfg
	web.Users = []config.WebUser{{Name: "sarah.kingsley", PasswordHash: string(hash)}}
	cfg.Web = web
	var mu sync.Mutex
	now := testNow
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	h, logs := clockServer(t, s, &cfg, false, clock)
	return h.URL, func(d time.Duration) { mu.Lock(); now = now.Add(d); mu.Unlock() }, logs
}

// signInAs posts the sign-in form from a fresh browser, with
// X-Forwarded-For set when forwarded is not "".
func signInAs(t *testing.T, srv, name, password, forwarded string) int {
	t.Helper()
	c := client(t)
	tok := csrfOf(t, get(t, c, srv+"/login").body)
	form := url.Values{"name": {name}, "password": {password}, csrfField: {tok}}
	req, _ := http.NewRequest(http.MethodPost, srv+"/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if forwarded != "" {
		req.Header.Set("X-Forwarded-For", forwarded)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return read(t, resp).status
}

func TestSignInLockOut(t *testing.T) {
	t.Run("forty wrong passwords at once get no more checks than ten one by one", func(t *testing.T) {
		srv, _, _ := lockOutServer(t, config.Web{})
		c := client(t)
		tok := csrfOf(t, get(t, c, srv+"/login").body)
		codes := make(chan int, 40)
		var wg sync.WaitGroup
		for range 40 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				resp, err := c.PostForm(srv+"/login", url.Values{"name": {"sarah.kingsley"}, "password": {"guess"}, csrfField: {tok}})
				if err != nil {
					t.Error(err)
					return
				}
				codes <- read(t, resp).status
			}()
		}
		wg.Wait()
		close(codes)
		count := map[int]int{}
		for c := range codes {
			count[c]++
		}
		if count[http.StatusUnauthorized] > maxFailures || count[http.StatusTooManyRequests] != 40-count[http.StatusUnauthorized] {
			t.Errorf("40 at once: %d passwords checked (401), %d refused unchecked (429); want at most %d checked",
				count[http.StatusUnauthorized], count[http.StatusTooManyRequests], maxFailures)
		}
	})
	t.Run("a long s in the name does not get past a lock-out", func(t *testing.T) {
		srv, _, _ := lockOutServer(t, config.Web{})
		for range maxFailures {
			signInAs(t, srv, "sarah.kingsley", "guess", "")
		}
		for _, name := range []string{"sarah.kingsley", "SARAH.KINGSLEY", "ſarah.kingsley", " sarah.kingsley "} {
			if code := signInAs(t, srv, name, "correct horse battery", ""); code != http.StatusTooManyRequests {
				t.Errorf("%q with the right password during the lock-out: status %d, want 429", name, code)
			}
		}
	})
	t.Run("behind a trusted proxy one person's failures do not hold up another", func(t *testing.T) {
		srv, _, logs := lockOutServer(t, config.Web{}) // loopback, the test's own address, is trusted by default
		for range maxFailures {
			signInAs(t, srv, "sarah.kingsley", "guess", "203.0.113.9")
		}
		if code := signInAs(t, srv, "sarah.kingsley", "correct horse battery", "203.0.113.9"); code != http.StatusTooManyRequests {
			t.Errorf("the attacker's address: status %d, want 429", code)
		}
		if code := signInAs(t, srv, "sarah.kingsley", "correct horse battery", "198.51.100.7"); code != http.StatusSeeOther {
			t.Errorf("Sarah from her own address behind the same proxy: status %d, want 303", code)
		}
		if !strings.Contains(logs.String(), "further tries from this address for this name must wait") || !strings.Contains(logs.String(), "from=203.0.113.9") {
			t.Errorf("the wait is not logged with the address:\n%s", logs.String())
		}
	})
	t.Run("a peer that is not a trusted proxy cannot name other addresses", func(t *testing.T) {
		srv, _, _ := lockOutServer(t, config.Web{TrustedProxies: []string{"10.0.0.1"}})
		for i := range maxFailures {
			signInAs(t, srv, "sarah.kingsley", "guess", fmt.Sprintf("192.0.2.%d", i))
		}
		if code := signInAs(t, srv, "sarah.kingsley", "correct horse battery", "192.0.2.99"); code != http.StatusTooManyRequests {
			t.Errorf("a new X-Forwarded-For from an untrusted peer: status %d, want 429", code)
		}
	})
	t.Run("the wait doubles with each failure and then ends", func(t *testing.T) {
		srv, wait, _ := lockOutServer(t, config.Web{})
		for range maxFailures {
			signInAs(t, srv, "sarah.kingsley", "guess", "")
		}
		steps := []struct {
			after time.Duration
			want  int
		}{
			{0, http.StatusTooManyRequests},
			{throttleDelay + time.Second, http.StatusUnauthorized}, // the wait over: checked, and failed
			{0, http.StatusTooManyRequests},
			{throttleDelay + time.Second, http.StatusTooManyRequests}, // now twice as long
			{throttleDelay, http.StatusUnauthorized},
		}
		for i, st := range steps {
			wait(st.after)
			if code := signInAs(t, srv, "sarah.kingsley", "guess", ""); code != st.want {
				t.Errorf("step %d: status %d, want %d", i, code, st.want)
			}
		}
		wait(failureWindow)
		if code := signInAs(t, srv, "sarah.kingsley", "correct horse battery", ""); code != http.StatusSeeOther {
			t.Errorf("after the longest wait: status %d, want 303", code)
		}
	})
	t.Run("long names are not kept", func(t *testing.T) {
		srv, _, _ := lockOutServer(t, config.Web{})
		c := client(t)
		tok := csrfOf(t, get(t, c, srv+"/login").body)
		runtime.GC()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		for i := range 180 {
			name := fmt.Sprintf("%d%s", i, strings.Repeat("x", 62<<10))
			resp, err := c.PostForm(srv+"/login", url.Values{"name": {name}, "password": {"guess"}, csrfField: {tok}})
			if err != nil {
				t.Fatal(err)
			}
			if r := read(t, resp); r.status != http.StatusUnauthorized && r.status != http.StatusRequestEntityTooLarge {
				t.Fatalf("a 62 KB name: status %d, want 401 or 413", r.status)
			}
		}
		runtime.GC()
		runtime.ReadMemStats(&after)
		if grew := int64(after.HeapAlloc) - int64(before.HeapAlloc); grew > 4<<20 {
			t.Errorf("180 failed sign-ins with 62 KB names left the heap %d MB larger", grew>>20)
		}
	})
}

func TestUnknownNamesTakeAsLongAsWrongPasswords(t *testing.T) {
	s, demoCfg := demoStore(t)
	// Cost 12, as the README recommends: dearer than the library's
	// default.
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), 12)
	if err != nil {
		t.Fatal(err)
	}
	cfg := *demoCfg
	cfg.Web = config.Web{Users: []config.WebUser{{Name: "sarah.kingsley", PasswordHash: string(hash)}}}
	srv, _ := testServer(t, s, &cfg, false)
	median := func(name string) time.Duration {
		var times []time.Duration
		for i := range 5 {
			start := time.Now()
			if code := signInAs(t, srv.URL, name, "guess", fmt.Sprintf("192.0.2.%d", i)); code != http.StatusUnauthorized {
				t.Fatalf("%s: status %d", name, code)
			}
			times = append(times, time.Since(start))
		}
		sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
		return times[2]
	}
	signInAs(t, srv.URL, "nobody", "guess", "") // makes the dummy hash
	known, unknown := median("sarah.kingsley"), median("nobody")
	if unknown < known*3/4 {
		t.Errorf("a wrong password takes %s, an unknown name %s: the name can be told by the time", known, unknown)
	}
	if c, _ := bcrypt.Cost(dummyHash(cfg.Web.Users)); c != 12 {
		t.Errorf("the dummy hash has cost %d, want 12 like the users'", c)
	}
}

func TestSignInSendsNowhereElse(t *testing.T) {
	for _, next := range []string{"/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/\x00/evil.example", "/\u0085/evil.example"} {
		if got := safeNext(next); got != "/" {
			t.Errorf("safeNext(%q) = %q, want /", next, got)
		}
	}
	srv, _, _ := lockOutServer(t, config.Web{})
	c := client(t)
	tok := csrfOf(t, get(t, c, srv+"/login?next=%2F%09%2Fevil.example").body)
	r := post(t, c, srv+"/login", url.Values{"name": {"sarah.kingsley"}, "password": {"correct horse battery"}, "next": {"/\t/evil.example"}, csrfField: {tok}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
		t.Errorf("next with a tab: status %d Location %q, want 303 to /", r.status, r.header.Get("Location"))
	}
}
