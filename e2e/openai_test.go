package e2e_test

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

func openaiClient(env *harness.Env, key string, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{
		option.WithBaseURL(env.URL + "/v1"),
		option.WithAPIKey(key),
		option.WithMaxRetries(0),
		option.WithRequestTimeout(30 * time.Second),
	}, opts...)...)
}

// chatParams is a chat request to model with one user message, text.
func chatParams(model, text string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{Model: model, Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage(text)}}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return c
}

func TestOpenAIChat(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		env.Fake.Enqueue("", fakegemini.Reply{Text: "Hello from Gemini", Usage: &fakegemini.Usage{Prompt: 7, Candidates: 4, Thoughts: 3}})
		c := openaiClient(env, "AIzaTESTKEY")
		resp, err := c.Chat.Completions.New(ctx(t), openai.ChatCompletionNewParams{
			Model: "gpt-4o",
			Messages: []openai.ChatCompletionMessageParamUnion{
				openai.SystemMessage("Be brief."),
				openai.UserMessage("Say hello"),
			},
			MaxTokens:   openai.Int(64),
			Temperature: openai.Float(0.3),
		})
		if err != nil {
			t.Fatal(err)
		}
		if resp.Model != "gpt-4o" || len(resp.Choices) != 1 || resp.Choices[0].Message.Content != "Hello from Gemini" ||
			resp.Choices[0].FinishReason != "stop" || !strings.HasPrefix(resp.ID, "chatcmpl-") {
			t.Fatalf("unexpected completion: %s", resp.RawJSON())
		}
		if resp.Usage.PromptTokens != 7 || resp.Usage.CompletionTokens != 7 || resp.Usage.CompletionTokensDetails.ReasoningTokens != 3 {
			t.Fatalf("usage: %+v", resp.Usage)
		}
		reqs := env.Fake.Requests()
		if len(reqs) != 1 {
			t.Fatalf("upstream saw %d requests", len(reqs))
		}
		r := reqs[0]
		if r.Path != "/v1beta/models/gemini-4-argon:generateContent" || r.Key != "AIzaTESTKEY" || r.Header.Get("Authorization") != "" {
			t.Fatalf("upstream request: %s %s key=%q auth=%q", r.Method, r.Path, r.Key, r.Header.Get("Authorization"))
		}
		var body struct {
			SystemInstruction struct{ Parts []struct{ Text string } }
			GenerationConfig  struct {
				MaxOutputTokens int
				Temperature     float64
			}
		}
		if err := json.Unmarshal(r.Body, &body); err != nil || body.SystemInstruction.Parts[0].Text != "Be brief." ||
			body.GenerationConfig.MaxOutputTokens != 64 || body.GenerationConfig.Temperature != 0.3 {
			t.Fatalf("upstream body %s", r.Body)
		}
	})
}

func TestOpenAIStreaming(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		env.Fake.Enqueue("", fakegemini.Reply{Text: "One, two, three, four, five.", EventDelay: 20 * time.Millisecond})
		c := openaiClient(env, "AIzaTESTKEY")
		stream := c.Chat.Completions.NewStreaming(ctx(t), openai.ChatCompletionNewParams{
			Model:         "gemini-2.5-flash",
			Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Count to five")},
			StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
		})
		var acc openai.ChatCompletionAccumulator
		chunks := 0
		for stream.Next() {
			acc.AddChunk(stream.Current())
			chunks++
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if chunks < 4 {
			t.Fatalf("only %d chunks: the stream was not translated event by event", chunks)
		}
		if len(acc.Choices) != 1 || acc.Choices[0].Message.Content != "One, two, three, four, five." || acc.Choices[0].FinishReason != "stop" {
			t.Fatalf("accumulated: %+v", acc.ChatCompletion)
		}
		if acc.Usage.TotalTokens == 0 || acc.Usage.PromptTokens == 0 {
			t.Fatalf("usage chunk missing: %+v", acc.Usage)
		}
		if r := env.Fake.Requests()[0]; r.Action != "streamGenerateContent" || r.RawQuery != "alt=sse" {
			t.Fatalf("upstream %s ?%s", r.Action, r.RawQuery)
		}
	})
}

// The first event must reach the client while Gemini is still generating:
// the gateway must never buffer a stream.
func TestOpenAIStreamIsNotBuffered(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		env.Fake.Enqueue("", fakegemini.Reply{Events: []string{
			`{"candidates":[{"content":{"role":"model","parts":[{"text":"first"}]},"index":0}]}`,
			`{"candidates":[{"content":{"role":"model","parts":[{"text":" second"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":2,"candidatesTokenCount":2,"totalTokenCount":4}}`,
		}, EventDelay: 1500 * time.Millisecond})
		c := openaiClient(env, "K")
		start := time.Now()
		stream := c.Chat.Completions.NewStreaming(ctx(t), chatParams("gemini-2.5-flash", "x"))
		var firstText time.Duration
		var text strings.Builder
		for stream.Next() {
			ch := stream.Current()
			if len(ch.Choices) > 0 && ch.Choices[0].Delta.Content != "" {
				if firstText == 0 {
					firstText = time.Since(start)
				}
				text.WriteString(ch.Choices[0].Delta.Content)
			}
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		total := time.Since(start)
		if text.String() != "first second" {
			t.Fatalf("text %q", text.String())
		}
		// The second event is 1.5 s behind the first; a buffering gateway
		// delivers both together.
		if total-firstText < time.Second {
			t.Fatalf("first text after %v, end after %v: the stream was buffered", firstText, total)
		}
	})
}

