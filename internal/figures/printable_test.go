package figures

import "testing"

func TestPrintable(t *testing.T) {
	for _, c := range []struct{ name, in, want string }{
		{"ordinary names are unchanged", "Siân O'Brien-Ngọc, RT1 Acute (Ward 7) \\ 50%", "Siân O'Brien-Ngọc, RT1 Acute (Ward 7) \\ 50%"},
		{"an escape sequence is written, not run", "Eve\x1b]0;pwned\x07\x1b[2J", `Eve\x1b]0;pwned\a\x1b[2J`},
		{"OSC 52 clipboard writes are written, not run", "\x1b]52;c;ZWNobyBoaQ==\x07", `\x1b]52;c;ZWNobyBoaQ==\a`},
		{"CR and LF cannot forge a row or a line", "Alice\r\n10000009  Forged Row", `Alice\r\n10000009  Forged Row`},
		{"a tab cannot shift a column", "A\tB", `A\tB`},
		{"C1 controls (a one-byte CSI) are escaped", "x\u009b2Jy", `x\u009b2Jy`},
		{"bidirectional overrides are escaped", "abc\u202edcb", `abc\u202edcb`},
		{"line separators are escaped", "a\u2028b", `a\u2028b`},
		{"invalid bytes are replaced", "a\xffb\x9b", "a\ufffdb\ufffd"},
		{"joiners inside a script are kept", "क्\u200dष", "क्\u200dष"},
	} {
		t.Run(c.name, func(t *testing.T) {
			if got := Printable(c.in); got != c.want {
				t.Errorf("Printable(%q) = %q, want %q", c.in, got, c.want)
			}
		})
	}
}

func TestLine(t *testing.T) {
	for in, want := range map[string]string{
		"Bob\r\nBrown":                     "Bob Brown",
		"Alice\r\n10000009  Forged Row":    "Alice 10000009 Forged Row",
		"  Ward\t7 \u2028 Acute ":          "Ward 7 Acute",
		"Eve\x1b]0;pwned\x07":              `Eve\x1b]0;pwned\a`,
		"Siân O'Brien-Ngọc, RT1 Acute (7)": "Siân O'Brien-Ngọc, RT1 Acute (7)",
	} {
		if got := Line(in); got != want {
			t.Errorf("Line(%q) = %q, want %q", in, got, want)
		}
	}
}
