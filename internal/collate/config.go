package collate

import (
	"context"
	"fmt"
	"time"

	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/mail"
	"github.com/nhs-prevent/prevent/internal/returns"
	"github.com/nhs-prevent/prevent/internal/store"
)

// ProvidersOf lists the config's providers (providers:), in the config's
// order.
func ProvidersOf(cfg *config.Config) []Provider {
	out := make([]Provider, len(cfg.Providers))
	for i, p := range cfg.Providers {
		out[i] = Provider{Name: p.Name, ODSCode: p.ODSCode, Email: p.Email}
	}
	return out
}

// MailboxOf is the config's collate.imap mailbox, which the caller has
// checked is there, with its secrets from the environment.
func MailboxOf(cfg *config.Config) (Mailbox, error) {
	c := cfg.Collate.IMAP
	l := cfg.IMAPLogin()
	if l.Auth == config.AuthPassword && l.Password == "" {
		return Mailbox{}, fmt.Errorf("the mailbox password is not set: put it in the environment variable %s (collate.imap.password_env)", c.PasswordEnv)
	}
	if l.Auth == config.AuthXOAUTH2 && l.ClientSecret == "" {
		return Mailbox{}, fmt.Errorf("the client secret is not set: put it in the environment variable %s (collate.imap.oauth2.client_secret_env)", l.ClientSecretEnv)
	}
	return Mailbox{Host: c.Host, Port: c.Port, Username: c.Username, Password: l.Password,
		Folder: c.Folder, ProcessedFolder: c.ProcessedFolder, TLS: c.TLS, Auth: l.Auth,
		OAuth2:       mail.OAuth2{TokenURL: l.TokenURL, ClientID: l.ClientID, ClientSecret: l.ClientSecret, Scopes: l.Scopes},
		PasswordFrom: envSource(l.PasswordEnv, "collate.imap.password_env"),
		SecretFrom:   envSource(l.ClientSecretEnv, "collate.imap.oauth2.client_secret_env")}, nil
}

// envSource names where a secret is read from, for messages.
func envSource(env, key string) string {
	if env == "" {
		return ""
	}
	return fmt.Sprintf("the environment variable %s (%s)", env, key)
}

// FileOptionsFor are the options to collate files under the config: its
// threshold and providers, the collation running at now.
func FileOptionsFor(cfg *config.Config, now time.Time) FileOptions {
	return FileOptions{Now: now, Rules: Rules{Threshold: cfg.Threshold}, Providers: ProvidersOf(cfg)}
}

// LoadForConfig is the assurance table for a quarter as `prevent assurance`
// computes it, and the dashboard's commissioner page shows it: the config's
// providers, threshold and submission window (collate.deadline_working_days),
// judged at now.
func LoadForConfig(ctx context.Context, s *store.Store, cfg *config.Config, q returns.Quarter, now time.Time) (*Assurance, error) {
	return Load(ctx, s, ProvidersOf(cfg), q, cfg.Threshold, cfg.Collate.DeadlineWorkingDays, now)
}
