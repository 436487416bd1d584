package drift

import (
	"bytes"
	"encoding/json"
	"math/big"
	"reflect"
)

// equalValues reports whether two attribute values are the same JSON value.
// A finding's values come from a plan (numbers as json.Number) or back from
// the store (numbers as float64), so they are compared as JSON, numbers by
// value: 1, 1.0 and json.Number("1") are equal.
func equalValues(a, b any) bool {
	ca, okA := canonical(a)
	cb, okB := canonical(b)
	if !okA || !okB {
		return reflect.DeepEqual(a, b)
	}
	return reflect.DeepEqual(ca, cb)
}

// numberPrec is the precision, in bits, at which numbers are compared: far
// beyond float64, and bounded whatever the number's exponent.
const numberPrec = 256

// canonical decodes v's JSON form with numbers as binary floats of
// numberPrec bits, typed so that they cannot equal a JSON string.
func canonical(v any) (any, bool) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var out any
	if err := dec.Decode(&out); err != nil {
		return nil, false
	}
	return normalizeNumbers(out), true
}

// number is a canonical number, distinct from any string.
type number string

// normalizeNumbers replaces every json.Number in v by its exact value.
func normalizeNumbers(v any) any {
	switch t := v.(type) {
	case json.Number:
		if f, _, err := big.ParseFloat(t.String(), 10, numberPrec, big.ToNearestEven); err == nil {
			return number(f.Text('p', 0))
		}
		return number(t)
	case map[string]any:
		for k, e := range t {
			t[k] = normalizeNumbers(e)
		}
		return t
	case []any:
		for i, e := range t {
			t[i] = normalizeNumbers(e)
		}
		return t
	}
	return v
}
