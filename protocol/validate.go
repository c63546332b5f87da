package protocol

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"
)

// validate is shared: validator caches what it learns of each type.
var validate = sync.OnceValue(func() *validator.Validate {
	v := validator.New(validator.WithRequiredStructEnabled())
	v.RegisterTagNameFunc(func(f reflect.StructField) string {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			return ""
		}
		if name == "" {
			return f.Name
		}
		return name
	})
	return v
})

// Validator returns the validator/v10 instance tagrpc validates with, so an
// application can register its own tags (RegisterValidation) before it
// registers methods.
func Validator() *validator.Validate { return validate() }

// needsValidation reports whether any validate tag can be reached from t.
func needsValidation(t reflect.Type, seen map[reflect.Type]bool) bool {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Array || t.Kind() == reflect.Map {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || seen[t] {
		return false
	}
	seen[t] = true
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if _, ok := f.Tag.Lookup("validate"); ok {
			return true
		}
		if needsValidation(f.Type, seen) {
			return true
		}
	}
	return false
}

// validationErrors runs the validator on the method struct and reports each
// failure at its argument's location.
func (s *MethodSpec) validationErrors(v any) []FieldError {
	err := validate().Struct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return []FieldError{{Location: "body", Message: err.Error()}}
	}
	out := make([]FieldError, 0, len(verrs))
	for _, fe := range verrs {
		// The namespace is "<Type>.<arg>.<field>…" in JSON names.
		ns := fe.Namespace()
		if i := strings.IndexByte(ns, '.'); i >= 0 {
			ns = ns[i+1:]
		}
		argName, rest, _ := strings.Cut(ns, ".")
		argName, _, _ = strings.Cut(argName, "[")
		loc := "body." + ns
		if a := s.Arg(argName); a != nil {
			loc = string(a.In) + "." + argLocName(a)
			if rest != "" || strings.Contains(ns[len(argName):], "[") {
				loc += ns[len(argName):]
			}
		}
		fe := fe
		out = append(out, FieldError{Location: loc, Message: ruleMessage(fe), Value: scalarValue(fe.Value())})
	}
	return out
}

// scalarValue keeps a failing value for the error only when it is small.
func scalarValue(v any) any {
	switch v.(type) {
	case string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return v
	}
	return nil
}

// ruleMessage says in words which validate rule failed.
func ruleMessage(fe validator.FieldError) string {
	p := fe.Param()
	isText := fe.Kind() == reflect.String
	isList := fe.Kind() == reflect.Slice || fe.Kind() == reflect.Map || fe.Kind() == reflect.Array
	unit := ""
	switch {
	case isText:
		unit = " characters long"
	case isList:
		unit = " items"
	}
	switch fe.Tag() {
	case "required", "required_if", "required_unless", "required_with", "required_without":
		return "required"
	case "oneof":
		return "must be one of: " + strings.Join(strings.Fields(p), ", ")
	case "min":
		return "must be at least " + p + unit
	case "max":
		return "must be at most " + p + unit
	case "len":
		return "must be exactly " + p + unit
	case "gt":
		return "must be greater than " + p + unit
	case "gte":
		return "must be at least " + p + unit
	case "lt":
		return "must be less than " + p + unit
	case "lte":
		return "must be at most " + p + unit
	case "email":
		return "must be an email address"
	case "url", "http_url":
		return "must be a URL"
	case "uuid", "uuid4":
		return "must be a UUID"
	case "alphanum":
		return "must hold only letters and digits"
	}
	if p != "" {
		return fmt.Sprintf("failed the %s=%s rule", fe.Tag(), p)
	}
	return fmt.Sprintf("failed the %s rule", fe.Tag())
}
