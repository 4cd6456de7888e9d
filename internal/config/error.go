package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Error is a mistake in the config file: one sentence naming the file, the
// line and the key, e.g.
//
//	prevent.yaml line 14: requirements[2].level: unknown level "level4" (want basic, level3 or face_to_face)
//
// Callers treat it as bad usage (exit 2).
type Error struct {
	File string // "" for a config built in code
	Line int    // 1-based; 0 when unknown
	Key  string // path of the key, e.g. "requirements[2].level"; "" for the whole file
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.File == "" {
		b.WriteString("config")
	}
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key)
		b.WriteString(": ")
	}
	b.WriteString(e.Msg)
	return b.String()
}

// path is a key path into the file: string segments are mapping keys, int
// segments are list indexes.
type path []any

func (p path) with(seg any) path {
	return append(append(path(nil), p...), seg)
}

func (p path) String() string {
	var b strings.Builder
	for _, seg := range p {
		switch s := seg.(type) {
		case int:
			fmt.Fprintf(&b, "[%d]", s)
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s)
		}
	}
	return b.String()
}

// lineOf returns the line of the key at p: the key's own line for a mapping
// key, the item's line for a list index. When the path is not in the file it
// falls back to the deepest part that is, and to 0 at the top.
func lineOf(root *yaml.Node, p path) int {
	n := root
	line := 0
	for _, seg := range p {
		if n == nil {
			break
		}
		switch s := seg.(type) {
		case string:
			if n.Kind != yaml.MappingNode {
				return line
			}
			k, v := lookup(n, s)
			if k == nil {
				return line
			}
			line, n = k.Line, resolveAlias(v)
		case int:
			switch n.Kind {
			case yaml.SequenceNode:
				if s >= len(n.Content) {
					return line
				}
				n = resolveAlias(n.Content[s])
				line = n.Line
			case yaml.ScalarNode: // a single value standing for a one-item list
				return n.Line
			default:
				return line
			}
		}
	}
	return line
}

// lookup finds a key in a mapping node, returning the key and value nodes.
func lookup(m *yaml.Node, key string) (k, v *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1]
		}
	}
	return nil, nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

var yamlLine = regexp.MustCompile(`^yaml: (?:line (\d+): )?(.*)$`)

// parserProblems are the messages of yaml.v3's parser (as against its
// scanner). yaml.v3 reports their lines counting from 0 and leaves the line
// out for the first line, so they need one added.
var parserProblems = []string{
	"did not find expected <stream-start>",
	"did not find expected <document start>",
	"did not find expected node content",
	"did not find expected '-' indicator",
	"did not find expected key",
	"did not find expected ',' or ']'",
	"did not find expected ',' or '}'",
	"found undefined tag handle",
	"found duplicate %YAML directive",
	"found duplicate %TAG directive",
	"found incompatible YAML document",
}

// syntaxError turns a YAML parser error into an *Error with its line.
func syntaxError(file string, err error) *Error {
	msg := err.Error()
	e := &Error{File: file}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		e.Line, _ = strconv.Atoi(m[1])
		msg = m[2]
		if slices.Contains(parserProblems, msg) {
			e.Line++
		}
	}
	e.Msg = "not valid YAML: " + msg
	return e
}
