package e2e_test

import (
	"encoding/base64"
	"encoding/binary"
	"math"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

func TestOpenAIEmbeddings(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		c := openaiClient(env, "K")
		t.Run("float", func(t *testing.T) {
			resp, err := c.Embeddings.New(ctx(t), openai.EmbeddingNewParams{
				Model:      "text-embedding-ada-002",
				Input:      openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"first", "second"}},
				Dimensions: openai.Int(8),
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Data) != 2 || resp.Data[1].Index != 1 || len(resp.Data[0].Embedding) != 8 || resp.Usage.PromptTokens == 0 {
				t.Fatalf("%s", resp.RawJSON())
			}
			want := fakegemini.EmbeddingFor("second", 8, 768)
			for i, v := range resp.Data[1].Embedding {
				if float32(v) != want[i] {
					t.Fatalf("embedding[1][%d] = %v, want %v", i, v, want[i])
				}
			}
			last := env.Fake.Requests()[len(env.Fake.Requests())-1]
			if last.Path != "/v1beta/models/text-embedding-004:batchEmbedContents" {
				t.Fatalf("upstream %s", last.Path)
			}
		})
		t.Run("base64", func(t *testing.T) {
			resp, err := c.Embeddings.New(ctx(t), openai.EmbeddingNewParams{
				Model:          "gemini-embedding-001",
				Input:          openai.EmbeddingNewParamsInputUnion{OfString: openai.String("hello")},
				EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
			})
			if err != nil {
				t.Fatal(err)
			}
			// The SDK decodes base64 into floats; check the wire form too.
			raw := resp.RawJSON()
			enc := strings.Split(strings.Split(raw, `"embedding":"`)[1], `"`)[0]
			b, err := base64.StdEncoding.DecodeString(enc)
			if err != nil {
				t.Fatal(err)
			}
			want := fakegemini.EmbeddingFor("hello", 768, 3072)
			if len(b) != 4*len(want) || math.Float32frombits(binary.LittleEndian.Uint32(b[4:])) != want[1] {
				t.Fatalf("base64 payload is not little-endian float32 of the values")
			}
		})
		t.Run("250 inputs in three upstream batches", func(t *testing.T) {
			before := len(env.Fake.Requests())
			in := make([]string, 250)
			for i := range in {
				in[i] = "input " + strings.Repeat("x", i%7)
			}
			resp, err := c.Embeddings.New(ctx(t), openai.EmbeddingNewParams{
				Model: "gemini-embedding-001", Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: in},
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(resp.Data) != 250 || resp.Data[249].Index != 249 {
				t.Fatalf("%d embeddings", len(resp.Data))
			}
			want := fakegemini.EmbeddingFor(in[249], 768, 3072)
			if float32(resp.Data[249].Embedding[0]) != want[0] {
				t.Fatal("embeddings out of order")
			}
			if n := len(env.Fake.Requests()) - before; n != 3 {
				t.Fatalf("%d upstream calls, want 3", n)
			}
		})
		t.Run("token arrays rejected", func(t *testing.T) {
			_, err := c.Embeddings.New(ctx(t), openai.EmbeddingNewParams{
				Model: "gemini-embedding-001", Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfTokens: []int64{1, 2, 3}},
			})
			if e := apiError(t, err); e.StatusCode != 400 || !strings.Contains(e.Message, "token") {
				t.Fatalf("got %d %q", e.StatusCode, e.Message)
			}
		})
	})
}

func TestOpenAIModels(t *testing.T) {
	harness.Each(t, `{"models":{"my-fast":"gemini-2.5-flash"}}`, func(t *testing.T, env *harness.Env) {
		c := openaiClient(env, "K")
		first := modelIDs(t, c)
		second := modelIDs(t, c)
		calls := 0
		for _, r := range env.Fake.Requests() {
			if r.Action == "list" {
				calls++
			}
		}
		if calls != 1 {
			t.Fatalf("model list fetched %d times upstream, want 1 (cached)", calls)
		}
		joined := strings.Join(first, ",")
		if strings.Join(second, ",") != joined || !strings.Contains(joined, "gemini-2.5-pro") || !strings.Contains(joined, "my-fast") || !strings.Contains(joined, "gpt-4o") {
			t.Fatalf("models: %v / %v", first, second)
		}
		m, err := c.Models.Get(ctx(t), "my-fast")
		if err != nil || m.ID != "my-fast" || m.Object != "model" {
			t.Fatalf("get: %v %+v", err, m)
		}
		_, err = c.Models.Get(ctx(t), "no-such-model")
		if e := apiError(t, err); e.StatusCode != 404 {
			t.Fatalf("unknown model: %d", e.StatusCode)
		}
	})
}

func TestOpenAIModelsFallback(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		env.Fake.SetDefault("", fakegemini.Reply{Endpoint: "models", Status: 503})
		c := openaiClient(env, "K")
		ids := modelIDs(t, c)
		if j := strings.Join(ids, ","); !strings.Contains(j, "gpt-4o") || !strings.Contains(j, "gemini-2.5-pro") {
			t.Fatalf("fallback list: %v", ids)
		}
		// A rejected key is an error, not a fallback list.
		env.Fake.SetDefault("", fakegemini.Reply{Endpoint: "models"})
		env.Fake.ValidKeys("GOOD")
		bad := openaiClient(env, "OTHER", option.WithMaxRetries(0))
		_, err := bad.Models.List(ctx(t))
		if e := apiError(t, err); e.StatusCode != 401 {
			t.Fatalf("bad key: %d", e.StatusCode)
		}
	})
}

// modelIDs lists the models through the OpenAI SDK.
func modelIDs(t *testing.T, c openai.Client) []string {
	t.Helper()
	page, err := c.Models.List(ctx(t))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
	}
	return ids
}
