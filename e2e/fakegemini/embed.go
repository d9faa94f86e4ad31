package fakegemini

import (
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"strings"
)

// DefaultEmbeddingDims is the size returned when outputDimensionality is
// not set (the brief fixes 768 for every embedding model; the real
// gemini-embedding-001 returns 3072).
const DefaultEmbeddingDims = 768

// MaxBatchEmbed is the batchEmbedContents limit of the real service.
const MaxBatchEmbed = 100

type gcEmbedRequest struct {
	Model                string     `json:"model"`
	Content              *gcContent `json:"content"`
	TaskType             string     `json:"taskType"`
	Title                string     `json:"title"`
	OutputDimensionality *int       `json:"outputDimensionality"`
}

type embedding struct {
	Values []float32 `json:"values"`
}

// EmbeddingFor returns the vector the fake answers for text, so tests can
// compare values: dims values (DefaultEmbeddingDims when 0) of a
// deterministic pseudo-random vector of the model's full size, normalized
// over the full size only (Gemini does not re-normalize a truncated vector).
func EmbeddingFor(text string, dims, fullDims int) []float32 {
	if dims <= 0 {
		dims = DefaultEmbeddingDims
	}
	if fullDims < dims {
		fullDims = dims
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(text))
	state := h.Sum64()
	full := make([]float64, fullDims)
	var norm float64
	for i := range full {
		state += 0x9E3779B97F4A7C15 // splitmix64
		z := state
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		full[i] = float64(z>>11)/float64(1<<53)*2 - 1
		norm += full[i] * full[i]
	}
	norm = math.Sqrt(norm)
	out := make([]float32, dims)
	for i := range out {
		out[i] = float32(full[i] / norm)
	}
	return out
}

// embedOne validates one EmbedContentRequest and returns its vector.
// p is the field path prefix ("" or "requests[i].").
func embedOne(fe *fieldErrors, p string, r gcEmbedRequest, mi *modelInfo) []float32 {
	if r.Content == nil {
		fe.add(p+"content", "content is not specified")
		return nil
	}
	if len(r.Content.Parts) == 0 {
		fe.add(p+"content.parts", "contents.parts must not be empty.")
	}
	var texts []string
	for j, part := range r.Content.Parts {
		pp := fmt.Sprintf("%scontent.parts[%d]", p, j)
		checkPart(fe, pp, part)
		if part.dataFields() > 0 && part.Text == nil {
			fe.add(pp, "only text parts can be embedded")
		}
		if part.Text != nil {
			texts = append(texts, *part.Text)
		}
	}
	dims := DefaultEmbeddingDims
	if d := r.OutputDimensionality; d != nil && *d != 0 {
		if *d < 0 || *d > mi.embedDims {
			fe.add(p+"output_dimensionality", "output_dimensionality must be in the range [1, %d], got %d", mi.embedDims, *d)
			return nil
		}
		dims = *d
	}
	if dims > mi.embedDims {
		dims = mi.embedDims
	}
	return EmbeddingFor(strings.Join(texts, "\n"), dims, mi.embedDims)
}

func embedContent(body []byte, mi *modelInfo) (any, *apiError) {
	canon, e := parseProto(body, embedContentRequestMsg)
	if e != nil {
		return nil, e
	}
	var r gcEmbedRequest
	_ = json.Unmarshal(canon, &r)
	fe := &fieldErrors{root: "EmbedContentRequest"}
	if r.Model != "" && r.Model != mi.Name {
		fe.add("model", "model must match the model of the request URL (%s), got %q", mi.Name, r.Model)
	}
	v := embedOne(fe, "", r, mi)
	if e := fe.err(); e != nil {
		return nil, e
	}
	return struct {
		Embedding embedding `json:"embedding"`
	}{embedding{v}}, nil
}

// batchEmbedContents: 1..100 requests, each requests[].model equal to the
// URL model.
func batchEmbedContents(body []byte, mi *modelInfo) (any, *apiError) {
	canon, e := parseProto(body, batchEmbedContentsRequestMsg)
	if e != nil {
		return nil, e
	}
	var b struct {
		Requests []gcEmbedRequest `json:"requests"`
	}
	_ = json.Unmarshal(canon, &b)
	fe := &fieldErrors{root: "BatchEmbedContentsRequest"}
	switch n := len(b.Requests); {
	case n == 0:
		fe.add("requests", "requests is not specified")
	case n > MaxBatchEmbed:
		fe.add("requests", "at most %d requests can be in one batch", MaxBatchEmbed)
		return nil, fe.err()
	}
	out := make([]embedding, 0, len(b.Requests))
	for i, r := range b.Requests {
		p := fmt.Sprintf("requests[%d].", i)
		switch {
		case !strings.HasPrefix(r.Model, "models/"):
			fe.add(p+"model", "unexpected model name format")
		case r.Model != mi.Name:
			fe.add(p+"model", "Model names should match the model of the batch request (%s), got %q", mi.Name, r.Model)
		}
		out = append(out, embedding{embedOne(fe, p, r, mi)})
	}
	if e := fe.err(); e != nil {
		return nil, e
	}
	return struct {
		Embeddings []embedding `json:"embeddings"`
	}{out}, nil
}
