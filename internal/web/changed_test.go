package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/nhs-prevent/prevent/internal/report"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
	"github.com/nhs-prevent/prevent/internal/submission"
)

// The returns page says when a quarter's figures are no longer those sent:
// a return recorded sent with the figures `prevent return --send` builds
// (the digest of report.BuildReturn's, compared with the page's own
// quarter figures) shows no notice; after exemptions for past dates are
// imported it does, with the command that resends it.
func TestReturnsPageSaysFiguresChangedSinceSent(t *testing.T) {
	_, cfg := demoStore(t)
	st := storetest.Open(t, storetest.SQLiteDSN(t))
	importInto(t, st, cfg, "staff", "esr_staff_2026-09-30.csv")
	importInto(t, st, cfg, "staff", "ESR Staff Extract 2026-10-31.xlsx")
	importInto(t, st, cfg, "completions", "LMS completions export 2026-11-01.csv")
	importInto(t, st, cfg, "completions", "ESR competences 2026-11-01.xlsx")
	ctx := context.Background()
	q, err := returns.ParseQuarter("2026-27Q2")
	if err != nil {
		t.Fatal(err)
	}
	ret, _, err := report.BuildReturn(ctx, st, q, submission.ReturnOptions(cfg, testNow, false))
	if err != nil {
		t.Fatal(err)
	}
	d, err := st.EnsureDelivery(ctx, store.ReturnKind, q.String(), "commissioner@example.nhs.net", testNow)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.ClaimDelivery(ctx, d.ID, testNow, false, time.Hour); err != nil {
		t.Fatal(err)
	}
	if err := st.MarkDeliverySent(ctx, d.ID, "m1", ret.FiguresDigest(), testNow, nil); err != nil {
		t.Fatal(err)
	}
	srv, _ := testServer(t, st, cfg, false)
	c := client(t)
	if r := get(t, c, srv.URL+"/returns"); r.status != 200 || strings.Contains(r.body, `id="changed-2026-27Q2"`) ||
		!strings.Contains(r.body, "commissioner@example.nhs.net") {
		t.Fatalf("the figures as sent: %d, notice shown or delivery missing", r.status)
	}
	importInto(t, st, cfg, "exemptions", "exemptions 2026-12-01.csv")
	r := get(t, c, srv.URL+"/returns")
	doc := parse(t, r.body)
	notice := find(doc, byID("changed-2026-27Q2"))
	if len(notice) != 1 {
		t.Fatalf("after exemptions for the quarter: %d notices for 2026-27Q2", len(notice))
	}
	if got := text(notice[0]); !strings.Contains(got, "The figures have changed since the return was sent") ||
		!strings.Contains(got, `prevent return --quarter 2026-27Q2 --send --resend --reason "WHY"`) {
		t.Errorf("the notice: %s", got)
	}
	if n := len(find(doc, func(n *html.Node) bool { return strings.HasPrefix(attr(n, "id"), "changed-") })); n != 1 {
		t.Errorf("%d quarters say their figures changed, want only the one sent", n)
	}
}
