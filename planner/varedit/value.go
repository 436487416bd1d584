package varedit

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// Setting is one value to set, as given on the command line.
type Setting struct {
	// Name is the variable (or local) name.
	Name string
	// Raw is the value: a plain word for a string, number or bool
	// variable, or JSON when JSON is true.
	Raw string
	// JSON says Raw is JSON (--var-json), the way to give lists, maps and
	// objects.
	JSON bool
}

// ParseSetting reads "name=value" as given to --var (json false) or
// --var-json (json true).
func ParseSetting(arg string, json bool) (Setting, error) {
	flag := "--var"
	if json {
		flag = "--var-json"
	}
	name, raw, ok := strings.Cut(arg, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" {
		return Setting{}, fmt.Errorf("%s %q: want NAME=VALUE: %w", flag, arg, ErrBadSetting)
	}
	if !hclsyntax.ValidIdentifier(name) {
		return Setting{}, fmt.Errorf("%s %q: %q is not a valid variable name: %w", flag, arg, name, ErrBadSetting)
	}
	if !utf8.ValidString(raw) {
		return Setting{}, fmt.Errorf("%s %s: the value is not valid UTF-8: %w", flag, name, ErrBadSetting)
	}
	return Setting{Name: name, Raw: raw, JSON: json}, nil
}

// Declared is the type a stack declares for a variable.
type Declared struct {
	// Stack names the stack (or, for a variable block edited in place,
	// the file) that declares it.
	Stack string
	// Type is the declared type; cty.DynamicPseudoType when the
	// declaration has no type (or says any).
	Type cty.Type
}

// TypeError is a value that does not fit a variable's declared type.
type TypeError struct {
	Variable string
	Type     string
	Stack    string
	Reason   string
}

func (e *TypeError) Error() string {
	where := ""
	if e.Stack != "" {
		where = " in " + e.Stack
	}
	return fmt.Sprintf("variable %s is declared as %s%s: %s", e.Variable, e.Type, where, e.Reason)
}

// Unwrap lets errors.Is match ErrType.
func (e *TypeError) Unwrap() error { return ErrType }

// Errors of the editor.
var (
	ErrType        = errors.New("value does not fit the variable's type")
	ErrBadSetting  = errors.New("bad setting")
	ErrUndeclared  = errors.New("variable not declared by the stacks using the file")
	ErrMissing     = errors.New("variable not set in the file")
	ErrUnsupported = errors.New("file not supported")
	ErrParse       = errors.New("file does not parse")
)

// typedValue turns a setting into a value of the declared types. With no
// declaration a plain --var is typed like the value it replaces (a number
// stays a number), else it is a string.
func typedValue(s Setting, decls []Declared, existing cty.Value) (cty.Value, error) {
	v, err := rawValue(s, decls, existing)
	if err != nil {
		return cty.NilVal, err
	}
	if err := checkNumbers(v); err != nil {
		return cty.NilVal, fmt.Errorf("%s: %w: %w", s.Name, err, ErrBadSetting)
	}
	for _, d := range decls {
		if d.Type == cty.DynamicPseudoType {
			continue
		}
		c, err := convert.Convert(v, d.Type)
		if err != nil {
			return cty.NilVal, &TypeError{Variable: s.Name, Type: typeexpr.TypeString(d.Type), Stack: d.Stack, Reason: err.Error()}
		}
		if len(decls) == 1 || d.Type.IsPrimitiveType() {
			v = c
		}
	}
	return v, nil
}

func rawValue(s Setting, decls []Declared, existing cty.Value) (cty.Value, error) {
	if s.JSON {
		ty, err := ctyjson.ImpliedType([]byte(s.Raw))
		if err != nil {
			return cty.NilVal, fmt.Errorf("--var-json %s: not JSON: %w: %w", s.Name, err, ErrBadSetting)
		}
		v, err := ctyjson.Unmarshal([]byte(s.Raw), ty)
		if err != nil {
			return cty.NilVal, fmt.Errorf("--var-json %s: %w: %w", s.Name, err, ErrBadSetting)
		}
		return v, nil
	}
	want := cty.DynamicPseudoType
	stack := ""
	for _, d := range decls {
		if d.Type != cty.DynamicPseudoType {
			want, stack = d.Type, d.Stack
			break
		}
	}
	if want == cty.DynamicPseudoType && existing != cty.NilVal && existing.IsKnown() && !existing.IsNull() {
		if t := existing.Type(); t == cty.Number || t == cty.Bool {
			want = t
		}
	}
	fail := func(reason string) error {
		return &TypeError{Variable: s.Name, Type: typeexpr.TypeString(want), Stack: stack, Reason: reason}
	}
	switch {
	case want == cty.DynamicPseudoType || want == cty.String:
		return cty.StringVal(s.Raw), nil
	case want == cty.Number:
		v, err := cty.ParseNumberVal(strings.TrimSpace(s.Raw))
		if err != nil {
			return cty.NilVal, fail(fmt.Sprintf("%q is not a number", s.Raw))
		}
		return v, nil
	case want == cty.Bool:
		switch strings.TrimSpace(s.Raw) {
		case "true":
			return cty.True, nil
		case "false":
			return cty.False, nil
		}
		return cty.NilVal, fail(fmt.Sprintf("%q is not true or false", s.Raw))
	default:
		return cty.NilVal, fail(fmt.Sprintf("give it as JSON with --var-json %s=JSON", s.Name))
	}
}

// sameValue reports whether old, the value in the file, already is v.
func sameValue(old, v cty.Value) bool {
	if old == cty.NilVal || !old.IsWhollyKnown() || !v.IsWhollyKnown() {
		return false
	}
	c, err := convert.Convert(old, v.Type())
	if err != nil {
		return false
	}
	return c.RawEquals(v)
}

// maxNumberExp bounds the binary exponent of a number: 1e999999999 would
// be written out in full.
const maxNumberExp = 1 << 12

// checkNumbers refuses numbers too large or too small to write out.
func checkNumbers(v cty.Value) error {
	return cty.Walk(v, func(_ cty.Path, e cty.Value) (bool, error) {
		if e.Type() == cty.Number && e.IsKnown() && !e.IsNull() {
			exp := e.AsBigFloat().MantExp(nil)
			if exp > maxNumberExp || exp < -maxNumberExp || e.AsBigFloat().IsInf() {
				return false, errors.New("number out of range")
			}
		}
		return true, nil
	})
}
