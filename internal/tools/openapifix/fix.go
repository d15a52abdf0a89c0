package main

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"
)

const schemaRefPrefix = "#/components/schemas/"

// fix applies every change to one document.
func fix(in []byte) ([]byte, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(in, &doc); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, fmt.Errorf("parse: not a YAML mapping document")
	}
	root := doc.Content[0]
	renames, err := renameSchemas(root)
	if err != nil {
		return nil, err
	}
	walk(root, func(n *yaml.Node) {
		rewriteRef(n, renames)
		nullable(n)
	})
	problemResponses(root)
	dropEmptyExternalDocs(root)
	requiredResponseFields(root)
	closedRequestBodies(root)
	timeFormats(root)
	if err := completeResponses(root); err != nil {
		return nil, err
	}
	headerComponents(root)
	streamMedia(root)

	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return nil, fmt.Errorf("encode: %w", err)
	}
	return buf.Bytes(), nil
}

// get returns the value of key in mapping m, or nil.
func get(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// del removes key from mapping m.
func del(m *yaml.Node, key string) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			m.Content = append(m.Content[:i], m.Content[i+2:]...)
			return
		}
	}
}

// walk calls f on every node, parents first.
func walk(n *yaml.Node, f func(*yaml.Node)) {
	f(n)
	for _, c := range n.Content {
		walk(c, f)
	}
}

// renameSchemas strips the Go package prefix from component schema names.
// Two schemas that would end up with one name are an error, not a silent
// overwrite.
func renameSchemas(root *yaml.Node) (map[string]string, error) {
	schemas := get(get(root, "components"), "schemas")
	renames := map[string]string{}
	if schemas == nil {
		return renames, nil
	}
	seen := map[string]string{}
	for i := 0; i+1 < len(schemas.Content); i += 2 {
		old := schemas.Content[i].Value
		name := old[strings.LastIndex(old, ".")+1:]
		if prev, dup := seen[name]; dup {
			return nil, fmt.Errorf("schemas %s and %s would both be named %s", prev, old, name)
		}
		seen[name] = old
		renames[old] = name
		schemas.Content[i].Value = name
	}
	return renames, nil
}

func rewriteRef(n *yaml.Node, renames map[string]string) {
	ref := get(n, "$ref")
	if ref == nil || !strings.HasPrefix(ref.Value, schemaRefPrefix) {
		return
	}
	if name, ok := renames[strings.TrimPrefix(ref.Value, schemaRefPrefix)]; ok {
		ref.Value = schemaRefPrefix + name
	}
}

// nullable turns `type: T` + `x-nullable: true` into `type: [T, "null"]`,
// and a nullable $ref into anyOf [$ref, null].
func nullable(n *yaml.Node) {
	x := get(n, "x-nullable")
	if x == nil || x.Value != "true" {
		return
	}
	del(n, "x-nullable")
	if t := get(n, "type"); t != nil && t.Kind == yaml.ScalarNode {
		*t = yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Value: t.Value},
			{Kind: yaml.ScalarNode, Value: "null", Style: yaml.DoubleQuotedStyle},
		}}
		return
	}
	if ref := get(n, "$ref"); ref != nil {
		refNode := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Value: "$ref"}, {Kind: yaml.ScalarNode, Value: ref.Value},
		}}
		nullNode := &yaml.Node{Kind: yaml.MappingNode, Content: []*yaml.Node{
			{Kind: yaml.ScalarNode, Value: "type"}, {Kind: yaml.ScalarNode, Value: "null", Style: yaml.DoubleQuotedStyle},
		}}
		del(n, "$ref")
		n.Content = append(n.Content,
			&yaml.Node{Kind: yaml.ScalarNode, Value: "anyOf"},
			&yaml.Node{Kind: yaml.SequenceNode, Content: []*yaml.Node{refNode, nullNode}})
	}
}

// problemResponses makes application/problem+json the one media type of
// every 4xx and 5xx response: errors are RFC 9457 problem documents, also on
// operations that succeed with NDJSON or CSV.
func problemResponses(root *yaml.Node) {
	paths := get(root, "paths")
	if paths == nil {
		return
	}
	for i := 1; i < len(paths.Content); i += 2 {
		item := paths.Content[i]
		for j := 1; j < len(item.Content); j += 2 {
			responses := get(item.Content[j], "responses")
			if responses == nil {
				continue
			}
			for k := 0; k+1 < len(responses.Content); k += 2 {
				code := responses.Content[k].Value
				if len(code) != 3 || (code[0] != '4' && code[0] != '5') {
					continue
				}
				content := get(responses.Content[k+1], "content")
				if content == nil || len(content.Content) < 2 {
					continue
				}
				// One entry, whatever the operation produces on success.
				content.Content = []*yaml.Node{
					{Kind: yaml.ScalarNode, Value: "application/problem+json"},
					content.Content[1],
				}
			}
		}
	}
}

func dropEmptyExternalDocs(root *yaml.Node) {
	ed := get(root, "externalDocs")
	if ed == nil {
		return
	}
	if u := get(ed, "url"); u == nil || u.Value == "" {
		del(root, "externalDocs")
	}
}
