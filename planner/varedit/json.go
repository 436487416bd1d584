package varedit

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/zclconf/go-cty/cty"
	ctyjson "github.com/zclconf/go-cty/cty/json"
)

// jsonEntry is one member of the top-level object of a JSON file, by byte
// offsets into it.
type jsonEntry struct {
	key                string
	keyStart, valStart int
	valEnd             int
}

// jsonObject is the layout of a .tfvars.json file.
type jsonObject struct {
	open    int // offset just after '{'
	close   int // offset of '}'
	entries []jsonEntry
}

// scanJSON finds the members of the top-level object of src.
func scanJSON(src []byte) (*jsonObject, error) {
	dec := json.NewDecoder(bytes.NewReader(src))
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("the top level is not an object")
	}
	obj := &jsonObject{open: int(dec.InputOffset())}
	prevEnd := obj.open
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		keyStart := skipJSONSpace(src, prevEnd, ",")
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, err
		}
		end := int(dec.InputOffset())
		start := end - len(raw)
		if start < 0 || !bytes.Equal(src[start:end], raw) {
			return nil, fmt.Errorf("cannot locate the value of %q", key)
		}
		obj.entries = append(obj.entries, jsonEntry{key: key, keyStart: keyStart, valStart: start, valEnd: end})
		prevEnd = end
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	obj.close = int(dec.InputOffset()) - 1
	if _, err := dec.Token(); err == nil {
		return nil, fmt.Errorf("content after the top-level object")
	}
	return obj, nil
}

// skipJSONSpace returns the first offset from i that is not white space
// or one of extra.
func skipJSONSpace(src []byte, i int, extra string) int {
	for i < len(src) && (strings.IndexByte(" \t\r\n", src[i]) >= 0 || strings.IndexByte(extra, src[i]) >= 0) {
		i++
	}
	return i
}

func editJSON(filename string, src []byte, sets []Setting, opts Options) ([]byte, []Change, error) {
	obj, err := scanJSON(src)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w: %w", filename, ErrParse, err)
	}
	byKey := map[string]jsonEntry{}
	for _, e := range obj.entries {
		if _, dup := byKey[e.key]; dup {
			return nil, nil, fmt.Errorf("%s sets %q twice: %w", filename, e.key, ErrParse)
		}
		byKey[e.key] = e
	}
	var splices []splice
	var changes []Change
	var added []jsonMember
	for _, s := range sets {
		e, ok := byKey[s.Name]
		if !ok && opts.ExistingOnly {
			return nil, nil, fmt.Errorf("%s: %s is not set and --existing-only is given: %w", filename, s.Name, ErrMissing)
		}
		old := cty.NilVal
		oldText := ""
		if ok {
			oldText = string(src[e.valStart:e.valEnd])
			if ty, err := ctyjson.ImpliedType([]byte(oldText)); err == nil {
				old, _ = ctyjson.Unmarshal([]byte(oldText), ty)
			}
		}
		v, err := typedValue(s, opts.Declared[s.Name], old)
		if err != nil {
			return nil, nil, err
		}
		if ok && sameValue(old, v) {
			continue
		}
		text, err := ctyjson.Marshal(v, v.Type())
		if err != nil {
			return nil, nil, fmt.Errorf("%s: %w", s.Name, err)
		}
		changes = append(changes, Change{Name: s.Name, Old: oldText, New: string(text), Added: !ok})
		if ok {
			splices = append(splices, splice{at: e.valStart, end: e.valEnd, text: string(text)})
			continue
		}
		key, _ := json.Marshal(s.Name)
		added = append(added, jsonMember{key: string(key), value: string(text)})
	}
	if len(changes) == 0 {
		return src, nil, nil
	}
	if len(added) > 0 {
		splices = append(splices, jsonAppend(src, obj, added))
	}
	out := applySplices(src, splices)
	if !json.Valid(out) {
		return nil, nil, fmt.Errorf("%s: the edit would not be valid JSON: %w", filename, ErrUnsupported)
	}
	return out, changes, nil
}

// splice replaces src[at:end] with text.
type splice struct {
	at, end int
	text    string
}

// jsonMember is a member to add: its key and value as JSON text.
type jsonMember struct{ key, value string }

func sortSplices(s []splice) []splice {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j].at < s[j-1].at; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}

// jsonAppend adds members at the end of the object, laid out like its
// last member.
func jsonAppend(src []byte, obj *jsonObject, members []jsonMember) splice {
	var b strings.Builder
	if len(obj.entries) == 0 {
		lead, tail := " ", " "
		if bytes.Contains(src, []byte("\n")) {
			lead, tail = "\n  ", "\n"
		}
		for i, m := range members {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(lead + m.key + ": " + m.value)
		}
		b.WriteString(tail)
		return splice{at: obj.open, end: obj.close, text: b.String()}
	}
	lastE := obj.entries[len(obj.entries)-1]
	prev := obj.open
	if len(obj.entries) > 1 {
		prev = obj.entries[len(obj.entries)-2].valEnd
	}
	lead := strings.TrimLeft(string(src[prev:lastE.keyStart]), ",") // what comes before a key: "\n  "
	if lead == "" {
		lead = " "
	}
	keyEnd := lastE.keyStart + len(jsonKeyAt(src, lastE.keyStart))
	sep := string(src[keyEnd:lastE.valStart]) // ": "
	for _, m := range members {
		b.WriteString("," + lead + m.key + sep + m.value)
	}
	return splice{at: lastE.valEnd, end: lastE.valEnd, text: b.String()}
}

// jsonKeyAt returns the JSON string literal starting at i.
func jsonKeyAt(src []byte, i int) string {
	dec := json.NewDecoder(bytes.NewReader(src[i:]))
	if _, err := dec.Token(); err != nil {
		return ""
	}
	return string(src[i : i+int(dec.InputOffset())])
}
