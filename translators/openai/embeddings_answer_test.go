package openai

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand"
	"strconv"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// prettyAnswer is a batchEmbedContents answer for n inputs of dims values,
// pretty-printed as Gemini sends it, with the kinds of numbers it writes
// (exponents, negative zero, integers) among the random ones.
func prettyAnswer(t *testing.T, rng *rand.Rand, n, dims int) []byte {
	t.Helper()
	special := []string{"1e-05", "-2.7940067e-05", "-0", "0", "1", "-0.5", "0.123456789"}
	var b strings.Builder
	b.WriteString(`{"embeddings":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"values":[`)
		for j := range dims {
			if j > 0 {
				b.WriteByte(',')
			}
			if k := rng.Intn(4 * len(special)); k < len(special) {
				b.WriteString(special[k])
			} else {
				b.WriteString(strconv.FormatFloat(rng.Float64()*2-1, 'g', -1, 32))
			}
		}
		b.WriteString(`]}`)
	}
	b.WriteString(`]}`)
	var out bytes.Buffer
	if err := json.Indent(&out, []byte(b.String()), "", "  "); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// oldResponse is the conversion the gateway made before answers were
// converted batch by batch: every answer held, values copied verbatim.
func oldResponse(r *EmbeddingsRequest, answers [][]byte) []byte {
	out := []byte(`{"object":"list","data":[`)
	idx := 0
	for _, a := range answers {
		gjson.GetBytes(a, "embeddings").ForEach(func(_, e gjson.Result) bool {
			if idx > 0 {
				out = append(out, ',')
			}
			out = append(out, `{"object":"embedding","index":`...)
			out = jsonw.Int(out, int64(idx))
			out = append(out, `,"embedding":`...)
			vals := e.Get("values")
			if r.Base64 {
				var raw []byte
				vals.ForEach(func(_, v gjson.Result) bool {
					raw = binary.LittleEndian.AppendUint32(raw, math.Float32bits(float32(v.Float())))
					return true
				})
				out = append(out, '"')
				out = base64.StdEncoding.AppendEncode(out, raw)
				out = append(out, '"')
			} else {
				out = append(out, vals.Raw...)
			}
			out = append(out, '}')
			idx++
			return true
		})
	}
	var chars int64
	for _, s := range r.Inputs {
		chars += int64(len([]rune(s)))
	}
	tokens := (chars + 3) / 4
	out = append(out, `],"model":`...)
	out = jsonw.String(out, r.Model)
	out = append(out, `,"usage":{"prompt_tokens":`...)
	out = jsonw.Int(out, tokens)
	out = append(out, `,"total_tokens":`...)
	out = jsonw.Int(out, tokens)
	return append(out, "}}"...)
}

func TestEmbeddingsAnswerMatchesOldConversion(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	in := make([]string, 250)
	for i := range in {
		in[i] = "texte n°" + strconv.Itoa(i)
	}
	answers := [][]byte{prettyAnswer(t, rng, 100, 16), prettyAnswer(t, rng, 100, 16), prettyAnswer(t, rng, 50, 16)}
	for _, b64 := range []bool{false, true} {
		t.Run("base64="+strconv.FormatBool(b64), func(t *testing.T) {
			r := &EmbeddingsRequest{Model: "text-embedding-3-small", GeminiModel: "gemini-embedding-001", Inputs: in, Dimensions: 16, Base64: b64}
			want := oldResponse(r, answers)

			// Batches answer in any order; the joined list is in input order.
			a := r.NewAnswer()
			for _, i := range []int{2, 0, 1} {
				if e := a.Add(i, answers[i]); e != nil {
					t.Fatal(e)
				}
			}
			got, e := a.Join()
			if e != nil {
				t.Fatal(e)
			}
			jsontest.Equal(t, got, string(want))
			// Byte for byte what the old output was without Gemini's
			// pretty-printing: nothing else changed.
			var compact bytes.Buffer
			if err := json.Compact(&compact, want); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, compact.Bytes()) {
				t.Fatalf("output is not the compact form of the old one:\n%.300s", got)
			}

			// The single-batch path (and any caller of Response) converts
			// the same way.
			one := &EmbeddingsRequest{Model: "m", GeminiModel: "gemini-embedding-001", Inputs: in[:100], Dimensions: 16, Base64: b64}
			got, e = one.Response(answers[:1])
			if e != nil {
				t.Fatal(e)
			}
			jsontest.Equal(t, got, string(oldResponse(one, answers[:1])))
			if bytes.ContainsAny(got, " \n") {
				t.Fatalf("single-batch output keeps Gemini's whitespace: %.300s", got)
			}
		})
	}
}

