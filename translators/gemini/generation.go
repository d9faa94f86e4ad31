package gemini

import (
	"strconv"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// MaxStopSequences is the most stop sequences Gemini takes in one request;
// more would only earn the client Gemini's own 400.
const MaxStopSequences = 5

// Param maps a client's sampling or limit field to a generationConfig
// field. Ranges are the client protocol's, checked so that a client gets
// its own API's kind of 400 rather than Gemini's.
type Param struct {
	Client string // the client's field
	Or     string // read instead when Client is unset (an older name)
	Gemini string // the generationConfig field
	// A number within [Min, Max], written as the client wrote it; with
	// Integer, an integer of at least Min (Max unused).
	Integer  bool
	Min, Max float64
	Clamp    bool // an output token count: clamped to the model's limit (ClampOutput)
	// OmitZero: 0 is the field's default and is not sent (a penalty of 0
	// is no penalty, and models without penalties refuse even that).
	OmitZero bool
}

// Generation writes a request's `,"generationConfig":{…}`, field by field
// as the client's are read; End leaves nothing when no field was written.
type Generation struct {
	out   []byte
	start int
	n     int
}

// NewGeneration starts a generationConfig at the end of out.
func NewGeneration(out []byte) Generation {
	return Generation{out: append(out, `,"generationConfig":{`...), start: len(out)}
}

// Key writes the next field's name.
func (g *Generation) Key(name string) {
	if g.n > 0 {
		g.out = append(g.out, ',')
	}
	g.n++
	g.out = jsonw.Key(g.out, name)
}

// Raw writes a field whose value is raw JSON.
func (g *Generation) Raw(name, raw string) {
	g.Key(name)
	g.out = append(g.out, raw...)
}

// Int writes an integer field.
func (g *Generation) Int(name string, v int64) {
	g.Key(name)
	g.out = jsonw.Int(g.out, v)
}

// Array writes a field whose value is the array of items, raw JSON values
// separated by commas; nothing when there are none.
func (g *Generation) Array(name string, items []byte) {
	if len(items) == 0 {
		return
	}
	g.Key(name)
	g.out = append(g.out, '[')
	g.out = append(g.out, items...)
	g.out = append(g.out, ']')
}

// Strings writes a field whose value is the strings of the array arr that
// keep checks and keeps, in order (nothing when none is kept); keep's error
// ends the reading.
func (g *Generation) Strings(name string, arr gjson.Result, keep func(i int, s gjson.Result) (bool, *apierror.Error)) *apierror.Error {
	var list []byte
	if e := jsonidx.Each(arr, func(i int, s gjson.Result) *apierror.Error {
		ok, e := keep(i, s)
		if ok {
			if len(list) > 0 {
				list = append(list, ',')
			}
			list = jsonw.String(list, s.Str)
		}
		return e
	}); e != nil {
		return e
	}
	g.Array(name, list)
	return nil
}

// JSONObject asks for a JSON answer (OpenAI's json_object format).
func (g *Generation) JSONObject() { g.Raw("responseMimeType", `"application/json"`) }

// JSONSchema asks for a JSON answer following schema, cleaned to Gemini's
// subset as for tool parameters; ok is false, with the depth reached, for
// a schema nested deeper than the gateway reads.
func (g *Generation) JSONSchema(schema gjson.Result) (depth int, ok bool) {
	g.JSONObject()
	g.Key("responseJsonSchema")
	g.out, depth, ok = CleanSchema(g.out, schema, false)
	return depth, ok
}

// Params reads the fields of table from obj and writes those that are set,
// in table order. model is the model served (for Clamp).
func (g *Generation) Params(f *Fields, obj jsonidx.Object, model string, table []Param) *apierror.Error {
	for _, p := range table {
		name, v := p.Client, obj.Get(p.Client)
		if p.Or != "" && Unset(v) {
			name, v = p.Or, obj.Get(p.Or)
		}
		if !p.Integer {
			raw, ok, e := f.Number(v, name, p.Min, p.Max)
			if e != nil {
				return e
			}
			if ok && !(p.OmitZero && v.Float() == 0) {
				g.Raw(p.Gemini, raw)
			}
			continue
		}
		n, ok, e := f.Int(v, name, int64(p.Min))
		if e != nil {
			return e
		}
		if !ok || p.OmitZero && n == 0 {
			continue
		}
		if p.Clamp {
			n = ClampOutput(model, n)
		}
		g.Int(p.Gemini, n)
	}
	return nil
}

// End closes the generationConfig and returns the request; without any
// field it returns the request as it was before NewGeneration.
func (g *Generation) End() []byte {
	if g.n == 0 {
		return g.out[:g.start]
	}
	return append(g.out, '}')
}

// ThinkingConfig is the thinkingConfig object of includeThoughts (thought
// summaries) and member, an Effort setting ("" for none); "" when it would
// be empty.
func ThinkingConfig(includeThoughts bool, member string) string {
	switch {
	case includeThoughts && member != "":
		return `{"includeThoughts":true,` + member + `}`
	case includeThoughts:
		return `{"includeThoughts":true}`
	case member != "":
		return "{" + member + "}"
	}
	return ""
}

// efforts maps reasoning efforts to Gemini's thinking: a level from Gemini
// 3 on, a token budget on 2.5 (Google's own mapping: low 1K, medium 8K,
// high 24K).
var efforts = [...]struct {
	name, level string
	budget      int
}{
	{"none", Minimal, 0}, {"minimal", Minimal, 512}, {"low", Low, 1024}, {"medium", Medium, 8192},
	{"high", High, 24576}, {"xhigh", XHigh, 24576}, {"max", XHigh, 24576},
}

// Effort returns model's thinking setting for a reasoning effort as a
// thinkingConfig member: `"thinkingLevel":"…"` from Gemini 3 on, the
// closest level the model knows (ThinkingLevel), `"thinkingBudget":…` on
// 2.5, where 2.5 Pro cannot turn thinking off (128 is its minimum). Never
// both: Gemini answers 400. ok is false for an unknown effort.
func Effort(model, effort string) (member string, ok bool) {
	for _, e := range efforts {
		if e.name != effort {
			continue
		}
		if IsGemini3OrLater(model) {
			return `"thinkingLevel":"` + ThinkingLevel(model, e.level) + `"`, true
		}
		budget := e.budget
		if budget == 0 && IsPro(model) {
			budget = 128
		}
		return `"thinkingBudget":` + strconv.Itoa(budget), true
	}
	return "", false
}
