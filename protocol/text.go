package protocol

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
	"unsafe"
)

// A textDecoder fills a value of one type, at p, from the text of a path
// parameter, query parameter or header. It is built once per argument.
type textDecoder struct {
	one     func(p unsafe.Pointer, s string) error    // scalars and pointers to scalars
	many    func(p unsafe.Pointer, ss []string) error // slices: a repeated query parameter
	mapKind mapKind                                   // maps: Inmanta's filter.key=value encoding
}

type mapKind uint8

const (
	notMap mapKind = iota
	mapOfString
	mapOfStrings
)

func (d textDecoder) decode(p unsafe.Pointer, all []string, first string) error {
	if d.many != nil {
		return d.many(p, all)
	}
	return d.one(p, first)
}

var (
	timeType            = reflect.TypeFor[time.Time]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// textDecoderFor returns the decoder for an argument of type t read from in.
func textDecoderFor(t reflect.Type, in Location) (textDecoder, error) {
	if one, ok := scalarDecoder(t); ok {
		return textDecoder{one: one}, nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		elem, ok := scalarDecoder(t.Elem())
		if !ok {
			break
		}
		et := t.Elem()
		return textDecoder{one: func(p unsafe.Pointer, s string) error {
			v := reflect.New(et)
			if err := elem(v.UnsafePointer(), s); err != nil {
				return err
			}
			*(*unsafe.Pointer)(p) = v.UnsafePointer()
			return nil
		}}, nil
	case reflect.Slice:
		elem, ok := scalarDecoder(t.Elem())
		if !ok || in != InQuery {
			break
		}
		return textDecoder{many: func(p unsafe.Pointer, ss []string) error {
			sv := reflect.MakeSlice(t, len(ss), len(ss))
			for i, s := range ss {
				if err := elem(sv.Index(i).Addr().UnsafePointer(), s); err != nil {
					return fmt.Errorf("item %d: %w", i, err)
				}
			}
			reflect.NewAt(t, p).Elem().Set(sv)
			return nil
		}}, nil
	case reflect.Map:
		if in != InQuery || t.Key().Kind() != reflect.String {
			break
		}
		if t.Elem().Kind() == reflect.String {
			return textDecoder{mapKind: mapOfString}, nil
		}
		if t.Elem().Kind() == reflect.Slice && t.Elem().Elem().Kind() == reflect.String {
			return textDecoder{mapKind: mapOfStrings}, nil
		}
	}
	return textDecoder{}, fmt.Errorf("type %s cannot be read from the %s; use a scalar%s", t, in, map[bool]string{true: ", a slice of scalars, or map[string]string", false: ""}[in == InQuery])
}

func isScalar(t reflect.Type) bool {
	_, ok := scalarDecoder(t)
	return ok
}

// scalarDecoder covers the types one string can hold: strings (and named
// string types), booleans, numbers, time.Time and encoding.TextUnmarshaler
// implementations such as uuid.UUID.
func scalarDecoder(t reflect.Type) (func(unsafe.Pointer, string) error, bool) {
	if t == timeType {
		return func(p unsafe.Pointer, s string) error {
			tm, err := ParseTime(s)
			if err != nil {
				return err
			}
			*(*time.Time)(p) = tm
			return nil
		}, true
	}
	if reflect.PointerTo(t).Implements(textUnmarshalerType) {
		what := "not a valid " + t.Name()
		return func(p unsafe.Pointer, s string) error {
			u := reflect.NewAt(t, p).Interface().(encoding.TextUnmarshaler)
			// UnmarshalText must copy what it keeps, so the string's bytes are
			// lent to it rather than copied for every request.
			if err := u.UnmarshalText(unsafe.Slice(unsafe.StringData(s), len(s))); err != nil {
				return fmt.Errorf("%s: %w", what, err)
			}
			return nil
		}, true
	}
	switch t.Kind() {
	case reflect.String:
		return func(p unsafe.Pointer, s string) error {
			*(*string)(p) = s
			return nil
		}, true
	case reflect.Bool:
		return func(p unsafe.Pointer, s string) error {
			b, err := strconv.ParseBool(s)
			if err != nil {
				return errors.New("not a valid boolean (true or false)")
			}
			*(*bool)(p) = b
			return nil
		}, true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		bits, kind := t.Bits(), t.Kind()
		return func(p unsafe.Pointer, s string) error {
			n, err := strconv.ParseInt(s, 10, bits)
			if err != nil {
				return numError(err, "an integer", bits)
			}
			switch kind {
			case reflect.Int:
				*(*int)(p) = int(n)
			case reflect.Int8:
				*(*int8)(p) = int8(n)
			case reflect.Int16:
				*(*int16)(p) = int16(n)
			case reflect.Int32:
				*(*int32)(p) = int32(n)
			default:
				*(*int64)(p) = n
			}
			return nil
		}, true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		bits, kind := t.Bits(), t.Kind()
		return func(p unsafe.Pointer, s string) error {
			n, err := strconv.ParseUint(s, 10, bits)
			if err != nil {
				return numError(err, "a non-negative integer", bits)
			}
			switch kind {
			case reflect.Uint:
				*(*uint)(p) = uint(n)
			case reflect.Uint8:
				*(*uint8)(p) = uint8(n)
			case reflect.Uint16:
				*(*uint16)(p) = uint16(n)
			case reflect.Uint32:
				*(*uint32)(p) = uint32(n)
			default:
				*(*uint64)(p) = n
			}
			return nil
		}, true
	case reflect.Float32, reflect.Float64:
		bits := t.Bits()
		return func(p unsafe.Pointer, s string) error {
			f, err := strconv.ParseFloat(s, bits)
			if err != nil {
				return numError(err, "a number", bits)
			}
			if bits == 32 {
				*(*float32)(p) = float32(f)
			} else {
				*(*float64)(p) = f
			}
			return nil
		}, true
	}
	return nil, false
}

func numError(err error, what string, bits int) error {
	if errors.Is(err, strconv.ErrRange) {
		return fmt.Errorf("out of range for a %d-bit value", bits)
	}
	return fmt.Errorf("not %s", what)
}

// timeLayouts are tried in order; the first carries a zone, the others are
// read as UTC, as Inmanta reads a date-time without a zone.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02",
}

