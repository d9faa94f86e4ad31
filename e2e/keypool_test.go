package e2e_test

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go"
	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
)

// Key failover and selection by measured health, through the compiled
// module as both of its Envoy instances (listener filter and the gemini
// cluster's upstream filter), with Envoy's router retries (envoy.yaml's
// policy, read by the harness).

func hashOf(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:6])
}

// attemptsByKey lists, per key, when the fake Gemini received an attempt.
func attemptsByKey(env *harness.Env) map[string][]time.Time {
	out := map[string][]time.Time{}
	for _, r := range env.Fake.Requests() {
		out[r.Key] = append(out[r.Key], r.Time)
	}
	return out
}

// statValue reads one counter from the gateway's stats.
func statValue(env *harness.Env, name string) int {
	m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + `: (\d+)$`).FindStringSubmatch(env.Stats())
	if m == nil {
		return 0
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// statSum adds up the counters whose names match pattern.
func statSum(env *harness.Env, pattern string) int {
	sum := 0
	for _, m := range regexp.MustCompile(`(?m)^`+pattern+`: (\d+)$`).FindAllStringSubmatch(env.Stats(), -1) {
		n, _ := strconv.Atoi(m[1])
		sum += n
	}
	return sum
}

// One of three keys always answers 429 with a retryDelay: over 100 requests
// the client sees only successes; the key is skipped until the delay
// passes, then probed once (and, failing again, skipped again); once it
// recovers, the probe brings it back.
func TestFailoverRateLimitedKey(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		const delay = time.Second
		env.Fake.SetDefault("AIzaRL", fakegemini.Reply{Status: 429, RetryDelay: "1s"})
		c := openaiClient(env, "AIzaRL,AIzaOK1,AIzaOK2")
		start := time.Now()
		for i := range 100 {
			if _, err := c.Chat.Completions.New(ctx(t), chatParams("gemini-2.5-flash", "hi")); err != nil {
				t.Fatalf("request %d: the client saw %v", i, err)
			}
			time.Sleep(25 * time.Millisecond) // spread phase 1 over a few delays

		}
		phase1 := time.Since(start)
		tries := attemptsByKey(env)["AIzaRL"]
		if len(tries) == 0 {
			t.Fatal("the rate-limited key was never tried")
		}
		for i := 1; i < len(tries); i++ {
			if gap := tries[i].Sub(tries[i-1]); gap < delay {
				t.Fatalf("the rate-limited key was tried again after %v, before its %v retry delay", gap, delay)
			}
		}
		// Tried first (a probe) each time its delay passed, never more.
		if most := int(phase1/delay) + 1; len(tries) > most || len(tries) < 2 {
			t.Fatalf("the rate-limited key was tried %d times in %v: want a probe after each delay, at most %d", len(tries), phase1, most)
		}
		if n := statSum(env, `wasmcustom\.gemini_code_api\.upstream_attempts\.attempt\.\d+\.result\.failover`); n != len(tries) {
			t.Errorf("failovers counted %d, want %d (one per 429)", n, len(tries))
		}
		if n := statValue(env, "cluster.gemini.upstream_rq_retry"); env.Host != nil && n != len(tries) {
			t.Errorf("router retries %d, want %d", n, len(tries))
		}
		t.Logf("phase 1: %v, rate-limited key tried %d times, split %v", phase1.Round(time.Millisecond), len(tries), keyCounts(env))

		// /health, served by either worker VM, shows the key cooling, by hash.
		for range 2 {
			h := health(t, env, "AIzaRL,AIzaOK1")
			if h.Keys.Cooling+h.Keys.Recovering != 1 || h.Keys.Healthy != 2 || len(h.Your) != 2 {
				t.Fatalf("health %+v", h)
			}
			if h.Your[0].KeyHash != hashOf("AIzaRL") || (h.Your[0].State != "cooling" && h.Your[0].State != "recovering") || h.Your[1].State != "healthy" {
				t.Fatalf("health keys %+v", h.Your)
			}
		}

		// The key recovers: after its delay one request probes it and it
		// is back in the rotation.
		env.Fake.SetDefault("AIzaRL", fakegemini.Reply{Text: "recovered"})
		time.Sleep(time.Until(tries[len(tries)-1].Add(delay + 100*time.Millisecond)))
		before := len(env.Fake.Requests())
		for range 30 {
			if _, err := c.Chat.Completions.New(ctx(t), chatParams("gemini-2.5-flash", "hi")); err != nil {
				t.Fatal(err)
			}
		}
		after := env.Fake.Requests()[before:]
		if len(after) != 30 {
			t.Fatalf("%d upstream attempts for 30 requests: failover where none was needed", len(after))
		}
		if after[0].Key != "AIzaRL" {
			t.Fatalf("first request after the delay went to %s, not the recovering key's probe", after[0].Key)
		}
		back := 0
		for _, r := range after {
			if r.Key == "AIzaRL" {
				back++
			}
		}
		if back < 3 {
			t.Fatalf("the recovered key served %d of 30 requests", back)
		}
	})
}

