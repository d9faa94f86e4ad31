package openai

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"strconv"
	"unicode/utf8"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/gemini-code-api/gemini-code-api/translators/translator"
	"github.com/tidwall/gjson"
)

// MaxEmbedBatch is Gemini's limit of requests per batchEmbedContents call.
const MaxEmbedBatch = 100

// MaxEmbedInputs is OpenAI's limit of inputs per embeddings request.
const MaxEmbedInputs = 2048

// DefaultMaxEmbeddingValues caps inputs × dimensions per request: 2048 × 768,
// so that OpenAI's largest request (2048 inputs) still fits at
// text-embedding-004's size (768 values; text-embedding-ada-002 maps to it).
// The gateway holds a whole answer before sending it, so the cap bounds the
// VM's memory. JSON takes 10-13 bytes per value, so the answer at the cap is
// about 19 MiB (base64, 5.3 bytes per value: about 8 MiB). While it is joined
// the VM holds the converted batches and the joined copy (2 × 19 MiB), plus
// one batch's answer as Gemini sends it (pretty-printed, ~22 bytes per
// value: at most 100 × 3072 values, about 7 MiB), and Go's collector lets
// the heap grow to about twice what is live: under 100 MiB of linear memory
// for a request at the cap. Uncapped, 2048 inputs × 3072 values (the size
// gemini-embedding-001 returns by default) make a 75 MB answer.
const DefaultMaxEmbeddingValues = MaxEmbedInputs * 768

// MaxEmbeddingValuesLimit is the highest cap a configuration may set: 2048
// inputs × 3072 values, the most a known model returns for OpenAI's largest
// request.
const MaxEmbeddingValuesLimit = MaxEmbedInputs * 3072

// EmbeddingsRequest is a parsed OpenAI embeddings request.
type EmbeddingsRequest struct {
	Model       string
	GeminiModel string
	Inputs      []string
	Dimensions  int64
	Base64      bool
	bodies      [][]byte // the batches' bodies, once asked for (UpstreamBody)
}

