package web

import (
	"context"
	"crypto/subtle"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode"

	"golang.org/x/crypto/bcrypt"

	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/store"
)

// Cookie names.
const (
	sessionCookie = "prevent_session"
	csrfCookie    = "prevent_csrf"
	csrfField     = "csrf_token"
)

// Session lifetimes: a session lapses after an idle hour, and after twelve
// hours however busy.
const (
	sessionIdle     = time.Hour
	sessionLifetime = 12 * time.Hour
)

// Sign-in throttling. Every attempt for one name from one client address
// is counted as it starts (so that attempts made at once cannot all slip
// in before the first failure is counted); after maxFailures of them
// without success, each further attempt must wait: throttleDelay, doubling
// with each failure, up to failureWindow. The wait is refused without the
// password being checked. A name and address quiet for failureWindow after
// their wait are forgotten. Keyed by both, and by the address behind a
// trusted proxy, so that nobody can lock another person out.
const (
	maxFailures   = 10
	throttleDelay = 30 * time.Second
	failureWindow = 15 * time.Minute
	// maxTracked bounds the names and addresses remembered: past it the
	// one failed longest ago is forgotten.
	maxTracked = 10000
)

// auth signs people in. Its mode follows the config: nobody (loopback
// only, no sign-in), users (a /login form and sessions in memory), or a
// trusted proxy header.
type auth struct {
	s       *server
	users   []config.WebUser
	proxy   string // header name, "" when not in proxy mode
	proxies []netip.Prefix

	mu       sync.Mutex
	sessions map[string]*session
	failures map[string]*failures
	swept    time.Time
	refusals map[string]time.Time // proxy requests refused, by address

	dummy func() []byte
}

type session struct {
	user    string
	created time.Time
	seen    time.Time
}

// failures are the attempts of one name from one address.
type failures struct {
	count int
	last  time.Time // the last attempt
	until time.Time // no attempt before this
}

func newAuth(s *server) *auth {
	a := &auth{s: s, users: s.cfg.Web.Users, proxy: strings.TrimSpace(s.cfg.Web.ProxyHeader),
		proxies: s.cfg.Web.Proxies(), sessions: map[string]*session{}, failures: map[string]*failures{}}
	a.dummy = sync.OnceValue(func() []byte { return dummyHash(a.users) })
	return a
}

// dummyHash is compared against when a user name is unknown, so that a
// wrong name takes as long as a wrong password: it has the cost of the
// dearest configured hash. Made on first use, not at start: every prevent
// command links this package.
func dummyHash(users []config.WebUser) []byte {
	cost := bcrypt.DefaultCost
	for _, u := range users {
		if c, err := bcrypt.Cost([]byte(u.PasswordHash)); err == nil && c > cost {
			cost = c
		}
	}
	h, _ := bcrypt.GenerateFromPassword([]byte("not a password"), cost)
	return h
}

func (a *auth) enabled() bool { return len(a.users) > 0 || a.proxy != "" }

type userKey struct{}

// userOf is the signed-in user of a request, "" when signing in is off.
func userOf(r *http.Request) string {
	u, _ := r.Context().Value(userKey{}).(string)
	return u
}

// publicPath reports whether a path is served without signing in: the
// sign-in form and what it needs.
func publicPath(p string) bool {
	return p == "/login" || p == "/healthz" || strings.HasPrefix(p, "/static/")
}

// require lets a request through when signing in is off, the path is
// public, or the request is signed in. Otherwise a page is redirected to
// the sign-in form and anything else (an export, a POST) is refused.
func (a *auth) require(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.enabled() {
			next.ServeHTTP(w, r)
			return
		}
		user := a.user(r)
		if user != "" {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), userKey{}, user)))
			return
		}
		if publicPath(r.URL.Path) || (r.URL.Path == "/logout" && a.proxy == "") {
			next.ServeHTTP(w, r)
			return
		}
		if a.proxy != "" {
			a.refuseProxy(w, r)
			return
		}
		if (r.Method == http.MethodGet || r.Method == http.MethodHead) && !isExport(r.URL.Path) {
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		a.s.fail(w, r, http.StatusForbidden, "Sign in first.")
	})
}