func keyCounts(env *harness.Env) map[string]int {
	out := map[string]int{}
	for _, r := range env.Fake.Requests() {
		out[r.Key]++
	}
	return out
}

type healthBody struct {
	Status string
	Keys   struct{ Active, Healthy, Cooling, Invalid, Recovering, Tracked, Capacity int }
	Your   []struct {
		KeyHash  string `json:"key_hash"`
		State    string
		Reason   string
		Requests int
		Failures int
	} `json:"your_keys"`
}

func health(t *testing.T, env *harness.Env, keys string) healthBody {
	t.Helper()
	var h healthBody
	b := getHealth(t, env, keys, &h)
	for _, k := range strings.Split(keys, ",") {
		if k != "" && strings.Contains(string(b), k) {
			t.Fatalf("/health shows a key: %s", b)
		}
	}
	return h
}

// A key Gemini rejects (API_KEY_INVALID) costs one attempt, then is set
// aside for long: the client never notices.
func TestFailoverInvalidKey(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		env.Fake.ValidKeys("AIzaGOOD1", "AIzaGOOD2")
		c := anthropicClient(env, "AIzaGOOD1,AIzaREVOKED,AIzaGOOD2")
		for i := range 50 {
			msg, err := c.Messages.New(ctx(t), messageParams("claude-sonnet-4-5", 64, "hi"))
			if err != nil || len(msg.Content) == 0 {
				t.Fatalf("request %d: %v", i, err)
			}
		}
		if n := keyCounts(env)["AIzaREVOKED"]; n != 1 {
			t.Fatalf("the rejected key was tried %d times, want once: %v", n, keyCounts(env))
		}
		h := health(t, env, "AIzaREVOKED")
		if h.Keys.Invalid != 1 || h.Your[0].State != "invalid" || h.Your[0].Reason != "invalid" {
			t.Fatalf("health %+v", h)
		}
		if env.Host != nil {
			// The request that failed over: two attempts, logged under the
			// key that served it.
			var failedOver int
			for _, e := range env.Host.AccessLog() {
				if e.Attempts == 2 {
					failedOver++
					if kh := e.FilterState["wasm.gca_key_hash"]; kh == hashOf("AIzaREVOKED") || kh == "" {
						t.Errorf("access log key_hash %q for the failed-over request", kh)
					}
				}
			}
			if failedOver != 1 {
				t.Errorf("%d access log entries with 2 attempts, want 1", failedOver)
			}
		}
	})
}

// A stream whose first attempt gets 503 fails over before its first byte:
// the client reads a normal stream.
func TestFailoverStream(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		env.Fake.Enqueue("", fakegemini.Reply{Status: 503, Body: `{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}`})
		c := openaiClient(env, "AIzaS1,AIzaS2")
		var resp *http.Response
		stream := c.Chat.Completions.NewStreaming(ctx(t), chatParams("gemini-2.5-flash", "count to three"), option.WithResponseInto(&resp))
		var acc openai.ChatCompletionAccumulator
		for stream.Next() {
			acc.AddChunk(stream.Current())
		}
		if err := stream.Err(); err != nil {
			t.Fatal(err)
		}
		if len(acc.Choices) != 1 || acc.Choices[0].Message.Content == "" || acc.Choices[0].FinishReason != "stop" {
			t.Fatalf("stream %+v", acc.Choices)
		}
		reqs := env.Fake.Requests()
		if len(reqs) != 2 || reqs[0].Status != 503 || reqs[1].Status != 200 || reqs[0].Key == reqs[1].Key {
			t.Fatalf("upstream attempts %v", describe(reqs))
		}
		if !strings.Contains(reqs[1].RawQuery, "alt=sse") {
			t.Fatalf("second attempt not a stream: %s?%s", reqs[1].Path, reqs[1].RawQuery)
		}
		if got := resp.Header.Get("x-envoy-attempt-count"); got != "2" {
			t.Errorf("x-envoy-attempt-count %q, want 2", got)
		}
		if v := resp.Header.Get("x-gca-failover"); v != "" {
			t.Errorf("internal header reached the client: %q", v)
		}
	})
}

func describe(rs []fakegemini.Request) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "[%s %d %s] ", r.Key, r.Status, r.Action)
	}
	return b.String()
}

