package collate_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/collate"
	prevmail "github.com/nhs-prevent/prevent/internal/mail"
)

// CheckMailbox signs in and looks at the folders, changing nothing; a
// wrong password stops it at the sign-in, saying so.
func TestCheckMailbox(t *testing.T) {
	mb := imapServer(t)
	deliver(t, mb, withAttachments("returns@rd4.nhs.uk", "RD4 return", map[string][]byte{"RD4.csv": []byte("x")}), time.Now())
	deliver(t, mb, "From: a@b.nhs.uk\nSubject: hello\n\nno attachment\n", time.Now())

	var steps []string
	err := collate.CheckMailbox(context.Background(), mb, func(s prevmail.Step) {
		steps = append(steps, s.Name+" "+map[bool]string{true: "ok", false: "FAILED"}[s.OK]+" "+s.Text)
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, strings.Join(steps, "\n"))
	}
	want := []string{"Connect ok", "Sign-in ok password as returns@icb.nhs.net", `Folder ok "INBOX" holds 2 messages`,
		`Processed ok "Prevent returns processed" is missing: the first fetch that saves a return creates it`}
	if len(steps) != len(want) {
		t.Fatalf("steps:\n%s", strings.Join(steps, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(steps[i], w) {
			t.Errorf("step %d: %q, want it to start %q", i+1, steps[i], w)
		}
	}
	// Nothing changed: both messages are where they were, none created.
	if n := countIn(t, mb, "INBOX"); n != 2 {
		t.Errorf("INBOX holds %d messages after the check, want 2", n)
	}
	if _, err := collate.Fetch(context.Background(), mb, t.TempDir()); err != nil {
		t.Fatal(err)
	}
	steps = nil
	if err := collate.CheckMailbox(context.Background(), mb, func(s prevmail.Step) { steps = append(steps, s.Text) }); err != nil ||
		!strings.Contains(steps[len(steps)-1], "is there") || !strings.Contains(steps[2], "holds 1 message,") {
		t.Errorf("after a fetch: %v %q", err, steps)
	}

	bad := mb
	bad.Password = "wrong"
	steps = nil
	err = collate.CheckMailbox(context.Background(), bad, func(s prevmail.Step) {
		steps = append(steps, s.Name+" "+map[bool]string{true: "ok", false: "FAILED"}[s.OK])
	})
	if err == nil || !strings.HasPrefix(err.Error(), "Sign-in: ") || strings.Join(steps, ",") != "Connect ok,Sign-in FAILED" || strings.Contains(err.Error(), "wrong") {
		t.Errorf("wrong password: %v, steps %v", err, steps)
	}
}
