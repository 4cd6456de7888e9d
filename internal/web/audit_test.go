package web

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// lastAudit is the newest audit line of an action.
func lastAudit(t *testing.T, s *store.Store, action string) store.AuditEntry {
	t.Helper()
	e, err := s.LastAudit(context.Background(), action)
	if err != nil {
		t.Fatal(err)
	}
	if e == nil {
		t.Fatalf("no %s on the audit trail", action)
	}
	return *e
}

func TestExportsAndSignInsAreAudited(t *testing.T) {
	s, demoCfg := demoStore(t)
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := *demoCfg
	cfg.Web = config.Web{Users: []config.WebUser{{Name: "sarah.kingsley", PasswordHash: string(hash)}}}
	srv, _ := testServer(t, s, &cfg, false)
	c := client(t)

	tok := csrfOf(t, get(t, c, srv.URL+"/login").body)
	post(t, c, srv.URL+"/login", url.Values{"name": {"Sarah.Kingsley"}, "password": {"wrong"}, csrfField: {tok}})
	if e := lastAudit(t, s, store.AuditSignInFailed); e.Who != "sarah.kingsley" || !strings.Contains(e.Detail, "from 127.0.0.1") {
		t.Errorf("failed sign-in: %+v", e)
	}
	post(t, c, srv.URL+"/login", url.Values{"name": {"Robert'); DROP TABLE--"}, "password": {"wrong"}, csrfField: {tok}})
	if e := lastAudit(t, s, store.AuditSignInFailed); e.Who != "(unknown name)" || strings.Contains(e.Detail, "Robert") {
		t.Errorf("a failed sign-in under a name nobody has must not quote it: %+v", e)
	}
	r := post(t, c, srv.URL+"/login", url.Values{"name": {"sarah.kingsley"}, "password": {"correct horse battery"}, csrfField: {tok}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("sign in: status %d", r.status)
	}
	if e := lastAudit(t, s, store.AuditSignIn); e.Who != "sarah.kingsley" || e.Detail != "from 127.0.0.1" || !e.At.Equal(testNow) {
		t.Errorf("sign-in: %+v", e)
	}

	for _, path := range []string{"/people.csv?status=expired&org=Example+Acute", "/people.xlsx?status=expired&org=Example+Acute"} {
		r := get(t, c, srv.URL+path)
		if r.status != http.StatusOK {
			t.Fatalf("%s: status %d", path, r.status)
		}
		e := lastAudit(t, s, store.AuditExport)
		p, _, _ := strings.Cut(path, "?")
		if e.Who != "sarah.kingsley" || !strings.HasPrefix(e.Detail, p+"?") || !strings.Contains(e.Detail, "status=expired") ||
			!strings.Contains(e.Detail, "org=Example+Acute") || !e.At.Equal(testNow) {
			t.Errorf("%s: audit %+v", path, e)
		}
		if strings.HasSuffix(p, ".csv") {
			rows, err := csv.NewReader(strings.NewReader(r.body)).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			if want := fmt.Sprintf(": %d rows", len(rows)-1); !strings.HasSuffix(e.Detail, want) {
				t.Errorf("audit %q does not end %q", e.Detail, want)
			}
		}
	}
	for _, path := range []string{"/tna.csv", "/returns/2026-27Q2.xlsx"} {
		if r := get(t, c, srv.URL+path); r.status != http.StatusOK {
			t.Fatalf("%s: status %d", path, r.status)
		}
		if e := lastAudit(t, s, store.AuditExport); e.Who != "sarah.kingsley" || !strings.HasPrefix(e.Detail, path+": ") {
			t.Errorf("%s: audit %+v", path, e)
		}
	}
	t.Run("an address cannot write lines into the trail", func(t *testing.T) {
		get(t, c, srv.URL+"/people.csv?org=%0A2026-01-01+root+purge+%1B%5B2J")
		if e := lastAudit(t, s, store.AuditExport); strings.ContainsAny(e.Detail, "\n\x1b") {
			t.Errorf("control characters in the trail: %q", e.Detail)
		}
	})
}

func TestProxyModeAuditsAndTrusts(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		_, demoCfg := demoStore(t)
		cfg := *demoCfg
		ask := func(srv, path, user string) response {
			req, _ := http.NewRequest(http.MethodGet, srv+path, nil)
			req.Header.Set("X-Forwarded-User", user)
			resp, err := client(t).Do(req)
			if err != nil {
				t.Fatal(err)
			}
			return read(t, resp)
		}
		t.Run("a proxy-named user's download is theirs on the trail", func(t *testing.T) {
			cfg.Web = config.Web{ProxyHeader: "X-Forwarded-User"} // loopback trusted by default
			srv, _ := testServer(t, s, &cfg, false)
			if r := ask(srv.URL, "/tna.csv", "lead@example.nhs.net"); r.status != http.StatusOK {
				t.Fatalf("status %d", r.status)
			}
			if e := lastAudit(t, s, store.AuditExport); e.Who != "lead@example.nhs.net" || !strings.HasPrefix(e.Detail, "/tna.csv: ") {
				t.Errorf("audit %+v", e)
			}
		})
		t.Run("the header from an address not trusted is refused and audited", func(t *testing.T) {
			cfg.Web = config.Web{ProxyHeader: "X-Forwarded-User", TrustedProxies: []string{"10.20.0.0/16"}}
			srv, logs := testServer(t, s, &cfg, false)
			for range 3 {
				if r := ask(srv.URL, "/people.csv", "lead@example.nhs.net"); r.status != http.StatusForbidden || strings.Contains(r.body, "employee_number") {
					t.Fatalf("status %d, want 403", r.status)
				}
			}
			e := lastAudit(t, s, store.AuditProxyRefused)
			if !strings.Contains(e.Detail, "from 127.0.0.1") || !strings.Contains(e.Detail, "web.trusted_proxies") {
				t.Errorf("audit %+v", e)
			}
			all, err := s.AuditTrail(context.Background(), store.AuditProxyRefused, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != 1 {
				t.Errorf("three refusals in a minute made %d audit lines, want 1", len(all))
			}
			if !strings.Contains(logs.String(), "did not come from a trusted proxy") {
				t.Errorf("the refusal is not logged:\n%s", logs.String())
			}
		})
	})
}
