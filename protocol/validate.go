package protocol

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"unsafe"

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

// argCheck validates one argument: its own validate tag with Var, and the
// struct it holds with Struct. Checking argument by argument, rather than
// the method struct as a whole, spares the validator from boxing every
// untagged argument on every request.
type argCheck struct {
	arg    *ArgSpec
	tag    string // the argument's own rules; "" for none
	nested bool   // the argument is a struct, or pointer to one, with rules inside
}

func validationPlan(s *MethodSpec) []argCheck {
	var plan []argCheck
	for _, a := range s.Args {
		c := argCheck{arg: a, tag: a.Validate}
		if t := derefType(a.Type); t.Kind() == reflect.Struct {
			c.nested = needsValidation(t, map[reflect.Type]bool{})
		}
		if c.tag != "" || c.nested {
			plan = append(plan, c)
		}
	}
	return plan
}

// validateArgs runs the plan on the method struct at base and reports each
// failure at its argument's location.
func validateArgs(plan []argCheck, base unsafe.Pointer) []FieldError {
	v := validate()
	var out []FieldError
	for _, c := range plan {
		fv := reflect.NewAt(c.arg.Type, unsafe.Add(base, c.arg.offset))
		if c.tag != "" {
			if err := v.Var(fv.Elem().Interface(), c.tag); err != nil {
				out = appendValidation(out, c.arg, err, false)
			}
		}
		if c.nested {
			target := fv
			if c.arg.Type.Kind() == reflect.Pointer {
				if target = fv.Elem(); target.IsNil() {
					continue
				}
			}
			if err := v.Struct(target.Interface()); err != nil {
				out = appendValidation(out, c.arg, err, true)
			}
		}
	}
	return out
}

func appendValidation(out []FieldError, a *ArgSpec, err error, nested bool) []FieldError {
	loc := string(a.In) + "." + argLocName(a)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return append(out, FieldError{Location: loc, Message: err.Error()})
	}
	for _, fe := range verrs {
		ns := fe.Namespace()
		if nested {
			// "<Type>.field.sub": the type name stands where the argument is.
			if i := strings.IndexByte(ns, '.'); i >= 0 {
				ns = ns[i:]
			}
		} else if ns != "" && ns[0] != '[' {
			ns = "." + ns
		}
		f := FieldError{Location: loc + ns, Message: ruleMessage(fe), Value: scalarValue(fe.Value())}
		if f.Message == "required" && ns == "" {
			f.arg = a.Name
		}
		out = append(out, f)
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
