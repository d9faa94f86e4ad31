package openai

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
)

func TestParseEmbeddings(t *testing.T) {
	r, e := ParseEmbeddings([]byte(`{"model":"text-embedding-ada-002","input":["first","second"],"dimensions":8,"encoding_format":"base64","user":"u"}`), envtest.Env(nil))
	if e != nil {
		t.Fatal(e)
	}
	if r.GeminiModel != "gemini-embedding-001" || r.UpstreamPath() != "/v1beta/models/gemini-embedding-001:batchEmbedContents" || !r.Base64 || r.Dimensions != 8 {
		t.Fatalf("%+v", r)
	}
	b := r.Batches()
	want := `{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"first"}]},"outputDimensionality":8},{"model":"models/gemini-embedding-001","content":{"parts":[{"text":"second"}]},"outputDimensionality":8}]}`
	if len(b) != 1 || string(b[0]) != want {
		t.Fatalf("batches %s", b)
	}
	for _, tc := range []struct{ in, param, msg string }{
		{`{"model":"m"}`, "input", "required"},
		{`{"model":"m","input":[1,2,3]}`, "input", "token-id"},
		{`{"model":"m","input":[""]}`, "input", "empty"},
		{`{"model":"m","input":[]}`, "input", "must not be empty"},
		{`{"input":"x"}`, "model", "model"},
		{`{"model":"m","input":"x","encoding_format":"hex"}`, "encoding_format", "float or base64"},
		{`{"model":"m","input":"x","dimensions":0}`, "dimensions", "positive"},
	} {
		if _, e := ParseEmbeddings([]byte(tc.in), envtest.Env(nil)); e == nil || e.Param != tc.param || !strings.Contains(e.Message, tc.msg) {
			t.Errorf("%s: got %+v", tc.in, e)
		}
	}
}

func TestEmbeddingsBatchesAndResponse(t *testing.T) {
	in := make([]string, 250)
	for i := range in {
		in[i] = "text"
	}
	r := &EmbeddingsRequest{Model: "m", GeminiModel: "gemini-embedding-001", Inputs: in}
	b := r.Batches()
	if len(b) != 3 || strings.Count(string(b[0]), `"model"`) != 100 || strings.Count(string(b[2]), `"model"`) != 50 {
		t.Fatalf("batch sizes wrong")
	}
	answer := func(n int, v string) []byte {
		s := `{"embeddings":[`
		for i := range n {
			if i > 0 {
				s += ","
			}
			s += `{"values":[` + v + `]}`
		}
		return []byte(s + "]}")
	}
	out, e := r.Response([][]byte{answer(100, "0.5,-1"), answer(100, "0.5,-1"), answer(50, "0.25,2")})
	if e != nil {
		t.Fatal(e)
	}
	s := string(out)
	if !strings.Contains(s, `{"object":"embedding","index":249,"embedding":[0.25,2]}`) || !strings.Contains(s, `"usage":{"prompt_tokens":250,"total_tokens":250}`) {
		t.Fatalf("%.300s ... %s", s, s[len(s)-200:])
	}
	if _, e := r.Response([][]byte{answer(99, "1")}); e == nil || e.Kind != apierror.BadGateway {
		t.Fatalf("missing embeddings must be a 502, got %+v", e)
	}

	r64 := &EmbeddingsRequest{Model: "m", GeminiModel: "g", Inputs: []string{"a"}, Base64: true}
	out, e = r64.Response([][]byte{answer(1, "0.5,-1.25")})
	if e != nil {
		t.Fatal(e)
	}
	enc := strings.Split(strings.Split(string(out), `"embedding":"`)[1], `"`)[0]
	raw, err := base64.StdEncoding.DecodeString(enc)
	if err != nil || len(raw) != 8 {
		t.Fatalf("base64 %q: %v", enc, err)
	}
	if math.Float32frombits(binary.LittleEndian.Uint32(raw)) != 0.5 || math.Float32frombits(binary.LittleEndian.Uint32(raw[4:])) != -1.25 {
		t.Fatal("not little-endian float32")
	}
}

func TestModels(t *testing.T) {
	page1 := []byte(`{"models":[{"name":"models/gemini-2.5-pro","supportedGenerationMethods":["generateContent","countTokens"]},{"name":"models/aqa","supportedGenerationMethods":["generateAnswer"]}],"nextPageToken":"x"}`)
	page2 := []byte(`{"models":[{"name":"models/text-embedding-004","supportedGenerationMethods":["embedContent"]}]}`)
	list, e := models.FromGemini(page1, page2)
	if e != nil {
		t.Fatal(e)
	}
	list = models.WithAliases(list, map[string]string{"gpt-4o": "gemini-2.5-pro", "gpt-x": "gemini-9"}, false)
	got := string(ModelsList(list))
	want := `{"object":"list","data":[{"id":"gemini-2.5-pro","object":"model","created":0,"owned_by":"google"},{"id":"gpt-4o","object":"model","created":0,"owned_by":"gemini-code-api"},{"id":"text-embedding-004","object":"model","created":0,"owned_by":"google"}]}`
	if got != want {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
	if m, e := Model(list, "gpt-4o"); e != nil || !strings.Contains(string(m), `"id":"gpt-4o"`) {
		t.Fatalf("%s %v", m, e)
	}
	if _, e := Model(list, "nope"); e == nil || e.Status != 404 {
		t.Fatal("unknown model must be 404")
	}
}
