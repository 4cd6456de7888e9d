package collate

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message"
	"github.com/emersion/go-message/mail"

	prevmail "github.com/nhs-prevent/prevent/internal/mail"
)

// Mailbox is the IMAP mailbox providers email their returns to.
type Mailbox struct {
	Host            string
	Port            int // 993 when 0
	Username        string
	Password        string
	Folder          string // read for messages with attachments
	ProcessedFolder string // where read messages are moved; created when missing
	// TLS is "tls" (when empty: TLS from the first byte), "starttls" or
	// "none" (plaintext, for a server on this machine).
	TLS string
	// TLSConfig verifies the server; nil verifies it against the system's
	// roots.
	TLSConfig *tls.Config
	// Auth is how to sign in (mail.AuthPassword when empty), OAuth2 the
	// token grant for mail.AuthXOAUTH2; PasswordFrom and SecretFrom say
	// where the secrets come from, for the message when one is not set.
	Auth                     string
	OAuth2                   prevmail.OAuth2
	PasswordFrom, SecretFrom string
}

// Fetched is what one Fetch did.
type Fetched struct {
	Files    []string // attachments saved, in the order of their messages
	Messages int      // messages moved to the processed folder
	Skipped  int      // messages without a spreadsheet attachment, left where they were
}

// returnAttachments are the file types a return may arrive as: the rest
// (signature images, letters) are left alone. Old .xls files are kept so
// that collate can say to save them as .xlsx.
var returnAttachments = []string{".csv", ".xlsx", ".xls", ".xlsm"}

// fetchTimeout bounds one whole fetch.
const fetchTimeout = 5 * time.Minute

// Fetch saves the spreadsheet attachments of every message in the
// mailbox's folder into dir, each dated (its modification time) as when its
// message arrived at the mailbox, and then moves each message it saved
// attachments from to the processed folder. A message without such an
// attachment is left where it is, for a person to read. Files are named
// "<arrival date> <uid> <attachment name>", so fetching a message again
// (if moving it failed) rewrites the same file.
func Fetch(ctx context.Context, mb Mailbox, dir string) (Fetched, error) {
	var out Fetched
	if mb.Port == 0 {
		mb.Port = 993
	}
	addr := net.JoinHostPort(mb.Host, strconv.Itoa(mb.Port))
	where := fmt.Sprintf("mailbox %s@%s", mb.Username, addr)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return out, fmt.Errorf("cannot create %s: %w", dir, unwrapPath(err))
	}
	creds, err := mb.credentials()
	if err != nil {
		return out, fmt.Errorf("%s: %w", where, err)
	}
	c, err := mb.dial(addr)
	if err != nil {
		return out, fmt.Errorf("%s: cannot connect: %w", where, err)
	}
	defer c.Close()
	// The client's commands do not take a context: closing the connection
	// ends any that is waiting when ctx ends or the fetch takes too long.
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()

	if err := creds.SignInIMAP(ctx, c); err != nil {
		return out, fmt.Errorf("%s: cannot sign in: %w", where, ctxErr(ctx, err))
	}
	if _, err := c.Select(mb.Folder, nil).Wait(); err != nil {
		return out, fmt.Errorf("%s: cannot open folder %q: %w", where, mb.Folder, err)
	}
	found, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
	if err != nil {
		return out, fmt.Errorf("%s: cannot list the messages in %q: %w", where, mb.Folder, err)
	}
	uids := found.AllUIDs()
	if len(uids) == 0 {
		return out, c.Logout().Wait()
	}
	if err := ensureFolder(c, mb.ProcessedFolder); err != nil {
		return out, fmt.Errorf("%s: cannot create folder %q: %w", where, mb.ProcessedFolder, err)
	}
	body := &imap.FetchItemBodySection{Peek: true}
	for _, uid := range uids {
		msgs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, InternalDate: true, BodySection: []*imap.FetchItemBodySection{body}}).Collect()
		if err != nil {
			return out, fmt.Errorf("%s: cannot read message %d: %w", where, uid, ctxErr(ctx, err))
		}
		if len(msgs) == 0 {
			continue // gone meanwhile
		}
		msg := msgs[0]
		arrived := msg.InternalDate
		if arrived.IsZero() {
			arrived = time.Now()
		}
		files, err := saveAttachments(msg.FindBodySection(body), dir, fmt.Sprintf("%s %d ", arrived.In(London).Format("2006-01-02"), uid), arrived)
		if err != nil {
			return out, fmt.Errorf("%s: message %d: %w", where, uid, err)
		}
		if len(files) == 0 {
			out.Skipped++
			continue
		}
		out.Files = append(out.Files, files...)
		if _, err := c.Move(imap.UIDSetNum(uid), mb.ProcessedFolder).Wait(); err != nil {
			return out, fmt.Errorf("%s: cannot move message %d to %q: %w", where, uid, mb.ProcessedFolder, ctxErr(ctx, err))
		}
		out.Messages++
	}
	return out, c.Logout().Wait()
}

