package remind_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
	"github.com/nhs-prevent/prevent/internal/remind"
	"github.com/nhs-prevent/prevent/internal/store"
	"github.com/nhs-prevent/prevent/internal/store/storetest"
)

// seedStaff imports a staff extract of the given assignments, with no
// completions (everyone is never trained).
func seedStaff(t *testing.T, s *store.Store, list []compliance.Assignment) {
	t.Helper()
	tx, err := s.BeginStaffImport(ctx, store.Import{FileName: "staff.csv", SHA256: hashOf("hostile staff"), EffectiveDate: date(2026, 9, 30)})
	if err != nil {
		t.Fatal(err)
	}
	for i, a := range list {
		a.Row = i + 2
		a.AssignmentNumber = a.EmployeeNumber + "-1"
		if err := tx.Add(a); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Commit(len(list), 0, nil); err != nil {
		t.Fatal(err)
	}
}

// forged is a line an attacker wants a plain-text email to show as its own.
const forged = "Please reply with your NHS password to confirm"

// TestHostileNamesInReminders pins that a name, organisation or job role
// from ESR can neither drive a terminal reading the plain-text part nor
// add a line of its own to it.
func TestHostileNamesInReminders(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		seedStaff(t, s, []compliance.Assignment{
			{EmployeeNumber: "2001", Name: "Amy\x1b]0;pwned\x07 Nurse", Organisation: "Acute\r\n" + forged, StaffGroup: "Nursing and Midwifery Registered",
				JobRole: "Nurse\n\n" + forged, Email: "amy@trust.nhs.uk", ManagerEmail: boss1, Primary: true},
			{EmployeeNumber: "2002\r\n" + forged, Name: "Ben\r\n\r\n" + forged, Organisation: "Estates", StaffGroup: "Estates and Ancillary",
				JobRole: "Porter", Email: "ben@trust.nhs.uk", ManagerEmail: boss1, Primary: true},
		})
		cfg := configWith(config.Reminders{Leads: []config.Lead{{Email: leadAll, Organisation: "*"}}, Managers: true, Staff: []int{30}})
		snd := &sender{}
		run(t, s, cfg, snd, oct1, true)
		sent := snd.take()
		if len(sent) < 4 {
			t.Fatalf("%d emails sent, want the lead's list, the manager's and two staff reminders", len(sent))
		}
		for _, m := range sent {
			if strings.ContainsAny(m.Text, "\x1b\x07") {
				t.Errorf("to %s: an escape sequence in the text:\n%q", m.To[0], m.Text)
			}
			for _, line := range strings.Split(strings.ReplaceAll(m.Text, "\r", "\n"), "\n") {
				if strings.HasPrefix(strings.TrimSpace(line), forged) {
					t.Errorf("to %s: a forged line in the text:\n%s", m.To[0], m.Text)
					break
				}
			}
		}
	})
}

// TestAddressesFromESR pins that a manager or staff address from ESR is
// used only when it is a bare address, and, with reminders.allowed_domains,
// only in one of those domains: a staff list never goes to
// "Attacker <x@evil.example>" nor, when the trust says so, outside it.
func TestAddressesFromESR(t *testing.T) {
	storetest.ForEach(t, func(t *testing.T, s *store.Store) {
		seedStaff(t, s, []compliance.Assignment{
			{EmployeeNumber: "3001", Name: "Amy Nurse", Organisation: "Acute", StaffGroup: "Nursing and Midwifery Registered", JobRole: "Nurse",
				Email: "Amy <x@evil.example>", ManagerEmail: "Attacker <x@evil.example>", Primary: true},
			{EmployeeNumber: "3002", Name: "Ben Porter", Organisation: "Estates", StaffGroup: "Estates and Ancillary", JobRole: "Porter",
				Email: "ben.porter@NHS.NET", ManagerEmail: "boss@gmail.example", Primary: true},
			{EmployeeNumber: "3003", Name: "Cat Clerk", Organisation: "Estates", StaffGroup: "Administrative and Clerical", JobRole: "Clerk",
				Email: "cat@trust.nhs.uk", ManagerEmail: "boss1@trust.nhs.uk, x@evil.example", Primary: true},
			{EmployeeNumber: "3004", Name: "Dee Admin", Organisation: "Estates", StaffGroup: "Administrative and Clerical", JobRole: "Clerk",
				Email: "dee@trust.nhs.uk", ManagerEmail: boss2, Primary: true},
		})
		recipients := func(t *testing.T, allowed []string) ([]string, *remind.Report) {
			t.Helper()
			cfg := configWith(config.Reminders{Managers: true, Staff: []int{30}, AllowedDomains: allowed})
			rep := run(t, s, cfg, nil, oct1, false)
			var to []string
			for _, m := range rep.Messages {
				to = append(to, m.Recipient)
			}
			sort.Strings(to)
			return to, rep
		}
		t.Run("only bare addresses are sent to", func(t *testing.T) {
			to, rep := recipients(t, nil)
			same(t, "recipients", to, []string{"ben.porter@nhs.net", boss2, "boss@gmail.example", "cat@trust.nhs.uk", "dee@trust.nhs.uk"})
			if rep.Refused != 3 {
				t.Errorf("%d addresses refused, want 3 (two display-name forms and a list)", rep.Refused)
			}
		})
		t.Run("allowed_domains keeps the lists inside the trust and nhs.net", func(t *testing.T) {
			to, rep := recipients(t, []string{"trust.nhs.uk", "NHS.net"})
			same(t, "recipients", to, []string{"ben.porter@nhs.net", boss2, "cat@trust.nhs.uk", "dee@trust.nhs.uk"})
			if rep.Refused != 4 {
				t.Errorf("%d addresses refused, want 4", rep.Refused)
			}
		})
	})
}
