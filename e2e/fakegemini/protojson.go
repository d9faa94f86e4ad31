package fakegemini

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// The real service parses bodies with a strict proto-JSON parser: unknown
// names, lists for singular fields and values of the wrong type fail before
// any semantic check, with "Invalid JSON payload received. …": schema
// keywords outside the Schema proto, type lists, a list or a string as
// functionResponse.response.
// walker reproduces that parser over the descriptors of specs.go and emits a
// canonical copy of the body (camelCase names, upper-case enums, numbers for
// int64 strings) that the semantic checks then decode into Go structs.

type kind int

const (
	kString kind = iota
	kBool
	kInt32
	kInt64
	kFloat
	kDouble
	kBytes
	kEnum
	kMsg
	kStruct   // google.protobuf.Struct: any JSON object
	kValue    // google.protobuf.Value: any JSON value
	kDuration // google.protobuf.Duration: "1.5s"
)

type field struct {
	kind     kind
	repeated bool
	isMap    bool // map<string, msg>
	msg      *message
	enum     *enumType
	oneof    string
}

type enumType struct {
	name   string
	values []string
}

type message struct {
	name   string
	fields map[string]*field // camelCase JSON name → field
}

const typePrefix = "type.googleapis.com/google.ai.generativelanguage.v1beta."

func (f *field) typeName() string {
	switch f.kind {
	case kString:
		return "TYPE_STRING"
	case kBool:
		return "TYPE_BOOL"
	case kInt32:
		return "TYPE_INT32"
	case kInt64:
		return "TYPE_INT64"
	case kFloat:
		return "TYPE_FLOAT"
	case kDouble:
		return "TYPE_DOUBLE"
	case kBytes:
		return "TYPE_BYTES"
	case kEnum:
		return typePrefix + f.enum.name
	case kMsg:
		return typePrefix + f.msg.name
	case kStruct:
		return "type.googleapis.com/google.protobuf.Struct"
	case kDuration:
		return "type.googleapis.com/google.protobuf.Duration"
	}
	return "type.googleapis.com/google.protobuf.Value"
}

// lookup accepts the json_name (camelCase) and the proto name (snake_case),
// as the real parser does.
func (m *message) lookup(name string) (*field, string) {
	if f, ok := m.fields[name]; ok {
		return f, name
	}
	if strings.Contains(name, "_") {
		c := snakeToCamel(name)
		if f, ok := m.fields[c]; ok && camelToSnake(c) == name {
			return f, c
		}
	}
	return nil, ""
}

func snakeToCamel(s string) string {
	var b strings.Builder
	up := false
	for _, r := range s {
		if r == '_' {
			up = true
			continue
		}
		if up && r >= 'a' && r <= 'z' {
			r -= 'a' - 'A'
		}
		up = false
		b.WriteRune(r)
	}
	return b.String()
}

func camelToSnake(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
			r += 'a' - 'A'
		}
		b.WriteRune(r)
	}
	return b.String()
}

// member is one key/value of a JSON object, in document order.
type member struct {
	Key string
	Val json.RawMessage
}

// objectMembers decodes a JSON object keeping the key order (the real error
// paths index map entries by position: "properties[0].value").
func objectMembers(raw []byte) ([]member, bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	t, err := dec.Token()
	if d, ok := t.(json.Delim); err != nil || !ok || d != '{' {
		return nil, false
	}
	var out []member
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, false
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, false
		}
		out = append(out, member{k, v})
	}
	return out, true
}

// jsonKind is the first significant byte of a JSON value: { [ " t f n or 0.
func jsonKind(raw []byte) byte {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return 0
	}
	switch c := raw[0]; c {
	case '{', '[', '"', 't', 'f', 'n':
		return c
	}
	return '0'
}

type walker struct{ err *apiError }

func (w *walker) failed() bool { return w.err != nil }

func (w *walker) fail(fieldPath, msg string) {
	if w.err == nil {
		w.err = invalidArgument(msg, BadRequestDetail(fieldPath, msg))
	}
}

// unknownName: `Invalid JSON payload received. Unknown name "x" at 'p': why`.
func (w *walker) unknownName(name, at, why string) {
	msg := fmt.Sprintf("Invalid JSON payload received. Unknown name %q: %s", name, why)
	if at != "" {
		msg = fmt.Sprintf("Invalid JSON payload received. Unknown name %q at '%s': %s", name, at, why)
	}
	w.fail(at, msg)
}

