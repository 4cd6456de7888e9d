package mail

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Outbox writes each message as a complete .eml file to a folder instead of
// sending it, for when no SMTP server is configured. Any mail client opens
// the files; the folder is private to its owner because reminders name
// staff.
type Outbox struct {
	dir string
	now func() time.Time
}

// NewOutbox returns a sender writing to dir, created on first use.
func NewOutbox(dir string) *Outbox {
	return &Outbox{dir: dir, now: time.Now}
}

// Describe names the outbox folder, e.g. "outbox/".
func (o *Outbox) Describe() string {
	return strings.TrimSuffix(filepath.ToSlash(filepath.Clean(o.dir)), "/") + "/"
}

// Send writes m to a new file named after its date, subject and first
// recipient, e.g. "2026-11-25T080000Z_Prevent-return-2026-27Q2_commissioner@example.nhs.net.eml".
// The file appears complete or not at all, and never replaces another.
func (o *Outbox) Send(ctx context.Context, m *Message) error {
	if err := ctx.Err(); err != nil {
		return o.fail(m, true, err)
	}
	rendered := *m
	if rendered.Date.IsZero() {
		rendered.Date = o.now()
	}
	msg, err := rendered.build("")
	if err != nil {
		return o.fail(m, false, fmt.Errorf("building the message: %w", err))
	}

	if err := os.MkdirAll(o.dir, 0o700); err != nil {
		return o.fail(m, true, err)
	}
	tmp, err := os.CreateTemp(o.dir, ".prevent-*.tmp") // 0600
	if err != nil {
		return o.fail(m, true, err)
	}
	defer os.Remove(tmp.Name()) // after the link below, only the temporary name goes

	w := bufio.NewWriter(tmp)
	_, err = msg.WriteTo(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return o.fail(m, true, err)
	}

	base := outboxFileName(rendered.Date, m.Subject, m.To)
	if err := placeUnique(tmp.Name(), filepath.Join(o.dir, base)); err != nil {
		return o.fail(m, true, err)
	}
	syncDir(o.dir)
	removeAbandoned(o.dir, time.Now()) // file times are real times, whatever o.now says
	return nil
}

// abandonedAfter is how old a temporary file must be before it is taken
// to be a message whose writer died, far longer than writing one takes.
const abandonedAfter = time.Hour

// removeAbandoned deletes the temporary files of messages whose writer was
// killed before it could name or remove them: they may hold staff names,
// and nothing else would ever remove them. Failure only leaves them.
func removeAbandoned(dir string, now time.Time) {
	tmps, _ := filepath.Glob(filepath.Join(dir, ".prevent-*.tmp"))
	for _, p := range tmps {
		if st, err := os.Lstat(p); err == nil && st.Mode().IsRegular() && now.Sub(st.ModTime()) > abandonedAfter {
			_ = os.Remove(p)
		}
	}
}

func (o *Outbox) fail(m *Message, temporary bool, err error) *SendError {
	text := oneLine.Replace(fmt.Sprintf("writing %q for %s to %s: %v",
		m.Subject, strings.Join(m.To, ", "), o.Describe(), err))
	return &SendError{Temporary: temporary, Err: &deliveryError{text: text, cause: err}}
}

// placeUnique gives the finished temporary file its final name, adding
// "_2", "_3", ... before ".eml" while the name is taken. A hard link is
// atomic and never replaces an existing file; where the file system has no
// hard links, a rename after checking the name is free does nearly as well.
func placeUnique(tmp, name string) error {
	stem := strings.TrimSuffix(name, ".eml")
	for n := 1; n < 10000; n++ {
		final := stem + ".eml"
		if n > 1 {
			final = stem + "_" + strconv.Itoa(n) + ".eml"
		}
		err := os.Link(tmp, final)
		if err == nil {
			return nil
		}
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if _, statErr := os.Lstat(final); statErr == nil {
			continue
		} else if !errors.Is(statErr, fs.ErrNotExist) {
			return statErr
		}
		return os.Rename(tmp, final)
	}
	return fmt.Errorf("no free file name for %s", filepath.Base(name))
}

// syncDir makes the new directory entry durable; failure only loses that
// guarantee, not the message.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	_ = d.Sync()
	_ = d.Close()
}

// outboxFileName builds "<UTC date>_<subject>_<first recipient>.eml" from
// characters safe on every file system.
func outboxFileName(date time.Time, subject string, to []string) string {
	rcpt := "no-recipient"
	if len(to) > 0 {
		rcpt = fileNamePart(to[0], "no-recipient")
		if len(to) > 1 {
			rcpt += "-and-" + strconv.Itoa(len(to)-1) + "-more"
		}
	}
	return date.UTC().Format("2006-01-02T150405Z") + "_" +
		fileNamePart(subject, "no-subject") + "_" + rcpt + ".eml"
}

// fileNamePart keeps letters, digits and ".@+-" (the characters of an email
// address), turns every other run of characters into one "-", and caps the
// length so the whole name stays well inside file system limits.
func fileNamePart(s, empty string) string {
	const maxLen = 60
	var sb strings.Builder
	dash := false
	for _, r := range s {
		if sb.Len() >= maxLen {
			break
		}
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', strings.ContainsRune(".@+", r):
			sb.WriteRune(r)
			dash = false
		default:
			if !dash && sb.Len() > 0 {
				sb.WriteRune('-')
			}
			dash = true
		}
	}
	part := strings.Trim(sb.String(), "-.")
	if part == "" {
		return empty
	}
	return part
}
