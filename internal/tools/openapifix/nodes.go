package main

import (
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// nodeOf encodes a Go value as a YAML node (maps with sorted keys, so the
// output is deterministic).
func nodeOf(v any) *yaml.Node {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		panic("openapifix: encode: " + err.Error()) // only values built here are encoded
	}
	return &n
}

// set puts key: value in mapping m, replacing an existing value.
func set(m *yaml.Node, key string, value *yaml.Node) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content[i+1] = value
			return
		}
	}
	k := &yaml.Node{Kind: yaml.ScalarNode, Value: key}
	if _, err := strconv.Atoi(key); err == nil {
		k.Style = yaml.DoubleQuotedStyle // a status code is a string key, "304"
	}
	m.Content = append(m.Content, k, value)
}

// child returns the mapping at key in m, creating an empty one if absent.
func child(m *yaml.Node, key string) *yaml.Node {
	if c := get(m, key); c != nil {
		return c
	}
	c := &yaml.Node{Kind: yaml.MappingNode}
	set(m, key, c)
	return c
}

// keys returns the keys of mapping m in order.
func keys(m *yaml.Node) []string {
	var out []string
	for i := 0; i+1 < len(m.Content); i += 2 {
		out = append(out, m.Content[i].Value)
	}
	return out
}

// sortKeys orders mapping m's entries by key.
func sortKeys(m *yaml.Node) {
	type pair struct{ k, v *yaml.Node }
	var ps []pair
	for i := 0; i+1 < len(m.Content); i += 2 {
		ps = append(ps, pair{m.Content[i], m.Content[i+1]})
	}
	slices.SortStableFunc(ps, func(a, b pair) int { return strings.Compare(a.k.Value, b.k.Value) })
	m.Content = m.Content[:0]
	for _, p := range ps {
		m.Content = append(m.Content, p.k, p.v)
	}
}

// ref is a {$ref: target} mapping.
func ref(target string) *yaml.Node {
	return &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
		{Kind: yaml.ScalarNode, Value: "$ref"}, {Kind: yaml.ScalarNode, Value: target, Style: yaml.SingleQuotedStyle},
	}}
}

// operations calls f for every operation of the document with its path and
// method.
func operations(root *yaml.Node, f func(path, method string, op *yaml.Node)) {
	paths := get(root, "paths")
	if paths == nil {
		return
	}
	for i := 0; i+1 < len(paths.Content); i += 2 {
		item := paths.Content[i+1]
		for j := 0; j+1 < len(item.Content); j += 2 {
			switch m := item.Content[j].Value; m {
			case "get", "put", "post", "delete", "patch", "head", "options":
				f(paths.Content[i].Value, m, item.Content[j+1])
			}
		}
	}
}