// ParseTime reads an RFC 3339 date-time; one without a zone is UTC, and a
// bare date is its midnight in UTC.
func ParseTime(s string) (time.Time, error) {
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, errors.New("not a valid date-time (RFC 3339, e.g. 2024-05-01T10:00:00Z)")
}

// decodeDefault fills the value at ptr from a default: tag. Scalars are
// written as they would be in a query; anything else as JSON.
func decodeDefault(t reflect.Type, ptr unsafe.Pointer, text string) error {
	if dec, ok := scalarDecoder(t); ok {
		return dec(ptr, text)
	}
	return json.Unmarshal([]byte(text), reflect.NewAt(t, ptr).Interface())
}

// TextForm reports whether the argument has a text form, as in a query:
// a scalar, a slice of scalars or a map of strings. The others (structs,
// free-form maps, slices of structs, JSON values) are given as JSON.
func (a *ArgSpec) TextForm() bool {
	if a.Type == reflect.TypeFor[json.RawMessage]() {
		return false
	}
	_, err := textDecoderFor(a.Type, InQuery)
	return err == nil
}

// SetText sets the argument in the method struct m (a pointer to one) from
// text, as a command line gives it: in its text form (a map as key=value
// items) when it has one, else as JSON.
func (a *ArgSpec) SetText(m reflect.Value, vals []string) error {
	if len(vals) == 0 {
		return nil
	}
	ptr := unsafe.Add(m.UnsafePointer(), a.offset)
	target := reflect.NewAt(a.Type, ptr)
	if !a.TextForm() {
		if err := json.Unmarshal([]byte(vals[0]), target.Interface()); err != nil {
			return fmt.Errorf("not valid JSON for %s: %w", a.Type, err)
		}
		return nil
	}
	dec, _ := textDecoderFor(a.Type, InQuery)
	if dec.mapKind == notMap {
		return dec.decode(ptr, vals, vals[0])
	}
	mv := target.Elem()
	mv.Set(reflect.MakeMap(a.Type))
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return fmt.Errorf("%q is not key=value", v)
		}
		key := reflect.ValueOf(k).Convert(a.Type.Key())
		if dec.mapKind == mapOfString {
			mv.SetMapIndex(key, reflect.ValueOf(val).Convert(a.Type.Elem()))
			continue
		}
		prev := mv.MapIndex(key)
		if !prev.IsValid() {
			prev = reflect.MakeSlice(a.Type.Elem(), 0, 1)
		}
		mv.SetMapIndex(key, reflect.Append(prev, reflect.ValueOf(val).Convert(a.Type.Elem().Elem())))
	}
	return nil
}
