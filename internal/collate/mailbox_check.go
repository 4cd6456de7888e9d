package collate

import (
	"context"
	"fmt"
	"net"
	"strconv"

	"github.com/emersion/go-imap/v2"

	prevmail "github.com/nhs-prevent/prevent/internal/mail"
)

// CheckMailbox signs in to the mailbox and looks at its folders as a fetch would
// first, changing nothing: no message is read, moved or marked, and no
// folder is created. It calls report after each step (Connect, Sign-in,
// Folder, Processed) and stops at the first that fails, returning an error
// that names it.
func CheckMailbox(ctx context.Context, mb Mailbox, report func(prevmail.Step)) error {
	if mb.Port == 0 {
		mb.Port = 993
	}
	addr := net.JoinHostPort(mb.Host, strconv.Itoa(mb.Port))
	fail := func(step, text string) error {
		report(prevmail.Step{Name: step, Text: text})
		return fmt.Errorf("%s: %s", step, text)
	}
	creds, err := mb.credentials()
	if err != nil {
		return fail("Sign-in", err.Error())
	}
	c, err := mb.dial(addr)
	if err != nil {
		return fail("Connect", fmt.Sprintf("cannot connect to %s: %v", addr, err))
	}
	defer c.Close()
	ctx, cancel := context.WithTimeout(ctx, fetchTimeout)
	defer cancel()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	how := "TLS from the first byte"
	switch mb.TLS {
	case "starttls":
		how = "STARTTLS"
	case "none":
		how = "no TLS (a server on this machine)"
	}
	report(prevmail.Step{Name: "Connect", OK: true, Text: fmt.Sprintf("%s, %s", addr, how)})

	if err := creds.SignInIMAP(ctx, c); err != nil {
		return fail("Sign-in", fmt.Sprintf("%s as %s refused: %v", creds.Auth(), mb.Username, ctxErr(ctx, err)))
	}
	report(prevmail.Step{Name: "Sign-in", OK: true, Text: fmt.Sprintf("%s as %s", creds.Auth(), mb.Username)})

	// EXAMINE opens the folder read-only: nothing is marked as seen.
	sel, err := c.Select(mb.Folder, &imap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		return fail("Folder", fmt.Sprintf("cannot open %q: %v", mb.Folder, ctxErr(ctx, err)))
	}
	report(prevmail.Step{Name: "Folder", OK: true, Text: fmt.Sprintf("%q holds %d %s, for the next fetch", mb.Folder, sel.NumMessages, plural(int(sel.NumMessages), "message", "messages"))})

	list, err := c.List("", mb.ProcessedFolder, nil).Collect()
	if err != nil {
		return fail("Processed", fmt.Sprintf("cannot list %q: %v", mb.ProcessedFolder, ctxErr(ctx, err)))
	}
	text := fmt.Sprintf("%q is missing: the first fetch that saves a return creates it", mb.ProcessedFolder)
	for _, m := range list {
		if m.Mailbox == mb.ProcessedFolder {
			text = fmt.Sprintf("%q is there: fetched messages are moved to it", mb.ProcessedFolder)
		}
	}
	report(prevmail.Step{Name: "Processed", OK: true, Text: text})
	return c.Logout().Wait()
}