// Every key failing: the client gets the last attempt's error in its own
// protocol, with retry-after for a rate limit; every key was tried once.
func TestAllKeysFailing(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		keys := "AIzaF1,AIzaF2,AIzaF3"
		for _, k := range strings.Split(keys, ",") {
			env.Fake.SetDefault(k, fakegemini.Reply{Status: 429, RetryDelay: "9s"})
		}
		var resp *http.Response
		oc := openaiClient(env, keys)
		_, err := oc.Chat.Completions.New(ctx(t), chatParams("gemini-2.5-flash", "hi"), option.WithResponseInto(&resp))
		if e := apiError(t, err); e.StatusCode != 429 || e.Type != "rate_limit_error" {
			t.Fatalf("OpenAI client got %d %s", e.StatusCode, e.Type)
		}
		if resp.Header.Get("retry-after") != "9" || resp.Header.Get("x-envoy-attempt-count") != "3" {
			t.Errorf("retry-after %q, attempts %q", resp.Header.Get("retry-after"), resp.Header.Get("x-envoy-attempt-count"))
		}
		if n := len(keyCounts(env)); n != 3 || len(env.Fake.Requests()) != 3 {
			t.Fatalf("attempts %s", describe(env.Fake.Requests()))
		}

		// All keys are now cooling: the next request tries only the one
		// recovering first, and the Anthropic client gets its 429.
		ac := anthropicClient(env, keys)
		_, err = ac.Messages.New(ctx(t), messageParams("claude-sonnet-4-5", 64, "hi"))
		var ae *anthropic.Error
		if !asAnthropicError(err, &ae) || ae.StatusCode != 429 || ae.Response.Header.Get("retry-after") != "9" {
			t.Fatalf("Anthropic client got %v", err)
		}
		if n := len(env.Fake.Requests()); n != 4 {
			t.Fatalf("%d attempts, want 1 more while every key cools down: %s", n, describe(env.Fake.Requests()))
		}

		// Overloaded everywhere: 503 for OpenAI, Anthropic's 529.
		for _, k := range strings.Split("AIzaO1,AIzaO2", ",") {
			env.Fake.SetDefault(k, fakegemini.Reply{Status: 503, Body: `{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}`})
		}
		oc = openaiClient(env, "AIzaO1,AIzaO2")
		_, err = oc.Chat.Completions.New(ctx(t), chatParams("gemini-2.5-flash", "hi"))
		if e := apiError(t, err); e.StatusCode != 503 {
			t.Fatalf("OpenAI client got %d", e.StatusCode)
		}
		ac = anthropicClient(env, "AIzaO1,AIzaO2")
		_, err = ac.Messages.New(ctx(t), messageParams("claude-sonnet-4-5", 64, "hi"))
		if !asAnthropicError(err, &ae) || ae.StatusCode != 529 {
			t.Fatalf("Anthropic client got %v", err)
		}
	})
}

func asAnthropicError(err error, out **anthropic.Error) bool {
	e, ok := err.(*anthropic.Error)
	if ok {
		*out = e
	}
	return ok
}

// A key 5x slower than the others gets clearly less traffic.
func TestSlowKeyGetsLessTraffic(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		// Delays well above the noise of a loaded 2-core machine, so the
		// measured latencies keep their 1:5 ratio.
		env.Fake.SetDefault("AIzaFAST1", fakegemini.Reply{Delay: 30 * time.Millisecond})
		env.Fake.SetDefault("AIzaFAST2", fakegemini.Reply{Delay: 30 * time.Millisecond})
		env.Fake.SetDefault("AIzaSLOW", fakegemini.Reply{Delay: 150 * time.Millisecond})
		c := openaiClient(env, "AIzaFAST1,AIzaFAST2,AIzaSLOW")
		for i := range 300 {
			if _, err := c.Chat.Completions.New(ctx(t), chatParams("gemini-2.5-flash", "hi")); err != nil {
				t.Fatalf("request %d: %v", i, err)
			}
		}
		split := keyCounts(env)
		t.Logf("split over 300 requests (30 ms, 30 ms, 150 ms keys): fast1=%d fast2=%d slow=%d", split["AIzaFAST1"], split["AIzaFAST2"], split["AIzaSLOW"])
		if split["AIzaSLOW"] > 40 {
			t.Errorf("the 5x slower key served %d of 300 requests (a fair share is 100)", split["AIzaSLOW"])
		}
		if split["AIzaFAST1"] < 80 || split["AIzaFAST2"] < 80 {
			t.Errorf("the two equal keys did not share the load: %v", split)
		}
	})
}

// Key health stays within its slots whatever the number of distinct keys.
func TestKeyHealthBounded(t *testing.T) {
	const slots = 64
	env := harness.NewHost(t, fmt.Sprintf(`{"key_pool":{"slots":%d}}`, slots))
	const clients = 2000
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	sem := make(chan struct{}, 8)
	for i := range clients {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			// Two keys each, so requests plan, fail over and record.
			k := fmt.Sprintf("AIzaC%05dA,AIzaC%05dB", i, i)
			c := openaiClient(env, k)
			if _, err := c.Chat.Completions.New(ctx(t), chatParams("gemini-2.5-flash", "hi")); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	entries, bytes := env.Host.SharedData("gca.kp.")
	t.Logf("%d distinct keys: %d key-health entries, %d bytes", 2*clients, entries, bytes)
	if entries > slots || bytes > slots*(136+len("gca.kp.")+5) {
		t.Fatalf("%d entries, %d bytes: over the bound of %d slots", entries, bytes, slots)
	}
	if h := health(t, env, ""); h.Keys.Capacity != slots || h.Keys.Tracked > slots {
		t.Fatalf("health %+v", h.Keys)
	}
}
