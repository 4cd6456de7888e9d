package web

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/ingest"
)

func TestImportsPageCountsNotCompleted(t *testing.T) {
	s, srv, c := emptyServer(t)
	ctx := context.Background()

	t.Run("no column for it while no import has any", func(t *testing.T) {
		r := get(t, c, srv.URL+"/imports")
		if strings.Contains(r.body, "Not completed") || strings.Contains(r.body, "not completed yet") {
			t.Errorf("a not-completed count shown with none:\n%s", r.body)
		}
	})
	p := filepath.Join(t.TempDir(), "totara.csv")
	csv := "User's Email,Course Name,Progress,Course completion date\n" +
		"a@x.nhs.uk,Prevent Awareness,Complete,5 Mar 2024\n" +
		"b@x.nhs.uk,Prevent Awareness,In progress,\n" +
		"c@x.nhs.uk,Prevent Awareness,Not yet started,\n"
	if err := os.WriteFile(p, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ingest.Completions(ctx, s, p, ingest.Options{Today: compliance.Date(2026, 11, 1)}); err != nil {
		t.Fatal(err)
	}
	r := get(t, c, srv.URL+"/imports")
	for _, want := range []string{"<strong>2</strong> rows not completed yet (skipped, not errors)", `<th scope="col">Not completed</th>`, `<td class="num">2</td>`} {
		if !strings.Contains(r.body, want) {
			t.Errorf("imports page lacks %q", want)
		}
	}
}
