package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
)

// TestSoak runs thousands of mixed concurrent requests through the compiled
// module on the e2e host, configured as envoy.yaml (FAIL_RELOAD, key
// failover) with each VM's memory capped at 1 GiB like Envoy's: ordinary
// traffic of every protocol, the hostile requests of the security review,
// streams the client cancels and answers Gemini cuts. It asserts that no VM
// traps, that every request gets a complete answer of the expected kind,
// and that linear memory stays flat once warmed up.
//
// It runs only when GCA_SOAK is set to a duration (`make soak`, and a short
// run in CI): GCA_SOAK=60s go test ./e2e -run TestSoak.
func TestSoak(t *testing.T) {
	spec := os.Getenv("GCA_SOAK")
	if spec == "" {
		t.Skip("set GCA_SOAK to a duration (e.g. 60s) to run the soak test; `make soak` does")
	}
	total, err := time.ParseDuration(spec)
	if err != nil || total < 5*time.Second {
		t.Fatalf("GCA_SOAK=%q: want a duration of at least 5s", spec)
	}
	env := harness.NewHost(t, "")
	env.Fake.SetDefault("AIzaCUT", fakegemini.Reply{Text: "one two three four five six", CutAfter: 2})
	env.Fake.SetDefault("AIzaSLOWSTREAM", fakegemini.Reply{Text: "a b c d e f g h", EventDelay: 20 * time.Millisecond})
	env.Fake.SetDefault("AIzaBUSY", fakegemini.Reply{Status: 503, Body: `{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}`})
	env.Fake.SetDefault("AIzaBADFC", fakegemini.Reply{Parts: []json.RawMessage{json.RawMessage(`{"functionCall":{"args":{}}}`)}})
	env.Fake.SetDefault("AIzaNOTGOOGLE", fakegemini.Reply{Status: 500, Body: `<html>internal error</html>`})

	type outcome struct {
		name string
		err  string
	}
	var (
		counts   sync.Map // scenario name -> *atomic.Int64
		failures = make(chan outcome, 64)
		done     atomic.Int64
	)
	count := func(name string) {
		c, _ := counts.LoadOrStore(name, new(atomic.Int64))
		c.(*atomic.Int64).Add(1)
	}
	scenarios := soakScenarios(env)
	deadline := time.Now().Add(total)
	// Linear memory is sampled at each quarter of the run: the first
	// quarter warms up (Go's heap grows to what the mix needs at once),
	// after that it must stay flat.
	var samples [][]uint64
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		for q := 1; q <= 3; q++ {
			time.Sleep(time.Until(deadline.Add(-total + total*time.Duration(q)/4)))
			samples = append(samples, env.Host.MemoryBytes())
		}
	}()
	const workers = 24
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; time.Now().Before(deadline); i += workers {
				s := scenarios[i%len(scenarios)]
				if err := s.run(); err != nil {
					select {
					case failures <- outcome{s.name, err.Error()}:
					default:
					}
				}
				count(s.name)
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	<-sampled
	close(failures)
	for f := range failures {
		t.Errorf("%s: %s", f.name, f.err)
	}
	samples = append(samples, env.Host.MemoryBytes())
	warm, end := samples[0], samples[len(samples)-1]
	var summary []string
	counts.Range(func(k, v any) bool {
		summary = append(summary, fmt.Sprintf("%s=%d", k, v.(*atomic.Int64).Load()))
		return true
	})
	t.Logf("%d requests in %v: %s", done.Load(), total, strings.Join(summary, " "))
	for q, m := range samples {
		t.Logf("linear memory per VM at %d/4 of the run: %v", q+1, mib(m))
	}
	if env.Host.Failed() || env.Host.Reloads() != 0 {
		t.Fatalf("a VM trapped (failed now: %v, reloads: %d)", env.Host.Failed(), env.Host.Reloads())
	}
	for i := range end {
		// Flat: Go's heap may still settle a little higher, but no growth
		// with the number of requests.
		if i < len(warm) && end[i] > warm[i]+warm[i]/4+(16<<20) {
			t.Errorf("vm%d grew from %.1f MiB after warm-up to %.1f MiB", i, float64(warm[i])/(1<<20), float64(end[i])/(1<<20))
		}
	}
}