// ParseEmbeddings validates an OpenAI embeddings request. Env's
// MaxEmbeddingValues (0: DefaultMaxEmbeddingValues) caps inputs ×
// dimensions: a request above it is refused here, before anything is sent
// to Gemini.
func ParseEmbeddings(body []byte, env *translator.Env) (*EmbeddingsRequest, *apierror.Error) {
	maxValues := env.MaxEmbeddingValues
	if maxValues <= 0 {
		maxValues = DefaultMaxEmbeddingValues
	}
	root, e := jsonidx.Parse(body)
	if e != nil {
		return nil, e
	}
	r := &EmbeddingsRequest{}
	if r.Model, r.GeminiModel, e = resolveModel(root.Get("model"), env.Models); e != nil {
		return nil, e
	}
	in := root.Get("input")
	switch {
	case in.Type == gjson.String:
		r.Inputs = []string{in.Str}
	case in.IsArray():
		if e := jsonidx.Each(in, func(i int, v gjson.Result) *apierror.Error {
			if i >= MaxEmbedInputs {
				return apierror.Invalid("input", "'input' holds more than "+apierror.Itoa(MaxEmbedInputs)+" items; at most "+apierror.Itoa(MaxEmbedInputs)+" are allowed.")
			}
			if v.Type != gjson.String {
				// Token arrays cannot be embedded by Gemini, which takes text.
				return apierror.Invalid("input", "Invalid 'input["+apierror.Itoa(i)+"]': only strings can be embedded; token-id arrays are not supported by the Gemini backend.")
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
			return nil, apierror.Invalid("input", "Invalid 'input["+apierror.Itoa(i)+"]': empty strings cannot be embedded.")
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
	// Compared by division: n × dims could overflow for a huge dimensions.
	n, dims := int64(len(r.Inputs)), r.valuesPerInput()
	if dims > maxValues/n {
		msg := "This request asks for " + strconv.FormatInt(n, 10) + " embeddings of " + strconv.FormatInt(dims, 10) + " values"
		if r.Dimensions == 0 {
			msg += " (`dimensions` is not set: " + r.GeminiModel + " is assumed to return " + strconv.FormatInt(dims, 10) + ")"
		}
		msg += "; this gateway answers at most " + strconv.FormatInt(maxValues, 10) + " values (inputs × dimensions) per request. Send fewer inputs per request or a smaller `dimensions`."
		return nil, apierror.Invalid("input", msg)
	}
	return r, nil
}

// valuesPerInput is the length of each embedding Gemini is expected to
// return: the requested dimensions, else the model's full size.
func (r *EmbeddingsRequest) valuesPerInput() int64 {
	if r.Dimensions > 0 {
		return r.Dimensions
	}
	switch r.GeminiModel {
	case "text-embedding-004", "embedding-001":
		return 768
	}
	// gemini-embedding-001's size, and the assumption for models the
	// gateway does not know, so that the cap holds for them too.
	return 3072
}

// The embeddings request is a Translator of one batchEmbedContents call
// per batch of MaxEmbedBatch inputs.

// Models returns the client's model and the Gemini model.
func (r *EmbeddingsRequest) Models() (client, upstream string) { return r.Model, r.GeminiModel }

// Streaming is false: embeddings are answered whole.
func (r *EmbeddingsRequest) Streaming() bool { return false }

// Notice is empty: every field is served.
func (r *EmbeddingsRequest) Notice() string { return "" }

// Calls is the number of batches.
func (r *EmbeddingsRequest) Calls() int { return (len(r.Inputs) + MaxEmbedBatch - 1) / MaxEmbedBatch }

// UpstreamBody is the body of batch i (Batches).
func (r *EmbeddingsRequest) UpstreamBody(i int) []byte {
	if r.bodies == nil {
		r.bodies = r.Batches()
	}
	return r.bodies[i]
}

// Release drops the batches' bodies; the inputs stay, the answer's usage
// counts them.
func (r *EmbeddingsRequest) Release() { r.bodies = nil }

// NewStream is nil: embeddings are never streamed.
func (r *EmbeddingsRequest) NewStream() translator.Stream { return nil }

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

// batchSize is the number of inputs of batch i of Batches.
func (r *EmbeddingsRequest) batchSize(i int) int {
	return min(MaxEmbedBatch, len(r.Inputs)-i*MaxEmbedBatch)
}

// maxAnswerBytes is the largest answer batch i of Batches may have: its
// embeddings at up to 64 bytes per value, more than twice what a
// pretty-printed float takes, plus room for the structure around them.
func (r *EmbeddingsRequest) maxAnswerBytes(i int) int {
	return r.batchSize(i)*(int(r.valuesPerInput())*64+256) + 4096
}

// Response converts and joins the answers of Batches (in the same order)
// into OpenAI's list, as EmbeddingsAnswer does.
func (r *EmbeddingsRequest) Response(answers [][]byte) ([]byte, *apierror.Error) {
	a := r.newAnswer()
	for i, b := range answers {
		if e := a.Add(i, b); e != nil {
			return nil, e
		}
	}
	return a.Join()
}

// EmbeddingsAnswer builds the answer of one request from its batches' answers,
// which may arrive in any order. Each is converted as it arrives to its
// final form (OpenAI's items, numbers without Gemini's pretty-printing, or
// base64), so the caller can drop Gemini's answer, roughly twice as large,
// at once instead of holding every batch's until the last arrives.
type EmbeddingsAnswer struct {
	r       *EmbeddingsRequest
	parts   [][]byte // converted items of each batch, exact size
	scratch []byte   // conversion buffer, reused across batches
	floats  []byte   // little-endian float32 of one embedding (base64)
}

// NewAnswer starts the answer to r's batches.
func (r *EmbeddingsRequest) NewAnswer() translator.Answer { return r.newAnswer() }

func (r *EmbeddingsRequest) newAnswer() *EmbeddingsAnswer {
	return &EmbeddingsAnswer{r: r, parts: make([][]byte, (len(r.Inputs)+MaxEmbedBatch-1)/MaxEmbedBatch)}
}

// Add converts Gemini's answer to batch i of Batches. The answer must hold
// one embedding per input of the batch, each of at most the expected number
// of values; conversion stops at the first value beyond that, so what the
// answer holds never grows the output past the request's cap. body is not
// retained.
func (a *EmbeddingsAnswer) Add(i int, body []byte) *apierror.Error {
	r := a.r
	if i < 0 || i >= len(a.parts) || a.parts[i] != nil {
		return apierror.New(apierror.Server, "The gateway got an answer to embeddings batch "+apierror.Itoa(i)+" twice, or to a batch it did not send.")
	}
	if e := a.CheckSize(i, len(body)); e != nil {
		return e
	}
	valid, tooDeep := jsondepth.ReadAnswer(body) // before gjson, which recurses per level
	if tooDeep != nil {
		return tooDeep
	}
	if !valid {
		return apierror.New(apierror.BadGateway, "Gemini answered the embeddings request with a body that is not JSON.")
	}
	want, dims := r.batchSize(i), int(r.valuesPerInput())
	first := i * MaxEmbedBatch
	out := a.scratch[:0]
	n := 0
	var e *apierror.Error
	// The answer is read in place: gjson.GetBytes would copy the embeddings,
	// nearly all of it. Nothing read from it outlives this call.
	gjson.Get(unsafeString(body), "embeddings").ForEach(func(_, emb gjson.Result) bool {
		if n == want {
			e = apierror.New(apierror.BadGateway, "Gemini returned more embeddings than the "+apierror.Itoa(want)+" inputs of "+a.batchName(i)+".")
			return false
		}
		vals := emb.Get("values")
		if !vals.IsArray() {
			e = apierror.New(apierror.BadGateway, "Gemini answered an embedding without values.")
			return false
		}
		if n > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"object":"embedding","index":`...)
		out = jsonw.Int(out, int64(first+n))
		out = append(out, `,"embedding":`...)
		if r.Base64 {
			out, e = a.appendBase64(out, vals, dims)
		} else {
			out, e = appendFloats(out, vals, dims)
		}
		if e != nil {
			return false
		}
		out = append(out, '}')
		n++
		return true
	})
	a.scratch = out[:0]
	if e != nil {
		return e
	}
	if n != want {
		return apierror.New(apierror.BadGateway, "Gemini returned "+apierror.Itoa(n)+" embeddings for the "+apierror.Itoa(want)+" inputs of "+a.batchName(i)+".")
	}
	a.parts[i] = append(make([]byte, 0, len(out)), out...)
	return nil
}

// batchName names batch i for messages, counting from 1 as people do.
func (a *EmbeddingsAnswer) batchName(i int) string {
	return "embeddings batch " + apierror.Itoa(i+1) + " of " + apierror.Itoa(len(a.parts))
}

// CheckSize refuses an answer of size bytes to batch i when it is larger
// than the batch's embeddings can be at the expected size: such an answer
// cannot be valid, and a caller that checks before reading it never copies
// it into memory. Add checks it too.
func (a *EmbeddingsAnswer) CheckSize(i, size int) *apierror.Error {
	if limit := a.r.maxAnswerBytes(i); size > limit {
		return apierror.New(apierror.BadGateway, "Gemini's answer to "+a.batchName(i)+" is "+apierror.Itoa(size)+" bytes, more than the "+apierror.Itoa(limit)+" its embeddings can take at the expected size; the gateway refused it.")
	}
	return nil
}

// appendFloats writes the values as a JSON array, each number's own bytes
// without the whitespace around it.
func appendFloats(out []byte, vals gjson.Result, dims int) ([]byte, *apierror.Error) {
	out = append(out, '[')
	k := 0
	e := eachNumber(vals.Raw, dims, func(tok string) {
		if k > 0 {
			out = append(out, ',')
		}
		out = append(out, tok...)
		k++
	})
	return append(out, ']'), e
}

// appendBase64 writes the values as base64 of little-endian float32, what
// openai-python decodes with np.frombuffer(dtype=float32).
func (a *EmbeddingsAnswer) appendBase64(out []byte, vals gjson.Result, dims int) ([]byte, *apierror.Error) {
	raw := a.floats[:0]
	e := eachNumber(vals.Raw, dims, func(tok string) {
		f, _ := strconv.ParseFloat(tok, 64)
		raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(f)))
	})
	a.floats = raw[:0]
	out = append(out, '"')
	out = base64.StdEncoding.AppendEncode(out, raw)
	return append(out, '"'), e
}

// eachNumber calls f with each element of arr, the raw text of an array in
// a document gjson validated, and stops with an error at an element that is
// not a number or at element dims+1. It scans the text itself rather than
// asking gjson for each element: a vector holds thousands of numbers, and
// parsing them one by one made the conversion three times slower than
// copying the answer. In a valid array, a run of number characters is a
// number, and any other character starts a value of another kind.
func eachNumber(arr string, dims int, f func(tok string)) *apierror.Error {
	k, start := 0, -1
	for i := 1; i < len(arr); i++ { // arr[0] is '['
		switch numberClass[arr[i]] {
		case numChar:
			if start < 0 {
				start = i
			}
		case numEnd:
			if start >= 0 {
				if k == dims {
					return apierror.New(apierror.BadGateway, "Gemini returned an embedding of more than the "+apierror.Itoa(dims)+" values expected; the gateway stopped reading the answer.")
				}
				f(arr[start:i])
				k++
				start = -1
			}
		default:
			return apierror.New(apierror.BadGateway, "Gemini answered an embedding value that is not a number.")
		}
	}
	return nil
}

const (
	numOther = iota
	numChar  // part of a number
	numEnd   // whitespace or separator: ends a number
)

var numberClass = func() (t [256]uint8) {
	for _, c := range "0123456789-+.eE" {
		t[c] = numChar
	}
	for _, c := range ",] \n\r\t" {
		t[c] = numEnd
	}
	return
}()

// Usage is none: Gemini's embedding answers carry no usageMetadata (Join
// writes the client's estimate).
func (a *EmbeddingsAnswer) Usage() gemini.Usage { return gemini.Usage{} }

// Join returns OpenAI's list of every batch's embeddings, in input order,
// in one allocation of the exact size, and releases the converted batches.
// Gemini reports no token counts for embeddings, so usage is an estimate: a
// quarter of the input characters, rounded up.
func (a *EmbeddingsAnswer) Join() ([]byte, *apierror.Error) {
	r := a.r
	const head = `{"object":"list","data":[`
	var chars int64
	for _, s := range r.Inputs {
		chars += int64(utf8.RuneCountInString(s))
	}
	tokens := (chars + 3) / 4
	tail := append([]byte(nil), `],"model":`...)
	tail = jsonw.String(tail, r.Model)
	tail = append(tail, `,"usage":{"prompt_tokens":`...)
	tail = jsonw.Int(tail, tokens)
	tail = append(tail, `,"total_tokens":`...)
	tail = jsonw.Int(tail, tokens)
	tail = append(tail, "}}"...)

	size := len(head) + max(len(a.parts)-1, 0) + len(tail)
	for i, p := range a.parts {
		if p == nil {
			return nil, apierror.New(apierror.Server, "The gateway has no answer to "+a.batchName(i)+".")
		}
		size += len(p)
	}
	out := make([]byte, 0, size)
	out = append(out, head...)
	for i, p := range a.parts {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, p...)
	}
	out = append(out, tail...)
	a.parts, a.scratch, a.floats = nil, nil, nil
	return out, nil
}