// proxyUser is the user a proxy request names: only a trusted proxy may
// name one, with a name fit for the audit trail.
func (a *auth) proxyUser(r *http.Request) string {
	name := strings.TrimSpace(r.Header.Get(a.proxy))
	if name == "" || len(name) > config.MaxUserName || strings.ContainsFunc(name, unicode.IsControl) {
		return ""
	}
	if addr, err := netip.ParseAddr(clientIP(r)); err != nil || !a.trusted(addr) {
		return ""
	}
	return name
}

// refuseProxy answers a request in proxy mode that names no user the
// dashboard can believe. One that carries the header from an address not
// among web.trusted_proxies is someone setting it themselves: it is
// logged and audited.
func (a *auth) refuseProxy(w http.ResponseWriter, r *http.Request) {
	if r.Header.Get(a.proxy) != "" {
		peer := clientIP(r)
		a.s.log.Warn("dashboard request refused: it names a user but did not come from a trusted proxy", "from", peer, "path", r.URL.Path)
		if a.shouldAuditRefusal(peer, a.s.now()) {
			a.s.audit(r, "(refused)", store.AuditProxyRefused, fmt.Sprintf("from %s: %s names a user but the address is not in web.trusted_proxies", peer, a.proxy))
		}
	}
	a.s.fail(w, r, http.StatusForbidden, "This dashboard is signed in to through the organisation's sign-in proxy, and this request did not come through it.")
}

func isExport(p string) bool {
	return strings.HasSuffix(p, ".csv") || strings.HasSuffix(p, ".xlsx") || strings.HasPrefix(p, "/returns/")
}

// user is the signed-in user of a request, "" when there is none. A
// session's idle time restarts with each request.
func (a *auth) user(r *http.Request) string {
	if a.proxy != "" {
		return a.proxyUser(r)
	}
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return ""
	}
	now := a.s.now()
	a.mu.Lock()
	defer a.mu.Unlock()
	sess := a.sessions[c.Value]
	if sess == nil {
		return ""
	}
	if now.Sub(sess.seen) > sessionIdle || now.Sub(sess.created) > sessionLifetime {
		delete(a.sessions, c.Value)
		return ""
	}
	sess.seen = now
	return sess.user
}

// csrfToken is the token forms carry: the HMAC of the browser's CSRF
// cookie, which is set here when missing. A page from another site can
// neither read the cookie nor compute the token.
func (s *server) csrfToken(w http.ResponseWriter, r *http.Request) string {
	seed := ""
	if c, err := r.Cookie(csrfCookie); err == nil && len(c.Value) >= 32 {
		seed = c.Value
	} else {
		seed = s.setCSRFCookie(w, r)
	}
	return s.mac("csrf", seed)
}

func (s *server) setCSRFCookie(w http.ResponseWriter, r *http.Request) string {
	seed := randomToken(32)
	http.SetCookie(w, &http.Cookie{Name: csrfCookie, Value: seed, Path: "/", HttpOnly: true,
		Secure: s.secureFor(r), SameSite: http.SameSiteStrictMode})
	return seed
}

// secureFor reports whether cookies set in answer to r are to be marked
// Secure (sent back over HTTPS only): when Options.Secure says so, when r
// came over TLS, or when a TLS-terminating proxy in front says it did
// (X-Forwarded-Proto: https). Someone faking that header over plain HTTP
// only gets cookies their browser will not send back.
func (s *server) secureFor(r *http.Request) bool {
	return s.secure || r.TLS != nil || strings.EqualFold(strings.TrimSpace(r.Header.Get("X-Forwarded-Proto")), "https")
}

// checkCSRF refuses every request that could change something (anything
// but GET, HEAD and OPTIONS) unless its form carries the token of its CSRF
// cookie.
func (a *auth) checkCSRF(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			next.ServeHTTP(w, r)
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
		if formTooLarge(r) {
			a.s.fail(w, r, http.StatusRequestEntityTooLarge, "This form is larger than any of the dashboard's.")
			return
		}
		c, err := r.Cookie(csrfCookie)
		given := r.PostFormValue(csrfField)
		if err != nil || given == "" || subtle.ConstantTimeCompare([]byte(given), []byte(a.s.mac("csrf", c.Value))) != 1 {
			a.s.fail(w, r, http.StatusForbidden, "This form has expired or did not come from this dashboard. Go back, reload the page and try again.")
			return
		}
		next.ServeHTTP(w, r)
	})
}

