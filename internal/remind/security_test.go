package remind_test

import (
	"strings"
	"testing"

	"github.com/nhs-prevent/prevent/internal/compliance"
	"github.com/nhs-prevent/prevent/internal/config"
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
