package config

import (
	"errors"
	"strings"
	"testing"
)

func TestProviders(t *testing.T) {
	t.Run("providers are read with codes in upper case", func(t *testing.T) {
		c, err := Load(write(t, `providers:
  - {name: " Alpha NHS Trust ", ods_code: ra1, email: returns@alpha.nhs.net}
  - name: Beta Community Services
    ods_code: RB2
    email: prevent@beta.nhs.net
`))
		if err != nil {
			t.Fatal(err)
		}
		want := []Provider{{"Alpha NHS Trust", "RA1", "returns@alpha.nhs.net"}, {"Beta Community Services", "RB2", "prevent@beta.nhs.net"}}
		if len(c.Providers) != 2 || c.Providers[0] != want[0] || c.Providers[1] != want[1] {
			t.Errorf("got %+v", c.Providers)
		}
		if p, ok := c.Provider("rb2"); !ok || p.Name != "Beta Community Services" {
			t.Errorf("Provider(rb2) = %+v, %v", p, ok)
		}
		if _, ok := c.Provider("RZZ"); ok {
			t.Error("an unknown code was found")
		}
	})
	t.Run("the window stays open 15 working days by default", func(t *testing.T) {
		if got := Default().Collate.DeadlineWorkingDays; got != 15 {
			t.Errorf("got %d", got)
		}
	})
	t.Run("an imap block gets port 993 and its folders by default", func(t *testing.T) {
		c, err := Load(write(t, "collate:\n  deadline_working_days: 10\n  imap: {host: imap.icb.nhs.net, username: returns, password_env: IMAP_PASSWORD}\n"))
		if err != nil {
			t.Fatal(err)
		}
		m := c.Collate.IMAP
		if c.Collate.DeadlineWorkingDays != 10 || m == nil || m.Port != 993 || m.Folder != "INBOX" || m.ProcessedFolder != "Prevent returns processed" {
			t.Errorf("got %+v %+v", c.Collate, m)
		}
		t.Setenv("IMAP_PASSWORD", "s3cret")
		if c.IMAPPassword() != "s3cret" {
			t.Error("password not read from the environment")
		}
	})

	bad := []struct {
		name, text, want string
	}{
		{"a provider needs a name", "providers:\n  - {ods_code: RA1, email: a@b.nhs.net}\n",
			"line 2: providers[0].name: no name given"},
		{"a provider needs an ODS code", "providers:\n  - {name: A, email: a@b.nhs.net}\n",
			"line 2: providers[0].ods_code: no ODS code given"},
		{"an ODS code is letters and digits", "providers:\n  - name: A\n    ods_code: R-A1\n    email: a@b.nhs.net\n",
			`line 3: providers[0].ods_code: "R-A1" is not an ODS code`},
		{"a provider needs a contact", "providers:\n  - {name: A, ods_code: RA1}\n",
			"line 2: providers[0].email: no return contact email given"},
		{"the contact is an email address", "providers:\n  - {name: A, ods_code: RA1, email: not-an-address}\n",
			`providers[0].email: "not-an-address" is not an email address`},
		{"an ODS code is given once", "providers:\n  - {name: A, ods_code: RA1, email: a@b.nhs.net}\n  - {name: B, ods_code: ra1, email: b@b.nhs.net}\n",
			"line 3: providers[1].ods_code: RA1 is given twice (first as providers[0])"},
		{"an unknown provider key is named", "providers:\n  - {name: A, ods: RA1}\n",
			"providers[0].ods: unknown key"},
		{"the window is 1 to 60 working days", "collate:\n  deadline_working_days: 0\n",
			"line 2: collate.deadline_working_days: 0 is outside 1-60"},
		{"imap needs a host", "collate:\n  imap: {username: u, password_env: P}\n",
			"collate.imap.host: no mail server given"},
		{"imap needs the password's variable", "collate:\n  imap: {host: h, username: u}\n",
			"collate.imap.password_env: no environment variable named"},
		{"imap moves messages to another folder", "collate:\n  imap: {host: h, username: u, password_env: P, folder: Returns, processed_folder: returns}\n",
			`collate.imap.processed_folder: "returns" is the folder read`},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(write(t, tc.text))
			var ce *Error
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want it to contain %q", err, tc.want)
			}
		})
	}
}