// invalidValue: "Invalid value at 'p' (TYPE), raw".
func (w *walker) invalidValue(path string, f *field, raw []byte) {
	w.fail(path, fmt.Sprintf("Invalid value at '%s' (%s), %s", path, f.typeName(), compactJSON(raw)))
}

func compactJSON(raw []byte) string {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return string(raw)
	}
	return b.String()
}

func joinPath(at, name string) string {
	if at == "" {
		return name
	}
	return at + "." + name
}

// root walks a request body against m. An empty body is an empty message.
func (w *walker) root(body []byte, m *message) []byte {
	if len(bytes.TrimSpace(body)) == 0 {
		return []byte("{}")
	}
	if !json.Valid(body) {
		w.fail("", "Invalid JSON payload received. Unexpected token.\n"+firstLine(body))
		return nil
	}
	if jsonKind(body) != '{' {
		w.fail("", `Invalid JSON payload received. Unknown name "": Root element must be a message.`)
		return nil
	}
	return w.message(body, m, "")
}

func firstLine(b []byte) string {
	s := string(b)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 80 {
		s = s[:80]
	}
	return s
}

// message walks one object; at is its path ("" for the root).
func (w *walker) message(raw []byte, m *message, at string) []byte {
	members, ok := objectMembers(raw)
	if !ok {
		w.fail(at, "Invalid JSON payload received. Expected an object key or }.")
		return nil
	}
	var b bytes.Buffer
	b.WriteByte('{')
	oneofs := map[string]bool{}
	n := 0
	for _, mem := range members {
		f, canon := m.lookup(mem.Key)
		if f == nil {
			w.unknownName(mem.Key, at, "Cannot find field.")
			return nil
		}
		if jsonKind(mem.Val) == 'n' { // null = unset
			continue
		}
		if f.oneof != "" {
			if oneofs[f.oneof] {
				w.fail(at, fmt.Sprintf("Invalid JSON payload received. Oneof field '%s' is already set. Cannot set '%s'", f.oneof, mem.Key))
				return nil
			}
			oneofs[f.oneof] = true
		}
		v := w.value(mem.Val, f, mem.Key, at, joinPath(at, camelToSnake(canon)))
		if w.failed() {
			return nil
		}
		if n > 0 {
			b.WriteByte(',')
		}
		n++
		k, _ := json.Marshal(canon)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes()
}

func (w *walker) value(raw []byte, f *field, name, at, path string) []byte {
	k := jsonKind(raw)
	switch {
	case f.isMap:
		members, ok := objectMembers(raw)
		if !ok {
			w.invalidValue(path, f, raw)
			return nil
		}
		var b bytes.Buffer
		b.WriteByte('{')
		for i, mem := range members {
			if k := jsonKind(mem.Val); k != '{' {
				w.invalidValue(fmt.Sprintf("%s[%d].value", path, i), f, mem.Val)
				return nil
			}
			v := w.message(mem.Val, f.msg, fmt.Sprintf("%s[%d].value", path, i))
			if w.failed() {
				return nil
			}
			if i > 0 {
				b.WriteByte(',')
			}
			key, _ := json.Marshal(mem.Key)
			b.Write(key)
			b.WriteByte(':')
			b.Write(v)
		}
		b.WriteByte('}')
		return b.Bytes()
	case f.repeated:
		if k != '[' {
			w.invalidValue(path, f, raw)
			return nil
		}
		var elems []json.RawMessage
		_ = json.Unmarshal(raw, &elems)
		var b bytes.Buffer
		b.WriteByte('[')
		for i, e := range elems {
			ep := fmt.Sprintf("%s[%d]", path, i)
			if jsonKind(e) == '[' {
				w.unknownName(name, at, "Proto field is not repeating, cannot start list.")
				return nil
			}
			v := w.single(e, f, ep)
			if w.failed() {
				return nil
			}
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(v)
		}
		b.WriteByte(']')
		return b.Bytes()
	case k == '[' && f.kind != kValue:
		// JSON Schema type lists, and a list as functionResponse.response.
		w.unknownName(name, at, "Proto field is not repeating, cannot start list.")
		return nil
	}
	return w.single(raw, f, path)
}

// jsonStarts holds, for the kinds whose JSON form is one kind of JSON
// value, the first bytes (as jsonKind gives them) a value of it may have.
var jsonStarts = map[kind]string{
	kMsg:    "{",
	kStruct: "{",
	kString: `"`,
	kBool:   "tf",
}

func (w *walker) single(raw []byte, f *field, path string) []byte {
	k := jsonKind(raw)
	if starts, ok := jsonStarts[f.kind]; ok && strings.IndexByte(starts, k) < 0 {
		w.invalidValue(path, f, raw)
		return nil
	}
	switch f.kind {
	case kMsg:
		return w.message(raw, f.msg, path)
	case kStruct, kValue, kString, kBool:
		return compactBytes(raw)
	case kInt32, kInt64:
		n, ok := parseProtoInt(raw, f.kind == kInt32)
		if !ok {
			w.invalidValue(path, f, raw)
			return nil
		}
		return []byte(strconv.FormatInt(n, 10))
	case kFloat, kDouble:
		x, ok := parseProtoFloat(raw)
		if !ok {
			w.invalidValue(path, f, raw)
			return nil
		}
		return []byte(strconv.FormatFloat(x, 'g', -1, 64))
	case kBytes:
		var s string
		if k != '"' || json.Unmarshal(raw, &s) != nil || !isBase64(s) {
			if k == '"' {
				w.fail(path, fmt.Sprintf("Invalid value at '%s' (%s), Base64 decoding failed for %s", path, f.typeName(), compactJSON(raw)))
			} else {
				w.invalidValue(path, f, raw)
			}
			return nil
		}
		return compactBytes(raw)
	case kDuration:
		var s string
		if k != '"' || json.Unmarshal(raw, &s) != nil || !strings.HasSuffix(s, "s") {
			w.invalidValue(path, f, raw)
			return nil
		}
		return compactBytes(raw)
	case kEnum:
		return w.enumValue(raw, f, path)
	}
	return compactBytes(raw)
}

// Enum names are matched case-insensitively: the cookbook sends "any" and
// "object" successfully. Numbers are accepted as enum numbers.
func (w *walker) enumValue(raw []byte, f *field, path string) []byte {
	switch jsonKind(raw) {
	case '"':
		var s string
		_ = json.Unmarshal(raw, &s)
		for _, v := range f.enum.values {
			if strings.EqualFold(v, s) {
				q, _ := json.Marshal(v)
				return q
			}
		}
	case '0':
		if n, ok := parseProtoInt(raw, true); ok && n >= 0 && int(n) < len(f.enum.values) {
			q, _ := json.Marshal(f.enum.values[n])
			return q
		}
	}
	w.invalidValue(path, f, raw)
	return nil
}

func compactBytes(raw []byte) []byte {
	var b bytes.Buffer
	if json.Compact(&b, raw) != nil {
		return raw
	}
	return b.Bytes()
}

// numberText is the text of a number given as proto-JSON allows, a JSON
// number or a string; ok is false for any other JSON value.
func numberText(raw []byte) (s string, ok bool) {
	switch jsonKind(raw) {
	case '"':
		return s, json.Unmarshal(raw, &s) == nil
	case '0':
		return string(bytes.TrimSpace(raw)), true
	}
	return "", false
}

// parseProtoInt accepts a JSON number without fraction or a numeric string.
func parseProtoInt(raw []byte, is32 bool) (int64, bool) {
	s, ok := numberText(raw)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		x, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || x != math.Trunc(x) || math.Abs(x) > 1<<53 {
			return 0, false
		}
		n = int64(x)
	}
	if is32 && (n > math.MaxInt32 || n < math.MinInt32) {
		return 0, false
	}
	return n, true
}

// parseProtoFloat accepts a finite JSON number or numeric string.
func parseProtoFloat(raw []byte) (float64, bool) {
	s, ok := numberText(raw)
	if !ok {
		return 0, false
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, false
	}
	return x, true
}

func isBase64(s string) bool {
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if _, err := enc.DecodeString(s); err == nil {
			return true
		}
	}
	return false
}
