package fakegemini

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

func TestCountTokens(t *testing.T) {
	s := newServer(t)
	count := func(b string) (int, int, string) {
		code, out := gen(t, s, "gemini-2.5-flash", "countTokens", b)
		var r struct{ TotalTokens int }
		_ = json.Unmarshal([]byte(out), &r)
		return code, r.TotalTokens, out
	}
	code, plain, out := count(body(contents(`{"role":"user","parts":[{"text":"hello world!"}]}`)))
	if code != 200 || plain != EstimateTokens("hello world!") {
		t.Fatalf("contents: %d %s", code, out)
	}
	wrapped := `{"generateContentRequest":{"model":"models/gemini-2.5-flash",` + contents(`{"role":"user","parts":[{"text":"hello world!"}]}`) +
		`,"systemInstruction":{"parts":[{"text":"be brief"}]},` + tool(`{"name":"get_weather","parametersJsonSchema":{"type":"object"}}`) + `}}`
	code, full, out := count(wrapped)
	if code != 200 || full <= plain+EstimateTokens("be brief") {
		t.Fatalf("wrapper must count system and tools: %d %d %s", code, full, out)
	}
	for _, bad := range []struct{ body, want string }{
		{`{"generateContentRequest":{` + contents(userHi) + `}}`, "generate_content_request.model: unexpected model name format"},
		{`{` + contents(userHi) + `,"generateContentRequest":{"model":"models/gemini-2.5-flash",` + contents(userHi) + `}}`, "mutually exclusive"},
		{`{"contents":[{"role":"user","parts":[{"text":""}]}]}`, "required oneof field 'data'"},
		{`{"generateContentRequest":{"model":"models/gemini-2.5-flash",` + contents(userHi) + `,` + tool(`{"name":"f","parameters":{"type":"OBJECT","additionalProperties":false}}`) + `}}`, `Unknown name "additionalProperties" at 'generate_content_request.tools[0].function_declarations[0].parameters'`},
		{`{"systemInstruction":{"parts":[{"text":"x"}]},` + contents(userHi) + `}`, `Unknown name "systemInstruction"`},
	} {
		code, _, out := count(bad.body)
		if code != 400 || !strings.Contains(parseError(t, out).Error.Message, bad.want) {
			t.Errorf("%s: %d %s", bad.body, code, out)
		}
	}
}

func embedReq(model, text string, dims int) string {
	d := ""
	if dims > 0 {
		d = fmt.Sprintf(`,"outputDimensionality":%d`, dims)
	}
	return `{"model":"models/` + model + `","content":{"parts":[{"text":` + fmt.Sprintf("%q", text) + `}]},"taskType":"RETRIEVAL_DOCUMENT"` + d + `}`
}

func TestEmbeddings(t *testing.T) {
	s := newServer(t)
	var one struct {
		Embedding struct{ Values []float32 } `json:"embedding"`
	}
	code, b := gen(t, s, "gemini-embedding-001", "embedContent", embedReq("gemini-embedding-001", "hello", 0))
	if code != 200 || json.Unmarshal([]byte(b), &one) != nil || len(one.Embedding.Values) != DefaultEmbeddingDims {
		t.Fatalf("default dims: %d %.200s", code, b)
	}
	want := EmbeddingFor("hello", 0, 3072)
	for i := range want {
		if want[i] != one.Embedding.Values[i] {
			t.Fatalf("value %d: %v != %v", i, one.Embedding.Values[i], want[i])
		}
	}
	code, b = gen(t, s, "text-embedding-004", "embedContent", embedReq("text-embedding-004", "hello", 256))
	_ = json.Unmarshal([]byte(b), &one)
	if code != 200 || len(one.Embedding.Values) != 256 {
		t.Fatalf("outputDimensionality: %d", len(one.Embedding.Values))
	}
	if code, b := gen(t, s, "text-embedding-004", "embedContent", embedReq("text-embedding-004", "hello", 1024)); code != 400 {
		t.Fatalf("dims above the model size: %d %s", code, b)
	}

	var batch struct {
		Embeddings []struct{ Values []float32 } `json:"embeddings"`
	}
	reqs := func(n int, model string) string {
		var rs []string
		for i := 0; i < n; i++ {
			rs = append(rs, embedReq(model, fmt.Sprintf("text %d", i), 64))
		}
		return `{"requests":[` + strings.Join(rs, ",") + `]}`
	}
	code, b = gen(t, s, "gemini-embedding-001", "batchEmbedContents", reqs(2, "gemini-embedding-001"))
	if code != 200 || json.Unmarshal([]byte(b), &batch) != nil || len(batch.Embeddings) != 2 || len(batch.Embeddings[1].Values) != 64 {
		t.Fatalf("batch: %d %.300s", code, b)
	}
	if batch.Embeddings[0].Values[0] == batch.Embeddings[1].Values[0] {
		t.Error("different texts, same vector")
	}
	if code, b := gen(t, s, "gemini-embedding-001", "batchEmbedContents", reqs(100, "gemini-embedding-001")); code != 200 {
		t.Fatalf("100 requests: %d %.200s", code, b)
	}
	for _, bad := range []struct{ body, want string }{
		{reqs(101, "gemini-embedding-001"), "at most 100 requests can be in one batch"},
		{reqs(1, "text-embedding-004"), "requests[0].model: Model names should match"},
		{strings.Replace(reqs(1, "gemini-embedding-001"), "models/", "", 1), "requests[0].model: unexpected model name format"},
		{`{"requests":[{"model":"models/gemini-embedding-001","content":{"parts":[{"text":""}]}}]}`, "required oneof field 'data'"},
		{`{"input":["a"]}`, `Unknown name "input": Cannot find field.`},
	} {
		code, b := gen(t, s, "gemini-embedding-001", "batchEmbedContents", bad.body)
		if code != 400 || !strings.Contains(parseError(t, b).Error.Message, bad.want) {
			t.Errorf("want %q: %d %.300s", bad.want, code, b)
		}
	}
	// Scripted failure for the embed endpoint class.
	s.Enqueue("", Reply{Endpoint: "embed", Status: 503})
	if code, _ := gen(t, s, "gemini-embedding-001", "embedContent", embedReq("gemini-embedding-001", "x", 0)); code != 503 {
		t.Fatalf("scripted embed error: %d", code)
	}
}