func TestOpenAIMultiKey(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		c := openaiClient(env, "AIzaKEY1,AIzaKEY2")
		// Keys are drawn at random (weighted by health): 24 requests use
		// both keys but with a chance of 2 in 16 million.
		for range 24 {
			if _, err := c.Chat.Completions.New(ctx(t), chatParams("gpt-3.5-turbo", "hi")); err != nil {
				t.Fatal(err)
			}
		}
		seen := map[string]int{}
		for _, r := range env.Fake.Requests() {
			seen[r.Key]++
			if strings.Contains(r.Key, ",") {
				t.Fatalf("several keys sent upstream: %q", r.Key)
			}
		}
		if seen["AIzaKEY1"] == 0 || seen["AIzaKEY2"] == 0 || len(seen) != 2 {
			t.Fatalf("keys used upstream: %v", seen)
		}
	})
}

func apiError(t *testing.T, err error) *openai.Error { return asError[*openai.Error](t, err) }

// asError is the SDK's error err holds, failing t when it holds none.
func asError[E error](t *testing.T, err error) E {
	t.Helper()
	var e E
	if !errors.As(err, &e) {
		t.Fatalf("want an %T, got %T %v", e, err, err)
	}
	return e
}

func TestOpenAIErrors(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		params := chatParams("gpt-4o", "hi")

		t.Run("upstream 429 keeps retry-after", func(t *testing.T) {
			env.Fake.Enqueue("", fakegemini.Reply{Status: 429, RetryDelay: "23s"})
			var resp *http.Response
			c := openaiClient(env, "K")
			_, err := c.Chat.Completions.New(ctx(t), params, option.WithResponseInto(&resp))
			e := apiError(t, err)
			if e.StatusCode != 429 || e.Type != "rate_limit_error" {
				t.Fatalf("got %d %s: %s", e.StatusCode, e.Type, e.RawJSON())
			}
			if got := e.Response.Header.Get("Retry-After"); got != "23" {
				t.Fatalf("retry-after %q", got)
			}
		})
		t.Run("upstream 400 stays 400 with Google's message", func(t *testing.T) {
			env.Fake.Enqueue("", fakegemini.Reply{Status: 400, Body: fakegemini.ErrorBody(400, "INVALID_ARGUMENT", "Request contains an invalid argument.")})
			c := openaiClient(env, "K")
			_, err := c.Chat.Completions.New(ctx(t), params)
			e := apiError(t, err)
			if e.StatusCode != 400 || e.Type != "invalid_request_error" || !strings.Contains(e.Message, "invalid argument") {
				t.Fatalf("got %d %s %q", e.StatusCode, e.Type, e.Message)
			}
		})
		t.Run("invalid key is 401", func(t *testing.T) {
			env.Fake.ValidKeys("GOODKEY")
			defer env.Fake.ValidKeys() // accept any key again
			c := openaiClient(env, "BADKEY")
			_, err := c.Chat.Completions.New(ctx(t), params)
			if e := apiError(t, err); e.StatusCode != 401 || e.Code != "invalid_api_key" {
				t.Fatalf("got %d %s %s", e.StatusCode, e.Code, e.RawJSON())
			}
		})
		t.Run("missing key is 401 without an upstream call", func(t *testing.T) {
			before := len(env.Fake.Requests())
			c := openaiClient(env, "")
			_, err := c.Chat.Completions.New(ctx(t), params, option.WithHeaderDel("authorization"))
			if e := apiError(t, err); e.StatusCode != 401 || !strings.Contains(e.Message, "No API key") {
				t.Fatalf("got %d %q", e.StatusCode, e.Message)
			}
			if len(env.Fake.Requests()) != before {
				t.Fatal("a request without key reached Gemini")
			}
		})
		t.Run("request over the buffer limit is 413", func(t *testing.T) {
			big := strings.Repeat("a", env.BufferLimit+1<<20)
			c := openaiClient(env, "K")
			_, err := c.Chat.Completions.New(ctx(t), chatParams("gpt-4o", big))
			if e := apiError(t, err); e.StatusCode != 413 || e.Type != "invalid_request_error" || !strings.Contains(e.Message, "buffer limit") {
				t.Fatalf("got %d %s", e.StatusCode, e.RawJSON())
			}
		})
		t.Run("stream cut before the end is an error to the client", func(t *testing.T) {
			env.Fake.Enqueue("", fakegemini.Reply{Text: "a b c d e f g h", CutAfter: 1})
			c := openaiClient(env, "K")
			stream := c.Chat.Completions.NewStreaming(ctx(t), params)
			for stream.Next() {
			}
			if stream.Err() == nil {
				t.Fatal("a truncated upstream stream ended like a complete answer")
			}
		})
	})
}

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
			want := fakegemini.EmbeddingFor("second", 8, 3072) // ada-002 maps to gemini-embedding-001
			for i, v := range resp.Data[1].Embedding {
				if float32(v) != want[i] {
					t.Fatalf("embedding[1][%d] = %v, want %v", i, v, want[i])
				}
			}
			last := env.Fake.Requests()[len(env.Fake.Requests())-1]
			if last.Path != "/v1beta/models/gemini-embedding-001:batchEmbedContents" {
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
		if j := strings.Join(ids, ","); !strings.Contains(j, "gpt-4o") || !strings.Contains(j, "gemini-4-argon") {
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