// credentials are the mailbox's sign-in; a password or token never crosses
// the network unencrypted to another machine.
func (mb Mailbox) credentials() (*prevmail.Credentials, error) {
	auth := mb.Auth
	if auth == "" {
		auth = prevmail.AuthPassword
	}
	creds, err := prevmail.NewCredentials(prevmail.Login{Auth: auth, Username: mb.Username, Password: mb.Password,
		OAuth2: mb.OAuth2, PasswordFrom: mb.PasswordFrom, SecretFrom: mb.SecretFrom})
	if err != nil {
		return nil, err
	}
	if mb.TLS == "none" {
		if err := creds.RefuseUnencrypted(mb.Host); err != nil {
			return nil, err
		}
	}
	return creds, nil
}

// dial connects as mb.TLS says.
func (mb Mailbox) dial(addr string) (*imapclient.Client, error) {
	tlsConfig := mb.TLSConfig
	if tlsConfig == nil {
		tlsConfig = &tls.Config{ServerName: mb.Host, MinVersion: tls.VersionTLS12}
	}
	opts := &imapclient.Options{TLSConfig: tlsConfig, Dialer: &net.Dialer{Timeout: 30 * time.Second}}
	switch mb.TLS {
	case "", "tls":
		return imapclient.DialTLS(addr, opts)
	case "starttls":
		return imapclient.DialStartTLS(addr, opts)
	case "none":
		return imapclient.DialInsecure(addr, opts)
	}
	return nil, fmt.Errorf("tls %q is not one of tls, starttls, none", mb.TLS)
}

func ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// ensureFolder creates a folder unless it exists.
func ensureFolder(c *imapclient.Client, name string) error {
	list, err := c.List("", name, nil).Collect()
	if err != nil {
		return err
	}
	for _, m := range list {
		if m.Mailbox == name {
			return nil
		}
	}
	err = c.Create(name, nil).Wait()
	var ie *imap.Error
	if errors.As(err, &ie) && ie.Code == imap.ResponseCodeAlreadyExists {
		return nil
	}
	return err
}

// saveAttachments writes a message's spreadsheet attachments into dir.
func saveAttachments(raw []byte, dir, prefix string, arrived time.Time) ([]string, error) {
	if raw == nil {
		return nil, errors.New("the server sent no message body")
	}
	r, err := mail.CreateReader(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) {
		return nil, fmt.Errorf("cannot read the message: %w", err)
	}
	defer r.Close()
	var files []string
	for {
		p, err := r.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil && !message.IsUnknownCharset(err) {
			return files, fmt.Errorf("cannot read the message: %w", err)
		}
		if p == nil {
			continue
		}
		name := ""
		switch h := p.Header.(type) {
		case *mail.AttachmentHeader:
			name, _ = h.Filename()
		case *mail.InlineHeader:
			// Some mail clients send files inline, named only in
			// Content-Type.
			if _, params, err := h.ContentType(); err == nil {
				name = params["name"]
			}
		}
		name = safeFileName(name)
		if name == "" || !isReturnAttachment(name) {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(p.Body, maxFileSize+1))
		if err != nil {
			return files, fmt.Errorf("cannot read attachment %s: %w", name, err)
		}
		path := filepath.Join(dir, prefix+name)
		if err := writeFile(path, data, arrived); err != nil {
			return files, err
		}
		files = append(files, path)
	}
	return files, nil
}

func isReturnAttachment(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	for _, e := range returnAttachments {
		if ext == e {
			return true
		}
	}
	return false
}

// safeFileName keeps an attachment's name to one file name: no folders,
// no control characters, not hidden.
func safeFileName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || strings.ContainsRune(`/\:*?"<>|`, r) {
			return '_'
		}
		return r
	}, name)
	name = strings.TrimLeft(strings.TrimSpace(name), ".")
	if name == "" || name == "_" {
		return ""
	}
	return name
}

// writeFile writes a file whole (through a temporary file) and dates it.
func writeFile(path string, data []byte, modified time.Time) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".fetch-*")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	if err := os.Chtimes(tmp.Name(), modified, modified); err != nil {
		return fmt.Errorf("cannot date %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot write %s: %w", path, unwrapPath(err))
	}
	return nil
}
