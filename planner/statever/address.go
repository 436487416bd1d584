package statever

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode"
)

// instanceKey converts a state's index_key (a JSON number, a string or
// absent) into the Index of a Resource: int, string or nil.
func instanceKey(raw any) (any, error) {
	switch k := raw.(type) {
	case nil:
		return nil, nil
	case string:
		return k, nil
	case json.Number:
		f, err := k.Float64()
		if err != nil || f != math.Trunc(f) || f < 0 || f > math.MaxInt32 {
			return nil, fmt.Errorf("invalid instance key %s", k)
		}
		return int(f), nil
	default:
		return nil, fmt.Errorf("invalid instance key of type %T", raw)
	}
}

// address renders a resource instance's address as Terraform does:
// module.app.aws_instance.web[0], data.aws_ami.x, aws_s3_bucket.b["logs"].
// module is the state's module instance path, already in that syntax.
func address(module, mode, typ, name string, index any) string {
	var b strings.Builder
	if module != "" {
		b.WriteString(module)
		b.WriteByte('.')
	}
	if mode == "data" {
		b.WriteString("data.")
	}
	b.WriteString(typ)
	b.WriteByte('.')
	b.WriteString(name)
	switch k := index.(type) {
	case int:
		b.WriteString("[" + strconv.Itoa(k) + "]")
	case string:
		b.WriteString("[" + quote(k) + "]")
	}
	return b.String()
}

// quote quotes an instance key the way Terraform prints it (HCL string
// syntax): backslash escapes for quotes, backslashes and control
// characters, "${" and "%{" doubled, other printable Unicode as is.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i, r := range s {
		switch r {
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\t':
			b.WriteString(`\t`)
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '$', '%':
			b.WriteRune(r)
			if strings.HasPrefix(s[i+1:], "{") {
				b.WriteRune(r)
			}
		default:
			switch {
			case unicode.IsPrint(r):
				b.WriteRune(r)
			case r < 0x10000:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				fmt.Fprintf(&b, `\U%08x`, r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}
