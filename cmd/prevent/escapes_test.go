package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nhs-prevent/prevent/internal/compliance"
)

// Text an attacker can put in an ESR name, an organisation or a provider's
// return: a window title, a screen clear, an OSC 52 clipboard write, and a
// CR/LF that would forge a row of its own.
const (
	escTitle   = "\x1b]0;pwned\x07"
	escClear   = "\x1b[2J"
	escClip    = "\x1b]52;c;ZWNobyBoaQ==\x07"
	forgedLine = "99999999  Forged Row"
)

// raw reports what of the attack reached out raw: an ESC, a BEL, or a line
// beginning with the forged row.
func raw(out string) []string {
	var found []string
	if strings.ContainsAny(out, "\x1b\x07\u009b") {
		found = append(found, "an escape sequence")
	}
	for _, line := range strings.Split(strings.ReplaceAll(out, "\r", "\n"), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "99999999") {
			found = append(found, "a forged line: "+line)
		}
	}
	return found
}

func TestControlCharactersInTerminalOutput(t *testing.T) {
	t.Run("ESR names and organisations reach status, summary and quality escaped", func(t *testing.T) {
		dir := t.TempDir()
		db := "sqlite:" + filepath.Join(dir, "prevent.db")
		write(t, dir, "prevent.yaml", e2eConfig)
		staff := "Employee Number,Full Name,Organisation,Staff Group,Job Role,Email\n" +
			"10000001,\"Alice" + escTitle + escClip + "\",RT1 Acute" + escClear + ",Nursing and Midwifery Registered,Staff Nurse,alice@trust.nhs.uk\n" +
			"10000002,\"Bob\r\n" + forgedLine + "\",\"RT1 Estates\r\n" + forgedLine + "\",Estates and Ancillary,Porter,bob@trust.nhs.uk\n" +
			"10000003" + escTitle + ",Cara,RT1 Corporate,Administrative and Clerical,Clerk,cara@trust.nhs.uk\n"
		lms := "Employee Number,Course Name,Completion Date\n" +
			"10000009" + escTitle + ",\"Prevent Awareness\r\n" + forgedLine + "\",01/03/2026\n"
		// Enough ordinary rows that the file reads as text, not binary.
		for i := range 60 {
			staff += fmt.Sprintf("2%07d,Person %d,RT1 Acute,Nursing and Midwifery Registered,Staff Nurse,p%d@trust.nhs.uk\n", i, i, i)
			lms += fmt.Sprintf("2%07d,Preventing Radicalisation - Basic Prevent Awareness,01/03/2026\n", i)
		}
		write(t, dir, "staff_2026-09-30.csv", staff)
		write(t, dir, "lms.csv", lms)
		for _, f := range []string{"staff_2026-09-30.csv", "lms.csv"} {
			if r := prevent(t, dir, db, "import", "staff", f); f == "staff_2026-09-30.csv" && r.code != 0 {
				t.Fatalf("import: %d\n%s%s", r.code, r.stdout, r.stderr)
			}
		}
		prevent(t, dir, db, "import", "completions", "lms.csv")
		for _, args := range [][]string{
			{"status", "--as-of", "2026-09-30"},
			{"summary", "--as-of", "2026-09-30"},
			{"quality"},
		} {
			r := prevent(t, dir, db, args...)
			if r.code != 0 {
				t.Errorf("%v: exit %d\n%s", args, r.code, r.stderr)
			}
			if bad := raw(r.stdout + r.stderr); len(bad) > 0 {
				t.Errorf("%v printed %s:\n%q", args, strings.Join(bad, ", "), r.stdout)
			}
		}
		r := prevent(t, dir, db, "status", "--as-of", "2026-09-30")
		if !strings.Contains(r.stdout, `Alice\x1b]0;pwned\a`) {
			t.Errorf("status does not show the name escaped:\n%s", r.stdout)
		}
		// CSV keeps the data as it is: its quoting holds a CR/LF in a cell.
		r = prevent(t, dir, db, "status", "--as-of", "2026-09-30", "--format", "csv")
		if !strings.Contains(r.stdout, "Alice"+escTitle) || !strings.Contains(r.stdout, "\"Bob\n"+forgedLine+"\"") {
			t.Errorf("status --format csv changed the data:\n%q", r.stdout)
		}
	})
	t.Run("a provider's return reaches collate and assurance escaped", func(t *testing.T) {
		dir := t.TempDir()
		db := "sqlite:" + filepath.Join(dir, "prevent.db")
		write(t, dir, "prevent.yaml", commissionerConfig)
		inbox := filepath.Join(dir, "inbox")
		if err := os.Mkdir(inbox, 0o700); err != nil {
			t.Fatal(err)
		}
		b := compliance.Basic
		alpha := providerReturn("RA1", "Alpha"+escTitle+" NHS Trust", map[string]map[compliance.Level][2]int{
			"Acute" + escClear: {b: {10, 9}}, "Community\r\n" + forgedLine: {b: {6, 6}}})
		unknown := providerReturn("RZ9"+escClip, "Zeta\r\n"+forgedLine, map[string]map[compliance.Level][2]int{"Wards": {b: {4, 4}}})
		var a, z bytes.Buffer
		if err := alpha.WriteCSV(&a); err != nil {
			t.Fatal(err)
		}
		if err := unknown.WriteXLSX(&z, nil); err != nil {
			t.Fatal(err)
		}
		received(t, inbox, "alpha"+escTitle+".csv", a.Bytes(), time.Date(2026, 10, 5, 10, 0, 0, 0, time.UTC))
		received(t, inbox, "zeta.xlsx", z.Bytes(), time.Date(2026, 10, 6, 10, 0, 0, 0, time.UTC))
		for _, args := range [][]string{
			{"collate", "inbox", "--quarter", "2026-27Q2"},
			{"assurance", "--quarter", "2026-27Q2"},
			{"chase", "--quarter", "2026-27Q2"},
		} {
			r := prevent(t, dir, db, args...)
			if r.stdout == "" {
				t.Errorf("%v printed nothing (exit %d):\n%s", args, r.code, r.stderr)
			}
			if bad := raw(r.stdout + r.stderr); len(bad) > 0 {
				t.Errorf("%v printed %s:\n%q\n%q", args, strings.Join(bad, ", "), r.stdout, r.stderr)
			}
		}
	})
}
