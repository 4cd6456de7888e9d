package figures

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable is text from an extract or a provider's return made safe for a
// terminal table or a plain-text email: every control character (ESC, CR,
// LF, tab, the C1 controls), line and paragraph separator and
// bidirectional override is written as its Go escape (\x1b, \r, \n,
// \u202e), as quality's %q writes them, and an invalid byte (which an
// 8-bit terminal may take for a control) becomes U+FFFD. A name can then
// neither drive the terminal (window title, screen clear, clipboard) nor
// forge a row or a line. Text without any comes back unchanged.
func Printable(s string) string {
	i := strings.IndexFunc(s, unsafeRune)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	b.WriteString(s[:i])
	for _, r := range s[i:] {
		if !unsafeRune(r) || r == utf8.RuneError {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r) // '\x1b', '\u202e', '\n'
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

// unsafeRune reports whether a rune must not reach a terminal or a line of
// plain text as it is. An invalid byte ranges as utf8.RuneError, which
// is written as the replacement character.
func unsafeRune(r rune) bool {
	switch {
	case r == utf8.RuneError, unicode.IsControl(r), unicode.In(r, unicode.Zl, unicode.Zp, unicode.Bidi_Control):
		return true
	}
	return false
}

// Line is text from an extract as a line a person reads (a name in an
// email, say): line breaks, tabs and runs of spaces become one space, so
// a name split over two lines in ESR reads as "Bob Brown", and what is
// left is Printable. Like Printable, it cannot add a line of its own.
func Line(s string) string {
	return Printable(strings.Join(strings.Fields(s), " "))
}