func mib(b []uint64) []string {
	out := make([]string, len(b))
	for i, v := range b {
		out[i] = fmt.Sprintf("%.1f MiB", float64(v)/(1<<20))
	}
	return out
}

type soakScenario struct {
	name string
	run  func() error
}

// soakScenarios are the requests the soak mixes, each with the answer it
// must get.
func soakScenarios(env *harness.Env) []soakScenario {
	client := &http.Client{Timeout: 30 * time.Second}
	post := func(path, key, body string, hdr ...string) (int, string, error) {
		req, _ := http.NewRequest("POST", env.URL+path, strings.NewReader(body))
		req.Header.Set("content-type", "application/json")
		// Go's transport replays a request whose kept-alive connection
		// turns out closed before any answer byte (the server closed it as
		// the request went out) only when it may: a POST with an
		// idempotency key. Without one, that race between the client's
		// pool and the host's connection handling failed one request in
		// some 25,000 with EOF. A trapped VM is caught below either way
		// (Failed, Reloads), and a connection that fails after answer
		// bytes is never replayed.
		req.Header.Set("Idempotency-Key", "soak")
		if key != "" {
			req.Header.Set("authorization", "Bearer "+key)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			return 0, "", err
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), err
	}
	expect := func(path, key, body string, status int, contains string, hdr ...string) func() error {
		return func() error {
			got, b, err := post(path, key, body, hdr...)
			if err != nil {
				return err
			}
			if got != status || !strings.Contains(b, contains) {
				return fmt.Errorf("got %d %.200s; want %d with %q", got, b, status, contains)
			}
			return nil
		}
	}
	chat := `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"hello"}]}`
	chatStream := `{"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"hello"}]}`
	msgs := `{"model":"claude-sonnet-4-5","max_tokens":64,"messages":[{"role":"user","content":"hello"}]}`
	msgsStream := `{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hello"}]}`
	native := `{"contents":[{"role":"user","parts":[{"text":"hello"}]}]}`
	deep := strings.Repeat("[", 20000)
	many := `{"model":"gemini-2.5-flash","modalities":[` + strings.Repeat(`"text",`, 200000) + `"text"],"messages":[{"role":"user","content":"x"}]}`
	longModel := `{"model":"` + strings.Repeat("m", 1<<20) + `","messages":[{"role":"user","content":"x"}]}`
	deepSchema := `{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f","parameters":` +
		strings.Repeat(`{"type":"object","properties":{"a":`, 300) + `{}` + strings.Repeat(`}}`, 300) + `}}]}`
	inputs := make([]string, 150)
	for i := range inputs {
		inputs[i] = fmt.Sprintf("%q", fmt.Sprintf("text %d", i))
	}
	embedBig := `{"model":"text-embedding-004","input":[` + strings.Join(inputs, ",") + `]}`
	embedOverCap := `{"model":"gemini-embedding-001","input":[` + strings.Repeat(`"x",`, 2047) + `"x"]}`

	// cancelled reads the first event of a stream, then goes away.
	cancelled := func(path, key, body string) func() error {
		return func() error {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "POST", env.URL+path, strings.NewReader(body))
			req.Header.Set("content-type", "application/json")
			req.Header.Set("authorization", "Bearer "+key)
			resp, err := client.Do(req)
			if err != nil {
				return err
			}
			defer resp.Body.Close()
			if resp.StatusCode != 200 {
				return fmt.Errorf("status %d", resp.StatusCode)
			}
			line, err := bufio.NewReader(resp.Body).ReadString('\n')
			if err != nil || !strings.HasPrefix(line, "data: ") {
				return fmt.Errorf("first line %q: %v", line, err)
			}
			return nil // cancel() drops the connection mid-stream
		}
	}
	// cut: Gemini cuts the stream after two events; the client must get
	// an error at the end of what it received (or a reset), never a hang.
	cut := func() error {
		got, b, err := post("/v1/chat/completions", "AIzaCUT", chatStream)
		if err != nil {
			return nil // a reset stream is what Envoy does after headers
		}
		if got != 200 || !strings.Contains(b, `"error"`) {
			return fmt.Errorf("cut stream: %d %.300s", got, b)
		}
		return nil
	}

	return []soakScenario{
		{"chat", expect("/v1/chat/completions", "AIzaS1,AIzaS2", chat, 200, `"chat.completion"`)},
		{"chat-stream", expect("/v1/chat/completions", "AIzaS1", chatStream, 200, "data: [DONE]")},
		{"messages", expect("/v1/messages", "AIzaS2", msgs, 200, `"type":"message"`, "anthropic-version", "2023-06-01")},
		{"messages-stream", expect("/v1/messages", "AIzaS1,AIzaS2", msgsStream, 200, "event: message_stop", "anthropic-version", "2023-06-01")},
		{"responses", expect("/v1/responses", "AIzaS1", `{"model":"gemini-2.5-flash","input":"hello"}`, 200, `"object":"response"`)},
		{"responses-stream", expect("/v1/responses", "AIzaS2", `{"model":"gemini-2.5-flash","stream":true,"input":"hello"}`, 200, "response.completed")},
		{"web-search", expect("/v1/messages", "AIzaS1", `{"model":"claude-sonnet-4-5","max_tokens":64,"tools":[{"type":"web_search_20250305","name":"web_search"}],"messages":[{"role":"user","content":"news?"}]}`, 200, `"type":"message"`, "anthropic-version", "2023-06-01")},
		{"native", expect("/v1beta/models/gemini-2.5-flash:generateContent", "AIzaS1", native, 200, `"candidates"`)},
		{"native-stream", expect("/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse", "AIzaS2", native, 200, "data: ")},
		{"embeddings-batched", expect("/v1/embeddings", "AIzaS1", embedBig, 200, `"index":149`)},
		{"failover", expect("/v1/chat/completions", "AIzaBUSY,AIzaS1", chat, 200, `"chat.completion"`)},
		{"all-busy", expect("/v1/chat/completions", "AIzaBUSY", chat, 503, `"error"`)},
		{"slow-stream", expect("/v1/messages", "AIzaSLOWSTREAM", msgsStream, 200, "event: message_stop", "anthropic-version", "2023-06-01")},
		{"cancelled-stream", cancelled("/v1/chat/completions", "AIzaSLOWSTREAM", chatStream)},
		{"cut-stream", cut},
		{"malformed-function-call", expect("/v1/messages", "AIzaBADFC", msgs, 502, `"api_error"`, "anthropic-version", "2023-06-01")},
		{"not-google-error", expect("/v1beta/models/gemini-2.5-flash:generateContent", "AIzaNOTGOOGLE", native, 500, `"status"`)},
		{"deep-json", expect("/v1/chat/completions", "AIzaS1", deep, 400, "levels deep")},
		{"deep-json-messages", expect("/v1/messages", "AIzaS1", `{"model":"claude-sonnet-4-5","max_tokens":1,"messages":`+deep+`}`, 400, "levels deep", "anthropic-version", "2023-06-01")},
		{"huge-array", expect("/v1/chat/completions", "AIzaS1", many, 400, "modalities")},
		{"long-model", expect("/v1/chat/completions", "AIzaS1", longModel, 400, "model")},
		{"deep-schema", expect("/v1/chat/completions", "AIzaS1", deepSchema, 400, "levels deep")},
		{"embeddings-over-cap", expect("/v1/embeddings", "AIzaS1", embedOverCap, 400, "values")},
		{"bad-native-path", expect("/v1beta/models/gemini-2.5-flash:generateContent%00", "AIzaS1", native, 404, `"NOT_FOUND"`)},
		{"query-key-variant", expect("/v1beta/models/gemini-2.5-flash:generateContent?KEY=AIzaS1", "", native, 200, `"candidates"`)},
	}
}