func TestEmbeddingsValueCap(t *testing.T) {
	body := func(model string, n int, dims string) []byte {
		in := make([]string, n)
		for i := range in {
			in[i] = `"x"`
		}
		s := `{"model":"` + model + `","input":[` + strings.Join(in, ",") + `]`
		if dims != "" {
			s += `,"dimensions":` + dims
		}
		return []byte(s + "}")
	}
	for _, tc := range []struct {
		name string
		body []byte
		ok   bool
		msg  string
	}{
		{"2048 inputs at 768 fit exactly", body("gemini-embedding-001", 2048, "768"), true, ""},
		{"2048 inputs at 769 do not", body("gemini-embedding-001", 2048, "769"), false, "2048 embeddings of 769 values"},
		{"text-embedding-004's default size fits 2048 inputs", body("text-embedding-004", 2048, ""), true, ""},
		{"the ada-002 alias is gemini-embedding-001's size", body("text-embedding-ada-002", 2048, ""), false, "gemini-embedding-001 is assumed to return 3072"},
		{"512 inputs of the ada-002 alias fit", body("text-embedding-ada-002", 512, ""), true, ""},
		{"gemini-embedding-001's default size is 3072", body("gemini-embedding-001", 2048, ""), false, "gemini-embedding-001 is assumed to return 3072"},
		{"512 inputs at 3072 fit", body("gemini-embedding-001", 512, ""), true, ""},
		{"unknown models are assumed to be 3072", body("gemini-embedding-2", 513, ""), false, "assumed to return 3072"},
		{"a huge dimensions does not overflow", body("gemini-embedding-001", 2048, "4503599627370496"), false, "at most 1572864 values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, e := ParseEmbeddings(tc.body, envtest.Env(nil))
			if tc.ok != (e == nil) {
				t.Fatalf("got %+v", e)
			}
			if e != nil && (e.Status != 400 || e.Param != "input" || !strings.Contains(e.Message, tc.msg)) {
				t.Fatalf("got %d %q %q", e.Status, e.Param, e.Message)
			}
		})
	}
	if _, e := ParseEmbeddings(body("text-embedding-004", 10, "8"), envtest.Env(nil, envtest.MaxEmbeddingValues(79))); e == nil || !strings.Contains(e.Message, "at most 79 values") {
		t.Fatalf("the cap passed in is the one applied: %+v", e)
	}
}

func TestEmbeddingsAnswerRefusesMoreThanExpected(t *testing.T) {
	r := &EmbeddingsRequest{Model: "m", GeminiModel: "gemini-embedding-001", Inputs: []string{"a", "b"}, Dimensions: 3}
	for _, tc := range []struct {
		name, body string
		kind       apierror.Kind
		msg        string
	}{
		{"an embedding longer than dimensions", `{"embeddings":[{"values":[1,2,3]},{"values":[1,2,3,4]}]}`, apierror.BadGateway, "more than the 3 values expected"},
		{"more embeddings than inputs", `{"embeddings":[{"values":[1]},{"values":[1]},{"values":[1]}]}`, apierror.BadGateway, "more embeddings than the 2 inputs"},
		{"fewer embeddings than inputs", `{"embeddings":[{"values":[1]}]}`, apierror.BadGateway, "1 embeddings for the 2 inputs"},
		{"a value that is not a number", `{"embeddings":[{"values":[1]},{"values":["1"]}]}`, apierror.BadGateway, "not a number"},
		{"no values", `{"embeddings":[{"values":[1]},{}]}`, apierror.BadGateway, "without values"},
		{"not JSON", `{"embeddings":[`, apierror.BadGateway, "not JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, b64 := range []bool{false, true} {
				r.Base64 = b64
				e := r.NewAnswer().Add(0, []byte(tc.body))
				if e == nil || e.Kind != tc.kind || e.Status != 502 || !strings.Contains(e.Message, tc.msg) {
					t.Fatalf("base64=%v: got %+v", b64, e)
				}
			}
		})
	}

	// An answer larger than its embeddings can be is refused by its size,
	// before it is read, and by Add too.
	a := r.NewAnswer()
	limit := r.maxAnswerBytes(0)
	if e := a.CheckSize(0, limit); e != nil {
		t.Fatalf("an answer of the largest valid size refused: %v", e)
	}
	if e := a.CheckSize(0, limit+1); e == nil || e.Status != 502 {
		t.Fatalf("got %+v", e)
	}
	padded := `{"embeddings":[{"values":[1]},{"values":[1]}]` + strings.Repeat(" ", limit) + `}`
	if e := a.Add(0, []byte(padded)); e == nil || e.Status != 502 || !strings.Contains(e.Message, "bytes") {
		t.Fatalf("got %+v", e)
	}

	// Each batch is added once; Join needs all of them.
	a = r.NewAnswer()
	good := []byte(`{"embeddings":[{"values":[1]},{"values":[2]}]}`)
	if e := a.Add(0, good); e != nil {
		t.Fatal(e)
	}
	if e := a.Add(0, good); e == nil || e.Status != 500 {
		t.Fatalf("second answer to a batch: %+v", e)
	}
	big := &EmbeddingsRequest{Model: "m", GeminiModel: "g", Inputs: make([]string, 150)}
	if _, e := big.NewAnswer().Join(); e == nil || e.Status != 500 {
		t.Fatalf("join without answers: %+v", e)
	}
}
