// Package mailtest runs, inside a test, what NHSmail is made of: an OAuth
// 2.0 token endpoint (client-credentials grant, as Azure AD answers it), an
// SMTP server and an IMAP server that take SASL XOAUTH2 with its tokens (or
// a password, or no sign-in for a relay). Tests of sending and fetching
// mail use them; production code never imports this package.
package mailtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// TokenServer is an OAuth 2.0 token endpoint on http://127.0.0.1 that
// grants tokens to one client by the client-credentials grant.
type TokenServer struct {
	URL          string // the token endpoint
	ClientID     string
	ClientSecret string
	Scope        string // the scope a request must ask for

	mu        sync.Mutex
	expiresIn int             // seconds, as the grant says
	requests  int             // token requests received, granted or not
	granted   []string        // tokens granted, in order
	revoked   map[string]bool // tokens a mail server no longer takes
	revokeNew bool            // revoke each token as it is granted
	bodies    []string        // request bodies as received, for leak checks
	headers   []http.Header   // request headers as received
}

// StartTokenServer starts a token endpoint for the client with the given
// secret; tokens last an hour unless SetExpiresIn says otherwise.
func StartTokenServer(t testing.TB, clientID, clientSecret, scope string) *TokenServer {
	t.Helper()
	ts := &TokenServer{ClientID: clientID, ClientSecret: clientSecret, Scope: scope,
		expiresIn: 3600, revoked: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(ts.serve))
	t.Cleanup(srv.Close)
	ts.URL = srv.URL + "/tenant/oauth2/v2.0/token"
	return ts
}

func (ts *TokenServer) serve(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.requests++
	ts.bodies = append(ts.bodies, r.PostForm.Encode())
	ts.headers = append(ts.headers, r.Header.Clone())
	fail := func(status int, code, description string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]any{"error": code, "error_description": description,
			"error_codes": []int{7000215}, "trace_id": "0000", "correlation_id": "1111"})
	}
	switch {
	case r.Method != http.MethodPost || r.PostForm.Get("grant_type") != "client_credentials":
		fail(http.StatusBadRequest, "unsupported_grant_type", "AADSTS70003: The app requested an unsupported grant type.")
	case r.PostForm.Get("client_id") != ts.ClientID || r.PostForm.Get("client_secret") != ts.ClientSecret:
		// What Azure AD says to a wrong secret, trace IDs and all.
		fail(http.StatusUnauthorized, "invalid_client", "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent "+
			"in the request is the client secret value, not the client secret ID.\r\nTrace ID: 0000\r\nCorrelation ID: 1111\r\nTimestamp: 2026-12-02 07:00:00Z")
	case ts.Scope != "" && r.PostForm.Get("scope") != ts.Scope:
		fail(http.StatusBadRequest, "invalid_scope", "AADSTS1002012: The provided value for scope "+r.PostForm.Get("scope")+" is not valid.")
	default:
		token := "eyJ0eXAi." + random()
		ts.granted = append(ts.granted, token)
		if ts.revokeNew {
			ts.revoked[token] = true
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"token_type": "Bearer", "expires_in": ts.expiresIn,
			"ext_expires_in": ts.expiresIn, "access_token": token})
	}
}

func random() string {
	var b [18]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// SetExpiresIn sets the lifetime, in seconds, of the tokens granted from now.
func (ts *TokenServer) SetExpiresIn(seconds int) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.expiresIn = seconds
}

// Requests is how many token requests have arrived.
func (ts *TokenServer) Requests() int {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return ts.requests
}

// Granted lists the tokens granted so far.
func (ts *TokenServer) Granted() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.granted...)
}

// RevokeAll makes the mail servers refuse every token granted so far and,
// while on is true, every token granted from now on (an administrator who
// took the application's access to the mailbox away). RevokeAll(false)
// gives access back to tokens granted from then on.
func (ts *TokenServer) RevokeAll(on bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for _, tok := range ts.granted {
		ts.revoked[tok] = true
	}
	ts.revokeNew = on
}

// Revoke makes the mail servers refuse one token.
func (ts *TokenServer) Revoke(token string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	ts.revoked[token] = true
}

// Valid reports whether a mail server takes token: granted here and not
// revoked.
func (ts *TokenServer) Valid(token string) bool {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if ts.revoked[token] {
		return false
	}
	for _, tok := range ts.granted {
		if tok == token {
			return true
		}
	}
	return false
}

// Received is every token request as received: its form body and headers,
// one string each, for tests that check where the secret went.
func (ts *TokenServer) Received() (bodies []string, headers []string) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	for i, b := range ts.bodies {
		bodies = append(bodies, b)
		h := ""
		for name, vals := range ts.headers[i] {
			for _, v := range vals {
				h += name + ": " + v + "\n"
			}
		}
		headers = append(headers, h+"#"+strconv.Itoa(i))
	}
	return bodies, headers
}