type loginData struct {
	Next  string
	Name  string
	Error string
}

func (a *auth) loginPage(w http.ResponseWriter, r *http.Request) {
	if len(a.users) == 0 {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	a.s.render(w, r, http.StatusOK, "login", "Sign in", loginData{Next: safeNext(r.URL.Query().Get("next"))})
}

func (a *auth) login(w http.ResponseWriter, r *http.Request) {
	if len(a.users) == 0 {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	next := safeNext(r.PostFormValue("next"))
	name := strings.TrimSpace(r.PostFormValue("name"))
	password := r.PostFormValue("password")
	from := a.clientAddr(r)
	refuse := func(status int, why string) {
		shown := name
		if len(shown) > config.MaxUserName {
			shown = ""
		}
		a.s.render(w, r, status, "login", "Sign in", loginData{Next: next, Name: shown, Error: why})
	}
	if len(name) > config.MaxUserName || len(password) > maxPassword {
		// No user has such a name (config refuses one), and nothing of it
		// is kept.
		refuse(http.StatusUnauthorized, "The name or password is not right.")
		return
	}
	key := from + "\x00" + config.UserKey(name)
	if wait, ok := a.attempt(key, a.s.now()); !ok {
		refuse(http.StatusTooManyRequests, fmt.Sprintf("Too many failed attempts for this name from this computer. Wait %s and try again.", waitWords(wait)))
		return
	}
	user, ok := a.check(name, password)
	if !ok {
		a.failed(r, key, user, from)
		refuse(http.StatusUnauthorized, "The name or password is not right.")
		return
	}
	id := randomToken(32)
	now := a.s.now()
	a.mu.Lock()
	a.sweep(now)
	a.sessions[id] = &session{user: user, created: now, seen: now}
	delete(a.failures, key)
	a.mu.Unlock()
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: id, Path: "/", HttpOnly: true,
		Secure: a.s.secureFor(r), SameSite: http.SameSiteStrictMode, MaxAge: int(sessionLifetime.Seconds())})
	a.s.setCSRFCookie(w, r) // a fresh CSRF cookie for the session
	a.s.log.Info("dashboard sign-in", "from", from)
	a.s.audit(r, user, store.AuditSignIn, "from "+from)
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// maxPassword is longer than any password (bcrypt reads 72 bytes).
const maxPassword = 1024

// failed records a failed sign-in: in the log (without the name, which
// may be a person's, or a password typed in the wrong box) and in the
// audit trail, under the user's name when it is a user's.
func (a *auth) failed(r *http.Request, key, user, from string) {
	a.mu.Lock()
	f := a.failures[key]
	count, wait := 0, time.Duration(0)
	if f != nil {
		count, wait = f.count, f.until.Sub(f.last)
	}
	a.mu.Unlock()
	who := user
	if who == "" {
		who = "(unknown name)"
	}
	detail := fmt.Sprintf("from %s: %d failed in a row", from, count)
	if wait > 0 {
		detail += fmt.Sprintf(", the next try waits %s", wait)
		a.s.log.Warn("dashboard sign-in failed: further tries from this address for this name must wait", "from", from, "failures", count, "wait", wait.String())
	} else {
		a.s.log.Warn("dashboard sign-in failed", "from", from, "failures", count)
	}
	a.s.audit(r, who, store.AuditSignInFailed, detail)
}

// waitWords says how long to wait, in whole minutes or seconds.
func waitWords(d time.Duration) string {
	if d > time.Minute {
		m := int((d + time.Minute - 1) / time.Minute)
		return fmt.Sprintf("%d minutes", m)
	}
	return fmt.Sprintf("%d seconds", int((d+time.Second-1)/time.Second))
}

// check compares a password with the user's bcrypt hash, taking as long
// for an unknown name. user is the user the name names, "" for none.
func (a *auth) check(name, password string) (user string, ok bool) {
	hash, key := a.dummy(), config.UserKey(name)
	for _, u := range a.users {
		if config.UserKey(u.Name) == key {
			hash, user = []byte(u.PasswordHash), strings.TrimSpace(u.Name)
			break
		}
	}
	err := bcrypt.CompareHashAndPassword(hash, []byte(password))
	return user, err == nil && user != ""
}

func (a *auth) logout(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.mu.Lock()
		delete(a.sessions, c.Value)
		a.mu.Unlock()
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: a.s.secureFor(r), SameSite: http.SameSiteStrictMode, MaxAge: -1})
	target := "/login"
	if len(a.users) == 0 {
		target = "/"
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// sweep forgets lapsed sessions and failures past their window; a.mu is
// held.
func (a *auth) sweep(now time.Time) {
	for id, sess := range a.sessions {
		if now.Sub(sess.seen) > sessionIdle || now.Sub(sess.created) > sessionLifetime {
			delete(a.sessions, id)
		}
	}
	for key, f := range a.failures {
		if f.expired(now) {
			delete(a.failures, key)
		}
	}
	a.swept = now
}

// expired reports whether the failures are old enough to forget: quiet for
// failureWindow after any wait ended.
func (f *failures) expired(now time.Time) bool {
	end := f.last
	if f.until.After(end) {
		end = f.until
	}
	return now.Sub(end) > failureWindow
}

// attempt counts an attempt to sign in for the key, refusing it (with how
// long to wait) while the key's failures make it wait. The check and the
// count are one step under a.mu, so attempts made at once are counted one
// by one; a success forgets the count.
func (a *auth) attempt(key string, now time.Time) (time.Duration, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if now.Sub(a.swept) > time.Minute || len(a.failures) >= maxTracked {
		a.sweep(now)
	}
	f := a.failures[key]
	if f != nil && f.expired(now) {
		f = nil
	}
	if f != nil && now.Before(f.until) {
		return f.until.Sub(now), false
	}
	if f == nil {
		a.forgetOldest()
		f = &failures{}
		a.failures[key] = f
	}
	f.count++
	f.last = now
	if f.count >= maxFailures {
		wait := failureWindow
		if n := f.count - maxFailures; n < 16 {
			wait = min(throttleDelay<<n, failureWindow)
		}
		f.until = now.Add(wait)
	}
	return 0, true
}

// forgetOldest makes room for one more key when maxTracked are held; a.mu
// is held.
func (a *auth) forgetOldest() {
	if len(a.failures) < maxTracked {
		return
	}
	var oldest string
	var at time.Time
	for k, f := range a.failures {
		if at.IsZero() || f.last.Before(at) {
			oldest, at = k, f.last
		}
	}
	delete(a.failures, oldest)
}

// clientAddr is the address a request came from: the peer's, or, when
// the peer is a trusted proxy, the address the proxy says it forwarded
// for (the last in X-Forwarded-For that is not itself a trusted proxy).
func (a *auth) clientAddr(r *http.Request) string {
	peer := clientIP(r)
	addr, err := netip.ParseAddr(peer)
	if err != nil || !a.trusted(addr) {
		return peer
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break
		}
		if !a.trusted(hop) {
			return hop.Unmap().String()
		}
		peer = hop.Unmap().String()
	}
	return peer
}

// trusted reports whether an address is one of the trusted proxies.
func (a *auth) trusted(addr netip.Addr) bool {
	addr = addr.Unmap()
	for _, p := range a.proxies {
		if p.Contains(addr) {
			return true
		}
	}
	return false
}

// clientIP is the address of the peer (the proxy's, behind one).
func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// safeNext keeps a post-sign-in destination on this site: a path, never
// "//host" or an absolute URL.
// Browsers drop tabs and line breaks from addresses, so "/\t/evil.example"
// is "//evil.example" to them: any control character is refused.
func safeNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsFunc(next, unicode.IsControl) {
		return "/"
	}
	return next
}
