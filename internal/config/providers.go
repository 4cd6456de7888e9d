package config

import (
	"os"
	"slices"
	"strings"
)

// Provider is one organisation a commissioner receives a quarterly return
// from (commissioner mode: `providers:`).
type Provider struct {
	Name    string `yaml:"name"`
	ODSCode string `yaml:"ods_code"` // compared case-insensitively; kept in upper case
	Email   string `yaml:"email"`    // the return contact, who is chased when it is missing
}

// Collate configures commissioner mode: collating providers' returns.
type Collate struct {
	// DeadlineWorkingDays is how long the submission window stays open:
	// it opens on the first working day after the quarter ends and closes
	// this many working days later (England and Wales bank holidays are
	// not working days). A return received before it closes is on time.
	DeadlineWorkingDays int `yaml:"deadline_working_days"`
	// IMAP is the mailbox returns are fetched from; nil when the file has
	// no collate.imap block.
	IMAP *IMAP `yaml:"imap"`
}

// IMAP is the mailbox providers email their returns to. The connection is
// TLS (port 993) unless tls says otherwise.
type IMAP struct {
	Host     string `yaml:"host"`
	Port     int    `yaml:"port"` // default 993, or 143 when TLS is starttls or none
	Username string `yaml:"username"`
	// PasswordEnv names the environment variable holding the password.
	PasswordEnv string `yaml:"password_env"`
	// Folder is read for messages with attachments (default INBOX).
	Folder string `yaml:"folder"`
	// ProcessedFolder is where read messages are moved (default
	// "Prevent returns processed"); it is created when missing.
	ProcessedFolder string `yaml:"processed_folder"`
	// TLS is tls (default: TLS from the first byte), starttls or none.
	TLS string `yaml:"tls"`
	// Auth and OAuth2 are as for smtp: password, xoauth2 or none.
	Auth   string  `yaml:"auth"`
	OAuth2 *OAuth2 `yaml:"oauth2"`
}

// DefaultDeadlineWorkingDays is collate.deadline_working_days by default.
const DefaultDeadlineWorkingDays = 15

// IMAPPassword reads the IMAP password from the environment variable named
// by collate.imap.password_env; "" when there is none.
func (c *Config) IMAPPassword() string {
	if c.Collate.IMAP == nil || c.Collate.IMAP.PasswordEnv == "" {
		return ""
	}
	return os.Getenv(c.Collate.IMAP.PasswordEnv)
}

// Provider finds a configured provider by ODS code, in any case.
func (c *Config) Provider(odsCode string) (Provider, bool) {
	for _, p := range c.Providers {
		if strings.EqualFold(p.ODSCode, strings.TrimSpace(odsCode)) {
			return p, true
		}
	}
	return Provider{}, false
}

func (c *Config) normalizeProviders() {
	for i := range c.Providers {
		p := &c.Providers[i]
		p.Name = strings.TrimSpace(p.Name)
		p.ODSCode = strings.ToUpper(strings.TrimSpace(p.ODSCode))
		p.Email = strings.TrimSpace(p.Email)
	}
	if m := c.Collate.IMAP; m != nil {
		m.TLS = strings.ToLower(strings.TrimSpace(m.TLS))
		if m.TLS == "" {
			m.TLS = TLSImplicit
		}
		if m.Port == 0 {
			m.Port = 993
			if m.TLS != TLSImplicit {
				m.Port = 143
			}
		}
		if strings.TrimSpace(m.Folder) == "" {
			m.Folder = "INBOX"
		}
		if strings.TrimSpace(m.ProcessedFolder) == "" {
			m.ProcessedFolder = "Prevent returns processed"
		}
	}
}

func (c *Config) validateProviders() *Error {
	seen := map[string]int{}
	for i, p := range c.Providers {
		at := path{"providers", i}
		switch {
		case p.Name == "":
			return c.errorf(at.with("name"), "no name given")
		case p.ODSCode == "":
			return c.errorf(at.with("ods_code"), "no ODS code given (e.g. RXX)")
		case !isODSCode(p.ODSCode):
			return c.errorf(at.with("ods_code"), "%q is not an ODS code (letters and digits, e.g. RXX)", p.ODSCode)
		case p.Email == "":
			return c.errorf(at.with("email"), "no return contact email given")
		case !isAddress(p.Email):
			return c.errorf(at.with("email"), "%q is not an email address", p.Email)
		}
		if first, dup := seen[p.ODSCode]; dup {
			return c.errorf(at.with("ods_code"), "%s is given twice (first as providers[%d])", p.ODSCode, first)
		}
		seen[p.ODSCode] = i
	}
	if d := c.Collate.DeadlineWorkingDays; d < 1 || d > 60 {
		return c.errorf(path{"collate", "deadline_working_days"}, "%d is outside 1-60 (working days the window stays open)", d)
	}
	if m := c.Collate.IMAP; m != nil {
		at := path{"collate", "imap"}
		switch {
		case strings.TrimSpace(m.Host) == "":
			return c.errorf(at.with("host"), "no mail server given")
		case m.Port < 1 || m.Port > 65535:
			return c.errorf(at.with("port"), "%d is not a port number (want e.g. 993)", m.Port)
		case !slices.Contains([]string{TLSStartTLS, TLSImplicit, TLSNone}, m.TLS):
			return c.errorf(at.with("tls"), "unknown mode %q (want tls, starttls or none)", m.TLS)
		case strings.TrimSpace(m.Username) == "" && ResolveAuth(m.Auth, m.Username) != AuthNone:
			return c.errorf(at.with("username"), "no user name given")
		case ResolveAuth(m.Auth, m.Username) == AuthPassword && strings.TrimSpace(m.PasswordEnv) == "":
			return c.errorf(at.with("password_env"), "no environment variable named (the password never sits in the file)")
		case strings.EqualFold(strings.TrimSpace(m.Folder), strings.TrimSpace(m.ProcessedFolder)):
			return c.errorf(at.with("processed_folder"), "%q is the folder read; name another", m.ProcessedFolder)
		}
		if err := c.validateSignIn(at, signIn{auth: m.Auth, username: m.Username, passwordEnv: m.PasswordEnv,
			host: m.Host, tls: m.TLS, oauth2: m.OAuth2}); err != nil {
			return err
		}
	}
	return nil
}

func isODSCode(s string) bool {
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}
