package mail

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
)

// SignInIMAP signs c in to its mailbox: LOGIN with a password, AUTHENTICATE
// XOAUTH2 with a token, or nothing with AuthNone (the server must have
// greeted the connection as signed in already). When the server refuses a
// token (revoked, or expired early), one fresh token is fetched and tried
// before giving up. The error never holds a secret.
func (c *Credentials) SignInIMAP(ctx context.Context, client *imapclient.Client) error {
	switch c.Auth() {
	case AuthNone:
		if client.State() == imap.ConnStateNotAuthenticated {
			return errors.New("the server wants a sign-in: set auth to password or xoauth2")
		}
		return nil
	case AuthPassword:
		password, err := c.password()
		if err != nil {
			return err
		}
		if err := client.Login(c.Username(), password).Wait(); err != nil {
			return errors.New(c.Redact(err.Error()))
		}
		return nil
	}
	err := c.authenticateXOAUTH2(ctx, client, false)
	var refused *imap.Error
	if errors.As(err, &refused) && refused.Type == imap.StatusResponseTypeNo {
		err = c.authenticateXOAUTH2(ctx, client, true)
	}
	if err != nil {
		return errors.New(c.Redact(err.Error()))
	}
	return nil
}

func (c *Credentials) authenticateXOAUTH2(ctx context.Context, client *imapclient.Client, fresh bool) error {
	token, err := c.accessToken(ctx, fresh)
	if err != nil {
		return fmt.Errorf("getting an access token: %w", err)
	}
	sc := &xoauth2Client{user: c.Username(), token: token}
	err = client.Authenticate(sc)
	if err != nil && sc.said != "" {
		return &saidError{err: err, said: sc.said}
	}
	return err
}

// saidError adds what the server said during a refused XOAUTH2 exchange (a
// JSON status, e.g. {"status":"401","schemes":"bearer"}) to its refusal.
type saidError struct {
	err  error
	said string
}

func (e *saidError) Error() string { return fmt.Sprintf("%v (the server said %s)", e.err, e.said) }

func (e *saidError) Unwrap() error { return e.err }

// xoauth2Client is the client side of SASL XOAUTH2 (github.com/emersion/go-sasl
// has OAUTHBEARER but not XOAUTH2, which Exchange Online and so NHSmail
// require). The token goes in the initial response; a server that refuses
// it sends an error challenge, answered with an empty line so that it ends
// the exchange with its NO.
type xoauth2Client struct {
	user, token string
	said        string
}

func (x *xoauth2Client) Start() (string, []byte, error) {
	return "XOAUTH2", xoauth2(x.user, x.token), nil
}

func (x *xoauth2Client) Next(challenge []byte) ([]byte, error) {
	x.said = strings.TrimSpace(oneLine.Replace(string(challenge)))
	return []byte{}, nil
}
