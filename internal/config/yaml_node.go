package config

import (
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// nodeReader walks a parsed tenants file. It reads the yaml.Node tree itself
// rather than decoding into structs so that every problem names the field as
// the operator wrote it (yaml.v3's KnownFields message names Go types) and so
// that no decoder message, which may quote a value, reaches the operator.
//
// Problems are collected in errs and reading continues, so one run reports
// every mistake in the file.
type nodeReader struct {
	getenv func(string) string
	errs   Errors
}

// mapping checks that n is a mapping with no duplicate and no unknown keys
// and returns its values by key. It returns nil (after recording the problem)
// when n is not a mapping; unknown and duplicate keys are recorded and
// skipped.
func (r *nodeReader) mapping(n *yaml.Node, path string, known ...string) map[string]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		r.errs.add(path, n.Line, "must be a mapping, got %s", kindName(n))
		return nil
	}
	out := make(map[string]*yaml.Node, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			r.errs.add(path, k.Line, "keys must be plain names, got %s", kindName(k))
			continue
		}
		field := join(path, k.Value)
		switch {
		case !slices.Contains(known, k.Value):
			r.errs.add(field, k.Line, "unknown key (known keys: %s)", strings.Join(known, ", "))
		case out[k.Value] != nil:
			r.errs.add(field, k.Line, "duplicate key (first at line %d)", out[k.Value].Line)
		default:
			out[k.Value] = v
		}
	}
	return out
}

// str reads a string scalar with ${NAME} references expanded. ok is false
// when the value is absent, null, empty after expansion, or invalid (the
// last two are recorded; absence is left to the caller, which knows whether
// the field is required).
//
// Numbers and booleans are taken as written ("client_id: 0042" stays
// "0042"), because ids and passwords are text even when they look numeric.
func (r *nodeReader) str(n *yaml.Node, path string) (string, bool) {
	if n == nil || isNull(n) {
		return "", false
	}
	if n.Kind != yaml.ScalarNode || !textTag(n.ShortTag()) {
		r.errs.add(path, n.Line, "must be a string, got %s", kindName(n))
		return "", false
	}
	v, err := expand(n.Value, r.getenv)
	if err != nil {
		r.errs.add(path, n.Line, "%s", err)
		return "", false
	}
	if v == "" {
		r.errs.add(path, n.Line, "must not be empty")
		return "", false
	}
	return v, true
}

// required reads a string that must be present.
func (r *nodeReader) required(m map[string]*yaml.Node, parent *yaml.Node, path, key string) (string, bool) {
	n := m[key]
	if n == nil || isNull(n) {
		r.errs.add(join(path, key), lineOf(n, parent), "is required")
		return "", false
	}
	return r.str(n, join(path, key))
}

// integer reads an optional integer in [lo, hi], returning def when absent.
// A "${NAME}" reference is accepted and its value must be a decimal integer;
// any other quoted string ("50") is a type error, like a list or a mapping.
func (r *nodeReader) integer(n *yaml.Node, path string, def, lo, hi int) (int, bool) {
	if n == nil || isNull(n) {
		return def, true
	}
	var v int
	switch {
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!int":
		if err := n.Decode(&v); err != nil {
			// The decoder's message quotes the value; ours does not.
			r.errs.add(path, n.Line, "must be an integer between %d and %d", lo, hi)
			return 0, false
		}
	case n.Kind == yaml.ScalarNode && n.ShortTag() == "!!str" && strings.Contains(n.Value, "${"):
		s, err := expand(n.Value, r.getenv)
		if err != nil {
			r.errs.add(path, n.Line, "%s", err)
			return 0, false
		}
		if v, err = strconv.Atoi(s); err != nil {
			r.errs.add(path, n.Line, "must be an integer between %d and %d, the environment variable holds something else", lo, hi)
			return 0, false
		}
	default:
		r.errs.add(path, n.Line, "must be an integer, got %s", kindName(n))
		return 0, false
	}
	if v < lo || v > hi {
		r.errs.add(path, n.Line, "must be between %d and %d", lo, hi)
		return 0, false
	}
	return v, true
}

// textTag reports whether a scalar with this resolved tag may be read as
// text. !!binary and custom tags are refused: their written form is not the
// value the operator means.
func textTag(tag string) bool {
	switch tag {
	case "!!str", "!!int", "!!float", "!!bool", "!!timestamp":
		return true
	}
	return false
}

// isNull reports whether n is an explicit or implicit YAML null ("key:",
// "key: ~", "key: null").
func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// kindName describes what the operator wrote, for type errors.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.AliasNode:
		return "an alias"
	case yaml.DocumentNode:
		return "a document"
	case yaml.ScalarNode:
		switch n.ShortTag() {
		case "!!null":
			return "null"
		case "!!str":
			return "a string"
		case "!!int":
			return "an integer"
		case "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!binary":
			return "binary data"
		case "!!timestamp":
			return "a timestamp"
		}
		return "a tagged value"
	}
	return "nothing"
}

// lineOf is n's line, or the parent's when n is absent.
func lineOf(n, parent *yaml.Node) int {
	if n != nil {
		return n.Line
	}
	if parent != nil {
		return parent.Line
	}
	return 0
}

// join builds a field path: join("tenants[0]", "id") = "tenants[0].id".
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
