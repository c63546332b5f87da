package protocol

import (
	"fmt"
	"strconv"
	"strings"
)

// tagPair is one key:"value" pair of a struct tag.
type tagPair struct {
	key, value string
}

// parseTag splits a struct tag into its pairs, in order. reflect.StructTag
// only looks keys up; a declaration must also reject the keys it does not
// know, so the tag is walked here with the same grammar.
func parseTag(tag string) ([]tagPair, error) {
	var pairs []tagPair
	for {
		tag = strings.TrimLeft(tag, " ")
		if tag == "" {
			return pairs, nil
		}
		i := 0
		for i < len(tag) && tag[i] > ' ' && tag[i] != ':' && tag[i] != '"' && tag[i] != 0x7f {
			i++
		}
		if i == 0 || i+1 >= len(tag) || tag[i] != ':' || tag[i+1] != '"' {
			return nil, fmt.Errorf("malformed struct tag near %q", tag)
		}
		key := tag[:i]
		tag = tag[i+1:]
		i = 1
		for i < len(tag) && tag[i] != '"' {
			if tag[i] == '\\' {
				i++
			}
			i++
		}
		if i >= len(tag) {
			return nil, fmt.Errorf("unterminated value for tag key %q", key)
		}
		value, err := strconv.Unquote(tag[:i+1])
		if err != nil {
			return nil, fmt.Errorf("tag key %q: %w", key, err)
		}
		for _, p := range pairs {
			if p.key == key {
				return nil, fmt.Errorf("tag key %q given twice", key)
			}
		}
		pairs = append(pairs, tagPair{key, value})
		tag = tag[i+1:]
	}
}

func parseBool(key, v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, fmt.Errorf("tag %s:%q is not a boolean", key, v)
	}
	return b, nil
}
