package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/ingest"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// TestActivityPanel: the overview shows referral counts per quarter and
// the funnel once a referral log is imported, only to a signed-in user,
// and never a case reference.
func TestActivityPanel(t *testing.T) {
	s := storetest.Open(t, storetest.SQLiteDSN(t))
	hash, err := bcrypt.GenerateFromPassword([]byte("correct horse battery"), bcrypt.DefaultCost)
	if err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Organisation, cfg.ODSCode = "Test NHS Trust", "RT1"
	cfg.Web = config.Web{Users: []config.WebUser{{Name: "prevent.lead", PasswordHash: string(hash)}}}
	srv, _ := testServer(t, s, cfg, false)
	signIn := func() *http.Client {
		c := client(t)
		tok := csrfOf(t, get(t, c, srv.URL+"/login").body)
		if r := post(t, c, srv.URL+"/login", url.Values{"name": {"prevent.lead"}, "password": {"correct horse battery"}, csrfField: {tok}}); r.status != http.StatusSeeOther {
			t.Fatalf("sign in: status %d", r.status)
		}
		return c
	}
	c := signIn()
	if r := get(t, c, srv.URL+"/"); strings.Contains(r.body, `id="activity"`) {
		t.Error("the panel shows with no lead and no log")
	}
	dir := t.TempDir()
	log := writeFile(t, dir, "referrals.csv", "Reference,Date,Subject,Service,Outcome\n"+
		"XREF-0001,01/07/2026,patient,Adult Mental Health,referred\n"+
		"XREF-0002,15/08/2026,staff,ED,channel case\n"+
		"XREF-0003,30/09/2026,other,ED,\n")
	if _, err := ingest.Referrals(context.Background(), s, log, ingest.Options{}); err != nil {
		t.Fatal(err)
	}
	r := get(t, c, srv.URL+"/?as_of=2026-10-15")
	doc := parse(t, r.body)
	rows := tableRows(t, doc, "activity-table")
	found := false
	for _, row := range rows {
		if len(row) > 4 && strings.HasPrefix(row[0], "2026-27Q2") {
			found = true
			if strings.Join(row[1:5], ",") != "3,2,1,1" {
				t.Errorf("Q2 row %q, want 3 raised, 2 referred, 1 discussed, 1 adopted", row)
			}
		}
	}
	if !found {
		t.Errorf("no 2026-27Q2 row in the panel: %q", rows)
	}
	if !strings.Contains(r.body, "Adopted by Channel") || strings.Contains(r.body, "XREF-") {
		t.Error("the funnel is missing, or a case reference is shown")
	}
	if r := get(t, client(t), srv.URL+"/?as_of=2026-10-15"); r.status != http.StatusSeeOther || strings.Contains(r.body, "Concerns raised") {
		t.Errorf("signed out: status %d; want the sign-in redirect and no counts", r.status)
	}
}
