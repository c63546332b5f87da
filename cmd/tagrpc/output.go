package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"gopkg.in/yaml.v3"
)

func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber() // keep integers as written
	var v any
	err := dec.Decode(&v)
	return v, err
}

func printYAML(w io.Writer, reply json.RawMessage) error {
	v, err := decodeJSON(reply)
	if err != nil {
		return err
	}
	enc := yaml.NewEncoder(w)
	enc.SetIndent(2)
	if err := enc.Encode(yamlValue(v)); err != nil {
		return err
	}
	return enc.Close()
}

// yamlValue turns json.Numbers into numbers YAML writes plainly.
func yamlValue(v any) any {
	switch v := v.(type) {
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return i
		}
		f, _ := v.Float64()
		return f
	case map[string]any:
		for k, x := range v {
			v[k] = yamlValue(x)
		}
	case []any:
		for i, x := range v {
			v[i] = yamlValue(x)
		}
	}
	return v
}

// printTable writes a list of objects as rows under their keys; an object
// holding a "data" list (an envelope, a page) as that list; any other
// object as key and value rows.
func printTable(w io.Writer, reply json.RawMessage) error {
	v, err := decodeJSON(reply)
	if err != nil {
		return err
	}
	if obj, ok := v.(map[string]any); ok {
		if list, ok := obj["data"].([]any); ok {
			v = list
		} else if inner, ok := obj["data"].(map[string]any); ok && len(obj) == 1 {
			v = inner
		}
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	switch v := v.(type) {
	case []any:
		var cols []string
		for _, row := range v {
			if m, ok := row.(map[string]any); ok {
				for k := range m {
					if !slices.Contains(cols, k) {
						cols = append(cols, k)
					}
				}
			}
		}
		slices.Sort(cols)
		if len(cols) == 0 {
			for _, row := range v {
				fmt.Fprintln(tw, cell(row))
			}
			break
		}
		fmt.Fprintln(tw, strings.ToUpper(strings.Join(cols, "\t")))
		for _, row := range v {
			m, _ := row.(map[string]any)
			cells := make([]string, len(cols))
			for i, c := range cols {
				cells[i] = cell(m[c])
			}
			fmt.Fprintln(tw, strings.Join(cells, "\t"))
		}
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\n", k, cell(v[k]))
		}
	default:
		fmt.Fprintln(tw, cell(v))
	}
	return tw.Flush()
}

// cell is one value in a table: scalars as they are, the rest as JSON.
func cell(v any) string {
	switch v := v.(type) {
	case nil:
		return ""
	case string:
		return v
	case json.Number:
		return v.String()
	case bool:
		return fmt.Sprint(v)
	}
	b, _ := json.Marshal(v)
	return string(b)
}
