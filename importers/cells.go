package importers

import (
	"math"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// quote quotes a cell value for a message, shortening a very long one.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut] + "...")
	}
	return strconv.Quote(s)
}

// isBlank reports whether a cell holds nothing but white space.
func isBlank(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f':
		case c < utf8.RuneSelf:
			return false
		default:
			return strings.TrimSpace(s[i:]) == ""
		}
	}
	return true
}

// blankRow reports whether every cell of a row is blank.
func blankRow(cells []string) bool {
	for _, c := range cells {
		if !isBlank(c) {
			return false
		}
	}
	return true
}

// noteRow reports whether a row of a table of columns columns is a note
// a report writes below (or among) its rows rather than data: its first
// cell alone filled, with words in it ("Total rows: 5", "End of report",
// "Report run by J Smith"), in a table of three columns or more. The
// caller asks only where the first column holds an identifier (employee
// number, assignment number, email), which has no space.
func noteRow(cells []string, columns int) bool {
	if columns < 3 || len(cells) == 0 {
		return false
	}
	for _, c := range cells[1:] {
		if !isBlank(c) {
			return false
		}
	}
	note := strings.TrimSpace(cells[0])
	return strings.ContainsAny(note, " \t") && strings.IndexFunc(note, unicode.IsLetter) >= 0
}

// normID reads an identifier cell: a number that a spreadsheet wrote as
// "12345678.0" or "1.2345678E7" reads as its digits, "12345678". Anything
// else (including text with leading zeros) is kept as written.
func normID(s string) string {
	if s == "" || !isDigit(s[0]) {
		return s
	}
	float := false
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case isDigit(c):
		case c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-':
			float = true
		default:
			return s
		}
	}
	if !float {
		return s
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v != math.Trunc(v) || v < 0 || v >= 1e15 {
		return s
	}
	return strconv.FormatInt(int64(v), 10)
}

// employeeFromAssignment is an ESR assignment number ("12345678-2") up to
// its "-" suffix.
func employeeFromAssignment(a string) string {
	if i := strings.IndexByte(a, '-'); i >= 0 {
		return strings.TrimSpace(a[:i])
	}
	return a
}

// truthy reads a Primary flag: Yes, Y, True or 1, in any case.
func truthy(s string) bool {
	switch len(s) {
	case 1:
		return s[0] == '1' || s[0]|0x20 == 'y'
	case 3:
		return strings.EqualFold(s, "yes")
	case 4:
		return strings.EqualFold(s, "true")
	}
	return false
}

// lowerASCII lower-cases a string such as an email address, allocating only
// when something changes.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return strings.ToLower(s)
		}
		if 'A' <= c && c <= 'Z' {
			return strings.ToLower(s)
		}
	}
	return s
}

// text makes a cell valid UTF-8. A CSV saved by Excel on Windows ("CSV
// (Comma delimited)") is in the Windows-1252 code page, so a name such as
// "Siobhán" arrives as invalid UTF-8; such a cell is read as Windows-1252.
func text(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			b.WriteRune(cp1252(s[i]))
			i++
			continue
		}
		b.WriteString(s[i : i+size])
		i += size
	}
	return b.String()
}

// cp1252High maps the bytes 0x80-0x9F of Windows-1252 to Unicode.
var cp1252High = [32]rune{
	'€', '\u0081', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u008d', 'Ž', '\u008f',
	'\u0090', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u009d', 'ž', 'Ÿ',
}

func cp1252(c byte) rune {
	if c >= 0x80 && c < 0xA0 {
		return cp1252High[c-0x80]
	}
	return rune(c) // Latin-1
}

// normHeader is a header's text for matching: lower case, letters and digits
// only ("E-mail Address" -> "emailaddress").
func normHeader(s string) string { return string(appendNormHeader(nil, s)) }

// appendNormHeader appends normHeader(s) to b.
func appendNormHeader(b []byte, s string) []byte {
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			c := byte(r)
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			if ('a' <= c && c <= 'z') || ('0' <= c && c <= '9') {
				b = append(b, c)
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b = utf8.AppendRune(b, unicode.ToLower(r))
		}
	}
	return b
}
