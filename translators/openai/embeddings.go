package openai

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
	"github.com/tidwall/gjson"
)

// MaxEmbedBatch is Gemini's limit of requests per batchEmbedContents call.
const MaxEmbedBatch = 100

// MaxEmbedInputs is OpenAI's limit of inputs per embeddings request.
const MaxEmbedInputs = 2048

// EmbeddingsRequest is a parsed OpenAI embeddings request.
type EmbeddingsRequest struct {
	Model       string
	GeminiModel string
	Inputs      []string
	Dimensions  int64
	Base64      bool
}

// ParseEmbeddings validates an OpenAI embeddings request (protocol-mapping
// §2.5, §4.13).
func ParseEmbeddings(body []byte, mm *models.Map) (*EmbeddingsRequest, *apierror.Error) {
	if e := jsondepth.CheckRequest(body); e != nil {
		return nil, e // before gjson's validation, which recurses per level
	}
	if !gjson.ValidBytes(body) {
		return nil, apierror.Invalid("", "The request body is not valid JSON.")
	}
	root := gjson.ParseBytes(body)
	if !root.IsObject() {
		return nil, apierror.Invalid("", "The request body must be a JSON object.")
	}
	r := &EmbeddingsRequest{}
	model := root.Get("model")
	if model.Type != gjson.String || model.Str == "" {
		return nil, apierror.Invalid("model", "you must provide a model parameter (a string).")
	}
	if e := models.CheckClientName(model.Str); e != nil {
		return nil, e
	}
	r.Model, r.GeminiModel = model.Str, mm.Resolve(model.Str)
	if !models.ValidName(r.GeminiModel) {
		return nil, apierror.Invalid("model", "The model `"+model.Str+"` is not a valid model name.")
	}
	in := root.Get("input")
	switch {
	case in.Type == gjson.String:
		r.Inputs = []string{in.Str}
	case in.IsArray():
		if e := jsonidx.Each(in, func(i int, v gjson.Result) *apierror.Error {
			if i >= MaxEmbedInputs {
				return apierror.Invalid("input", "'input' holds more than "+strconv.Itoa(MaxEmbedInputs)+" items; at most "+strconv.Itoa(MaxEmbedInputs)+" are allowed.")
			}
			if v.Type != gjson.String {
				// Token arrays cannot be embedded by Gemini, which takes text.
				return apierror.Invalid("input", "Invalid 'input["+strconv.Itoa(i)+"]': only strings can be embedded; token-id arrays are not supported by the Gemini backend.")
			}
			r.Inputs = append(r.Inputs, v.Str)
			return nil
		}); e != nil {
			return nil, e
		}
	default:
		return nil, apierror.Invalid("input", "'input' is required: a string or an array of strings.")
	}
	if len(r.Inputs) == 0 {
		return nil, apierror.Invalid("input", "'input' must not be empty.")
	}
	for i, s := range r.Inputs {
		if s == "" {
			return nil, apierror.Invalid("input", "Invalid 'input["+strconv.Itoa(i)+"]': empty strings cannot be embedded.")
		}
	}
	if d := root.Get("dimensions"); d.Exists() && d.Type != gjson.Null {
		if d.Type != gjson.Number || d.Num != float64(int64(d.Num)) || d.Num < 1 {
			return nil, apierror.Invalid("dimensions", "Invalid 'dimensions': expected a positive integer.")
		}
		r.Dimensions = int64(d.Num)
	}
	switch f := root.Get("encoding_format"); f.String() {
	case "", "float":
	case "base64":
		r.Base64 = true
	default:
		return nil, apierror.Invalid("encoding_format", "Invalid 'encoding_format': expected float or base64.")
	}
	return r, nil
}

// UpstreamPath is the batchEmbedContents path.
func (r *EmbeddingsRequest) UpstreamPath() string {
	return "/v1beta/models/" + r.GeminiModel + ":batchEmbedContents"
}

// Batches returns the batchEmbedContents bodies, at most MaxEmbedBatch
// requests each, in input order.
func (r *EmbeddingsRequest) Batches() [][]byte {
	var out [][]byte
	for start := 0; start < len(r.Inputs); start += MaxEmbedBatch {
		end := min(start+MaxEmbedBatch, len(r.Inputs))
		b := make([]byte, 0, 64*(end-start))
		b = append(b, `{"requests":[`...)
		for i, s := range r.Inputs[start:end] {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"model":"models/`...)
			b = append(b, r.GeminiModel...)
			b = append(b, `","content":{"parts":[{"text":`...)
			b = jsonw.String(b, s)
			b = append(b, `}]}`...)
			if r.Dimensions > 0 {
				b = append(b, `,"outputDimensionality":`...)
				b = jsonw.Int(b, r.Dimensions)
			}
			b = append(b, '}')
		}
		out = append(out, append(b, "]}"...))
	}
	return out
}

// Response joins the answers of Batches (in the same order) into OpenAI's
// list. Gemini reports no token counts for embeddings, so usage is an
// estimate: a quarter of the input characters, rounded up.
func (r *EmbeddingsRequest) Response(answers [][]byte) ([]byte, *apierror.Error) {
	out := make([]byte, 0, 4096)
	out = append(out, `{"object":"list","data":[`...)
	idx := 0
	for _, a := range answers {
		if e := jsondepth.CheckAnswer(a); e != nil {
			return nil, e
		}
		if !gjson.ValidBytes(a) {
			return nil, apierror.New(apierror.BadGateway, "Gemini answered the embeddings request with a body that is not JSON.")
		}
		var bad bool
		gjson.GetBytes(a, "embeddings").ForEach(func(_, e gjson.Result) bool {
			if idx > 0 {
				out = append(out, ',')
			}
			out = append(out, `{"object":"embedding","index":`...)
			out = jsonw.Int(out, int64(idx))
			out = append(out, `,"embedding":`...)
			vals := e.Get("values")
			if !vals.IsArray() {
				bad = true
				return false
			}
			if r.Base64 {
				out = appendBase64Floats(out, vals)
			} else {
				out = append(out, vals.Raw...)
			}
			out = append(out, '}')
			idx++
			return true
		})
		if bad {
			return nil, apierror.New(apierror.BadGateway, "Gemini answered an embedding without values.")
		}
	}
	if idx != len(r.Inputs) {
		return nil, apierror.New(apierror.BadGateway, "Gemini returned "+strconv.Itoa(idx)+" embeddings for "+strconv.Itoa(len(r.Inputs))+" inputs.")
	}
	var chars int64
	for _, s := range r.Inputs {
		chars += int64(utf8.RuneCountInString(s)) // counted in place: no copy of the text
	}
	tokens := (chars + 3) / 4
	out = append(out, `],"model":`...)
	out = jsonw.String(out, r.Model)
	out = append(out, `,"usage":{"prompt_tokens":`...)
	out = jsonw.Int(out, tokens)
	out = append(out, `,"total_tokens":`...)
	out = jsonw.Int(out, tokens)
	return append(out, "}}"...), nil
}

// appendBase64Floats writes the values as base64 of little-endian float32,
// what openai-python decodes with np.frombuffer(dtype=float32) (P27).
func appendBase64Floats(out []byte, vals gjson.Result) []byte {
	var raw []byte
	vals.ForEach(func(_, v gjson.Result) bool {
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(v.Float())))
		return true
	})
	out = append(out, '"')
	out = base64.StdEncoding.AppendEncode(out, raw)
	return append(out, '"')
}
