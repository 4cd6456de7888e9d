package config

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// decoder lays a YAML node tree over a Config by walking both together, so
// that every mistake (an unknown key, a list where a number belongs) is
// reported with its key path and line rather than yaml's type names.
type decoder struct {
	file string
}

func (d *decoder) errorf(n *yaml.Node, p path, format string, args ...any) *Error {
	return &Error{File: d.file, Line: n.Line, Key: p.String(), Msg: fmt.Sprintf(format, args...)}
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

// describe names what a node holds, for "want X, not Y" messages.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "keys and values"
	}
	return strconv.Quote(n.Value)
}

func (d *decoder) decode(n *yaml.Node, v reflect.Value, p path) error {
	n = resolveAlias(n)
	if isNull(n) {
		return nil // given with no value: keep the default
	}
	switch v.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem())) // defaults filled in by Config.normalize
		}
		return d.decode(n, v.Elem(), p)
	case reflect.Struct:
		return d.decodeStruct(n, v, p)
	case reflect.Map:
		return d.decodeMap(n, v, p)
	case reflect.Slice:
		return d.decodeSlice(n, v, p)
	}
	if n.Kind != yaml.ScalarNode {
		return d.errorf(n, p, "want a single value, not %s", describe(n))
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(n.Value)
	case reflect.Int:
		i, err := strconv.Atoi(strings.TrimSpace(n.Value))
		if err != nil {
			return d.errorf(n, p, "%q is not a whole number", n.Value)
		}
		v.SetInt(int64(i))
	case reflect.Float64:
		f, err := strconv.ParseFloat(strings.TrimSpace(n.Value), 64)
		if err != nil {
			msg := fmt.Sprintf("%q is not a number", n.Value)
			if pct, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(n.Value), "%")), 64); err == nil && pct >= 10 && pct <= 100 {
				msg += fmt.Sprintf(" (write %s for %s%%)", fmtFloat(pct/100), fmtFloat(pct))
			}
			return d.errorf(n, p, "%s", msg)
		}
		v.SetFloat(f)
	case reflect.Bool:
		var b bool
		if err := n.Decode(&b); err != nil {
			return d.errorf(n, p, "%q is not true or false", n.Value)
		}
		v.SetBool(b)
	default:
		panic(fmt.Sprintf("config: no decoding for %s", v.Type()))
	}
	return nil
}

func (d *decoder) decodeStruct(n *yaml.Node, v reflect.Value, p path) error {
	t := v.Type()
	var names []string
	index := map[string]int{}
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name == "" || name == "-" || !t.Field(i).IsExported() {
			continue
		}
		names = append(names, name)
		index[name] = i
	}
	if n.Kind != yaml.MappingNode {
		return d.errorf(n, p, "want keys (%s), not %s", strings.Join(names, ", "), describe(n))
	}
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		kp := p.with(k.Value)
		if first, dup := seen[k.Value]; dup {
			return d.errorf(k, kp, "given twice (first on line %d)", first)
		}
		seen[k.Value] = k.Line
		fi, ok := index[k.Value]
		if !ok {
			return d.errorf(k, kp, "unknown key%s", suggest(k.Value, names))
		}
		if err := d.decode(val, v.Field(fi), kp); err != nil {
			return err
		}
	}
	return nil
}

func (d *decoder) decodeMap(n *yaml.Node, v reflect.Value, p path) error {
	if n.Kind != yaml.MappingNode {
		return d.errorf(n, p, "want keys and lists (name: [...]), not %s", describe(n))
	}
	m := reflect.MakeMapWithSize(v.Type(), len(n.Content)/2)
	seen := map[string]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		kp := p.with(k.Value)
		if first, dup := seen[k.Value]; dup {
			return d.errorf(k, kp, "given twice (first on line %d)", first)
		}
		seen[k.Value] = k.Line
		elem := reflect.New(v.Type().Elem()).Elem()
		if err := d.decode(val, elem, kp); err != nil {
			return err
		}
		m.SetMapIndex(reflect.ValueOf(k.Value), elem)
	}
	v.Set(m)
	return nil
}

func (d *decoder) decodeSlice(n *yaml.Node, v reflect.Value, p path) error {
	et := v.Type().Elem()
	items := n.Content
	switch {
	case n.Kind == yaml.SequenceNode:
	case n.Kind == yaml.ScalarNode && et.Kind() != reflect.Struct:
		// A single value where a list belongs is a one-item list:
		// `recipients: a@example.nhs.net`.
		items = []*yaml.Node{n}
	default:
		return d.errorf(n, p, "want a list, not %s", describe(n))
	}
	s := reflect.MakeSlice(v.Type(), 0, len(items))
	for i, item := range items {
		elem := reflect.New(et)
		if err := d.decode(item, elem.Elem(), p.with(i)); err != nil {
			return err
		}
		s = reflect.Append(s, elem.Elem())
	}
	v.Set(s)
	return nil
}

// suggest names the known key closest to a misspelt one, or lists them all
// when there are few.
func suggest(key string, known []string) string {
	best, bestDist := "", 3
	for _, k := range known {
		if d := distance(strings.ToLower(key), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	switch {
	case best != "":
		return fmt.Sprintf(" (did you mean %s?)", best)
	case len(known) <= 8:
		return fmt.Sprintf(" (want %s)", strings.Join(known, ", "))
	}
	return ""
}

// distance is the Levenshtein edit distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
