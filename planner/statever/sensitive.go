package statever

import (
	"encoding/json"
	"math"
)

// An instance's sensitive_attributes is a list of cty paths, each a list
// of steps:
//
//	[[{"type":"get_attr","value":"password"}],
//	 [{"type":"get_attr","value":"tags"},{"type":"index","value":{"value":"token","type":"string"}}],
//	 [{"type":"get_attr","value":"rule"},{"type":"index","value":{"value":0,"type":"number"}}]]
//
// An index step into a set carries the element itself as its key, which
// cannot be found again in the set's JSON list; such a path (and any step
// Redact does not know) marks everything up to that step instead.

// pathStep is one step of a cty path in its JSON encoding.
type pathStep struct {
	Type  string          `json:"type"`
	Value json.RawMessage `json:"value"`
}

// indexKey is the typed value of an index step.
type indexKey struct {
	Value any             `json:"value"`
	Type  json.RawMessage `json:"type"`
}

// mask marks the sensitive parts of a value: all of it, or the parts below
// some object keys or list indexes.
type mask struct {
	all  bool
	keys map[string]*mask
	idx  map[int]*mask
}

// sensitiveMask reads sensitive_attributes into a mask over the attributes
// object. Input it cannot read marks everything.
func sensitiveMask(raw json.RawMessage) *mask {
	root := &mask{}
	if len(raw) == 0 || string(raw) == "null" {
		return root
	}
	var paths [][]pathStep
	if err := json.Unmarshal(raw, &paths); err != nil {
		return &mask{all: true}
	}
	for _, p := range paths {
		root.mark(p)
	}
	return root
}

// mark marks the value at path p, or at the longest prefix of p that can
// be followed.
func (m *mask) mark(p []pathStep) {
	cur := m
	for _, step := range p {
		if cur.all {
			return
		}
		next, ok := cur.child(step)
		if !ok {
			break
		}
		cur = next
	}
	*cur = mask{all: true}
}

// child returns the mask below step, creating it; ok is false for a step
// that cannot be followed in the attributes' JSON.
func (m *mask) child(step pathStep) (*mask, bool) {
	switch step.Type {
	case "get_attr":
		var name string
		if err := json.Unmarshal(step.Value, &name); err != nil {
			return nil, false
		}
		return m.childKey(name), true
	case "index":
		var k indexKey
		if err := decodeJSON(step.Value, &k); err != nil {
			return nil, false
		}
		var typ string
		if err := json.Unmarshal(k.Type, &typ); err != nil {
			return nil, false // a set element (object, list...) as key
		}
		switch v := k.Value.(type) {
		case string:
			if typ == "string" {
				return m.childKey(v), true
			}
		case json.Number:
			n, err := v.Float64()
			if typ == "number" && err == nil && n >= 0 && n == math.Trunc(n) && n <= math.MaxInt32 {
				return m.childIdx(int(n)), true
			}
		}
	}
	return nil, false
}

func (m *mask) childKey(k string) *mask {
	if m.keys == nil {
		m.keys = map[string]*mask{}
	}
	if m.keys[k] == nil {
		m.keys[k] = &mask{}
	}
	return m.keys[k]
}

func (m *mask) childIdx(i int) *mask {
	if m.idx == nil {
		m.idx = map[int]*mask{}
	}
	if m.idx[i] == nil {
		m.idx[i] = &mask{}
	}
	return m.idx[i]
}
