// Package glob owns the patterns users write in the config: case-insensitive
// globs with `*` and `?` (and `[...]` classes), compared after trimming and
// collapsing runs of spaces in both the pattern and the value.
package glob

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Pattern is a compiled glob. The zero value matches nothing.
type Pattern struct {
	src    string
	tokens []token
	// literal is set when the pattern has no wildcard, so matching is a
	// plain string comparison.
	literal bool
	text    string
}

type tokenKind uint8

const (
	tokLiteral tokenKind = iota
	tokAny               // ?
	tokStar              // *
	tokClass             // [...]
)

type token struct {
	kind   tokenKind
	lit    string
	negate bool
	ranges []runeRange
}

type runeRange struct{ lo, hi rune }

// Normalize trims a value, collapses runs of white space to one space and
// folds it to lower case: the form in which patterns and values are compared.
func Normalize(s string) string {
	s = strings.TrimSpace(s)
	simple := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf || (c >= 'A' && c <= 'Z') || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r' || (c == ' ' && i+1 < len(s) && s[i+1] == ' ') {
			simple = false
			break
		}
	}
	if simple {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// Compile parses a pattern. It fails on an unterminated `[` class or a
// trailing backslash.
func Compile(pattern string) (Pattern, error) {
	norm := Normalize(pattern)
	p := Pattern{src: pattern}
	if norm == "" {
		return p, fmt.Errorf("empty pattern")
	}
	var lit strings.Builder
	flush := func() {
		if lit.Len() > 0 {
			p.tokens = append(p.tokens, token{kind: tokLiteral, lit: lit.String()})
			lit.Reset()
		}
	}
	rs := []rune(norm)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; r {
		case '*':
			flush()
			if n := len(p.tokens); n == 0 || p.tokens[n-1].kind != tokStar {
				p.tokens = append(p.tokens, token{kind: tokStar})
			}
		case '?':
			flush()
			p.tokens = append(p.tokens, token{kind: tokAny})
		case '\\':
			if i+1 >= len(rs) {
				return p, fmt.Errorf("pattern %q ends with a backslash", pattern)
			}
			i++
			lit.WriteRune(rs[i])
		case '[':
			flush()
			t := token{kind: tokClass}
			j := i + 1
			if j < len(rs) && (rs[j] == '!' || rs[j] == '^') {
				t.negate = true
				j++
			}
			closed := false
			first := true
			for ; j < len(rs); j++ {
				c := rs[j]
				if c == ']' && !first {
					closed = true
					break
				}
				first = false
				if c == '\\' && j+1 < len(rs) {
					j++
					c = rs[j]
				}
				hi := c
				if j+2 < len(rs) && rs[j+1] == '-' && rs[j+2] != ']' {
					hi = rs[j+2]
					j += 2
					if hi < c {
						return p, fmt.Errorf("pattern %q has a reversed range %c-%c", pattern, c, hi)
					}
				}
				t.ranges = append(t.ranges, runeRange{c, hi})
			}
			if !closed {
				return p, fmt.Errorf("pattern %q has a '[' with no closing ']'", pattern)
			}
			p.tokens = append(p.tokens, t)
			i = j
		default:
			lit.WriteRune(r)
		}
	}
	flush()
	if len(p.tokens) == 1 && p.tokens[0].kind == tokLiteral {
		p.literal = true
		p.text = p.tokens[0].lit
	}
	return p, nil
}

// MustCompile is Compile for patterns known to be valid (tests, defaults).
func MustCompile(pattern string) Pattern {
	p, err := Compile(pattern)
	if err != nil {
		panic(err)
	}
	return p
}

// String returns the pattern as written.
func (p Pattern) String() string { return p.src }

// Match reports whether value matches the pattern. The value is normalised
// first; use MatchNormalized when it already is.
func (p Pattern) Match(value string) bool { return p.MatchNormalized(Normalize(value)) }

// MatchNormalized matches a value already passed through Normalize.
func (p Pattern) MatchNormalized(v string) bool {
	if p.literal {
		return v == p.text
	}
	if len(p.tokens) == 0 {
		return false
	}
	return matchTokens(p.tokens, v)
}

func matchTokens(toks []token, s string) bool {
	for len(toks) > 0 {
		t := toks[0]
		switch t.kind {
		case tokLiteral:
			if !strings.HasPrefix(s, t.lit) {
				return false
			}
			s = s[len(t.lit):]
		case tokAny:
			if s == "" {
				return false
			}
			_, n := utf8.DecodeRuneInString(s)
			s = s[n:]
		case tokClass:
			if s == "" {
				return false
			}
			r, n := utf8.DecodeRuneInString(s)
			if !t.matchRune(r) {
				return false
			}
			s = s[n:]
		case tokStar:
			rest := toks[1:]
			if len(rest) == 0 {
				return true
			}
			// Fast path: the next token is a literal; only try positions
			// where it occurs.
			if rest[0].kind == tokLiteral {
				lit := rest[0].lit
				for i := 0; i <= len(s); {
					k := strings.Index(s[i:], lit)
					if k < 0 {
						return false
					}
					if matchTokens(rest[1:], s[i+k+len(lit):]) {
						return true
					}
					_, n := utf8.DecodeRuneInString(s[i+k:])
					i += k + n
				}
				return false
			}
			for i := 0; i <= len(s); {
				if matchTokens(rest, s[i:]) {
					return true
				}
				if i == len(s) {
					break
				}
				_, n := utf8.DecodeRuneInString(s[i:])
				i += n
			}
			return false
		}
		toks = toks[1:]
	}
	return s == ""
}

func (t token) matchRune(r rune) bool {
	in := false
	for _, rg := range t.ranges {
		if r >= rg.lo && r <= rg.hi {
			in = true
			break
		}
	}
	return in != t.negate
}

// Set is an OR of patterns: it matches when any pattern does.
type Set []Pattern

// CompileSet compiles each pattern, naming the first bad one.
func CompileSet(patterns []string) (Set, error) {
	s := make(Set, 0, len(patterns))
	for _, src := range patterns {
		p, err := Compile(src)
		if err != nil {
			return nil, err
		}
		s = append(s, p)
	}
	return s, nil
}

// Match reports whether any pattern matches value.
func (s Set) Match(value string) bool { return s.MatchNormalized(Normalize(value)) }

// MatchNormalized is Match for a value already normalised.
func (s Set) MatchNormalized(v string) bool {
	for _, p := range s {
		if p.MatchNormalized(v) {
			return true
		}
	}
	return false
}
