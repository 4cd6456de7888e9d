package mail

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestOutbox(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()

	t.Run("writes a parseable .eml with text, HTML and attachments, readable only by its owner", func(t *testing.T) {
		dir := filepath.Join(t.TempDir(), "outbox")
		want := sampleMessage()
		if err := NewOutbox(dir).Send(ctx, want); err != nil {
			t.Fatalf("Send: %v", err)
		}

		files := emlFiles(t, dir)
		if len(files) != 1 {
			t.Fatalf("outbox holds %v, want one .eml", files)
		}
		const wantName = "2026-10-01T080000Z_Prevent-training-return-2026-27Q2-Example-NHS-Foundation-Tru_commissioner@example.nhs.net-and-1-more.eml"
		if files[0] != wantName {
			t.Errorf("file name = %q, want %q", files[0], wantName)
		}
		path := filepath.Join(dir, files[0])
		checkMode(t, path, 0o600)
		checkMode(t, dir, 0o700)

		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		parsed := parseMail(t, raw)
		checkIntact(t, parsed, want)
		if got := parsed.Header.Get("X-Prevent-Delivery"); got != "return/2026-27Q2" {
			t.Errorf("X-Prevent-Delivery = %q", got)
		}
		if got, err := parsed.Header.Date(); err != nil || !got.Equal(want.Date) {
			t.Errorf("Date = %v (%v), want %v", got, err, want.Date)
		}
	})

	t.Run("the same message twice gives two files, neither replacing the other", func(t *testing.T) {
		dir := t.TempDir()
		outbox := NewOutbox(dir)
		for range 3 {
			if err := outbox.Send(ctx, sampleMessage()); err != nil {
				t.Fatalf("Send: %v", err)
			}
		}
		files := emlFiles(t, dir)
		if len(files) != 3 {
			t.Fatalf("outbox holds %v, want three .eml files", files)
		}
		for _, suffix := range []string{"-more.eml", "-more_2.eml", "-more_3.eml"} {
			found := false
			for _, f := range files {
				found = found || strings.HasSuffix(f, suffix)
			}
			if !found {
				t.Errorf("no file ending %q in %v", suffix, files)
			}
		}
	})

	t.Run("leaves no temporary files behind", func(t *testing.T) {
		dir := t.TempDir()
		if err := NewOutbox(dir).Send(ctx, sampleMessage()); err != nil {
			t.Fatalf("Send: %v", err)
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			if !strings.HasSuffix(e.Name(), ".eml") {
				t.Errorf("stray file %q", e.Name())
			}
		}
	})

	t.Run("a message without a date is named after the time it was written", func(t *testing.T) {
		dir := t.TempDir()
		outbox := NewOutbox(dir)
		outbox.now = func() time.Time { return time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC) }
		m := &Message{To: []string{"prevent.lead@example.nhs.net"}, Subject: "Prevent refresher reminder: 3 people", Text: "..."}
		if err := outbox.Send(ctx, m); err != nil {
			t.Fatalf("Send: %v", err)
		}
		files := emlFiles(t, dir)
		want := "2026-11-25T080000Z_Prevent-refresher-reminder-3-people_prevent.lead@example.nhs.net.eml"
		if len(files) != 1 || files[0] != want {
			t.Errorf("outbox holds %v, want [%s]", files, want)
		}
	})

	t.Run("an invalid message is a permanent error and writes nothing", func(t *testing.T) {
		dir := t.TempDir()
		err := NewOutbox(dir).Send(ctx, &Message{Subject: "no recipients"})
		var sendErr *SendError
		if !errors.As(err, &sendErr) || sendErr.Temporary {
			t.Fatalf("error = %v, want a permanent *SendError", err)
		}
		if files := emlFiles(t, dir); len(files) != 0 {
			t.Errorf("outbox holds %v", files)
		}
	})

	t.Run("describes itself as its folder", func(t *testing.T) {
		if got := NewOutbox("outbox").Describe(); got != "outbox/" {
			t.Errorf("Describe() = %q, want %q", got, "outbox/")
		}
	})
}

func TestOutboxFileNamePart(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{name: "punctuation and spaces become single dashes", in: "Prevent: return  (2026-27Q2)", want: "Prevent-return-2026-27Q2"},
		{name: "an email address is kept as it is", in: "jane.smith+prevent@example.nhs.net", want: "jane.smith+prevent@example.nhs.net"},
		{name: "path separators cannot escape the folder", in: "../../etc/passwd", want: "etc-passwd"},
		{name: "an empty subject is named", in: " – ", want: "no-subject"},
		{name: "a long subject is cut", in: strings.Repeat("a", 200), want: strings.Repeat("a", 60)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := fileNamePart(tt.in, "no-subject"); got != tt.want {
				t.Errorf("fileNamePart(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

var emlName = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d{6}Z_.+\.eml$`)

// emlFiles lists the .eml files in dir, checking each name's shape.
func emlFiles(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".eml") {
			if !emlName.MatchString(e.Name()) {
				t.Errorf("file name %q does not start with a UTC timestamp", e.Name())
			}
			names = append(names, e.Name())
		}
	}
	return names
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s mode = %o, want %o", filepath.Base(path), got, want)
	}
}
