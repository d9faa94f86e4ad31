package e2e_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
	gca "github.com/gemini-code-api/gemini-code-api/translators/openai"
)

// TestMemoryOfConcurrentLargeStreams sends 40 streamed requests of 4 MiB
// each (OpenAI and Anthropic alternately) and keeps every stream open until
// all of them are in flight, then reads each VM's linear memory.
//
// A VM runs one callback at a time, so once a request is forwarded it must
// keep only what its answer needs (model names, options), not its body.
// The bound follows: while one request is translated, about three copies
// of its body are live (the body read from Envoy, gjson's string of it, the
// Gemini body written), and Go's collector (GOGC=100) lets the heap reach
// about twice the live data: 6 bodies, plus the runtime and the module's
// own data. 8 bodies + 32 MiB leaves room for that whatever the number of
// streams (measured: about 6 bodies + 8 MiB; 32 MiB here, 103 MiB with
// 16 MiB bodies). A VM that keeps two copies per stream until the stream
// ends (the translated body, and the request's string copy pinned by a
// model name sliced out of it) grows with the streams: 239 MiB here,
// 962 MiB with 16 MiB bodies.
func TestMemoryOfConcurrentLargeStreams(t *testing.T) {
	const (
		streams  = 40
		bodySize = 4 << 20
		bound    = 8*bodySize + 32<<20
	)
	// A safety net, not a measure: 160 MiB go through the fake's strict
	// validation, which takes a while on a busy machine.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env := harness.NewHost(t, "")
	if env.BufferLimit < bodySize+1<<20 {
		t.Fatalf("the buffer limit (%d) is too small for this test", env.BufferLimit)
	}
	hold := make(chan struct{})
	env.Fake.SetDefault("", fakegemini.Reply{Text: "held answer", Hold: hold})
	text := strings.Repeat("lorem ipsum ", bodySize/12)
	bodies := [2]string{
		`{"model":"gemini-2.5-flash","stream":true,"messages":[{"role":"user","content":"` + text + `"}]}`,
		`{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"` + text + `"}]}`,
	}
	paths := [2]string{"/v1/chat/completions", "/v1/messages"}
	ends := [2]string{"data: [DONE]", "event: message_stop"}

	var started, done sync.WaitGroup
	errs := make(chan string, streams)
	started.Add(streams)
	done.Add(streams)
	for i := range streams {
		go func() {
			defer done.Done()
			once := sync.OnceFunc(started.Done)
			defer once()
			p := i % 2
			req, _ := http.NewRequestWithContext(ctx, "POST", env.URL+paths[p], strings.NewReader(bodies[p]))
			req.Header.Set("x-api-key", "AIzaMEMORY")
			req.Header.Set("content-type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				errs <- err.Error()
				return
			}
			defer resp.Body.Close()
			br := bufio.NewReader(resp.Body)
			first, err := br.ReadString('\n')
			if resp.StatusCode != 200 || err != nil {
				rest, _ := io.ReadAll(br)
				errs <- paths[p] + ": " + resp.Status + " " + first + string(rest)
				return
			}
			once() // this stream is in flight, held by the upstream
			rest, _ := io.ReadAll(br)
			if !strings.Contains(string(rest), ends[p]) {
				errs <- paths[p] + ": stream did not finish: " + first + string(rest)
			}
		}()
	}
	started.Wait()
	mem := env.Host.MemoryBytes()
	close(hold)
	done.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
	for i, m := range mem {
		t.Logf("vm%d linear memory with %d streams of %d MiB in flight: %d MiB", i, streams/len(mem), bodySize>>20, m>>20)
		if m > bound {
			t.Errorf("vm%d: %d MiB of linear memory, more than %d MiB: in-flight requests keep their bodies", i, m>>20, bound>>20)
		}
	}
}

// embedRequest is an embeddings request of n inputs; dims 0 leaves
// `dimensions` out.
func embedRequest(model string, n, dims int) (body string, inputs []string) {
	inputs = make([]string, n)
	q := make([]string, n)
	for i := range inputs {
		inputs[i] = "input number " + strconv.Itoa(i)
		q[i] = strconv.Quote(inputs[i])
	}
	body = `{"model":"` + model + `","input":[` + strings.Join(q, ",") + `]`
	if dims > 0 {
		body += `,"dimensions":` + strconv.Itoa(dims)
	}
	return body + "}", inputs
}

func postEmbeddings(t *testing.T, env *harness.Env, body string) (int, []byte) {
	// Generous: four answers of 19 MiB are made, converted and parsed at
	// once, on a machine that may be running other tests too.
	c, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	req, err := http.NewRequestWithContext(c, "POST", env.URL+"/v1/embeddings", strings.NewReader(body))
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	req.Header.Set("authorization", "Bearer K")
	req.Header.Set("content-type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Error(err)
		return 0, nil
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Error(err)
	}
	return resp.StatusCode, b
}

// TestEmbeddingsMemoryBounded sends the largest embeddings request the
// default cap allows (2048 inputs × 768 values), four at once, with the fake
// Gemini answering pretty-printed vectors as Google does, and checks how
// far the VMs' linear memory grew.
//
// The bound: a VM holds, per request in flight, the converted batches (at
// most one answer's size) and, while joining, the joined copy (another
// one), plus one batch's raw answer (100 of the 2048 inputs: small); Go's
// collector lets the heap reach about twice what is live. So a VM grows by
// at most 4 answer sizes per request it serves (about 2.5-3.5 measured).
// The module that held every raw answer and copied it with its whitespace
// grew by 6-10 answer sizes per request here.
func TestEmbeddingsMemoryBounded(t *testing.T) {
	const inputs, concurrent = 2048, 4
	dims := gca.DefaultMaxEmbeddingValues / inputs
	env := harness.NewHost(t, "")
	workers := len(env.Host.MemoryBytes())
	body, in := embedRequest("gemini-embedding-001", inputs, dims)
	before := env.Host.MemoryBytes()
	answers := make([][]byte, concurrent)
	var wg sync.WaitGroup
	for i := range answers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, b := postEmbeddings(t, env, body)
			if status != 200 {
				t.Errorf("status %d: %.300s", status, b)
			}
			answers[i] = b
		}()
	}
	wg.Wait()
	after := env.Host.MemoryBytes()
	if t.Failed() {
		t.FailNow()
	}

	// The bound is in sizes of the compact answer, whatever the module sent.
	var compact bytes.Buffer
	if err := json.Compact(&compact, answers[0]); err != nil {
		t.Fatalf("%v: %.300s", err, answers[0])
	}
	size := compact.Len()
	perVM := (concurrent + workers - 1) / workers // the host spreads streams round robin
	bound := uint64(4 * size * perVM)
	for i := range after {
		grew := after[i] - before[i]
		t.Logf("vm%d: %.1f -> %.1f MiB (grew %.1f MiB; answer %.1f MiB, bound %.1f MiB)", i,
			float64(before[i])/(1<<20), float64(after[i])/(1<<20), float64(grew)/(1<<20), float64(size)/(1<<20), float64(bound)/(1<<20))
		if grew > bound {
			t.Errorf("vm%d grew by %d bytes serving %d requests of a %d-byte answer; bound %d", i, grew, perVM, size, bound)
		}
	}
	for _, a := range answers {
		if !bytes.Equal(a, compact.Bytes()) {
			t.Fatalf("an answer is not the compact form of the first one (Gemini's pretty-printing kept?): %.200s", a)
		}
	}
	var got struct {
		Data []struct {
			Index     int
			Embedding []float32
		}
	}
	if err := json.Unmarshal(answers[0], &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Data) != inputs {
		t.Fatalf("%d embeddings", len(got.Data))
	}
	for _, i := range []int{0, 99, 100, 1337, inputs - 1} {
		want := fakegemini.EmbeddingFor(in[i], dims, 3072)
		if d := got.Data[i]; d.Index != i || len(d.Embedding) != dims || d.Embedding[0] != want[0] || d.Embedding[dims-1] != want[dims-1] {
			t.Fatalf("embedding %d: index %d, %d values, wrong or out of order", i, d.Index, len(d.Embedding))
		}
	}
}

// TestEmbeddingsOverCap: a request above the cap is refused with a 400 in
// OpenAI's shape before anything is sent to Gemini, including when
// `dimensions` is left out and the model's full size is assumed.
func TestEmbeddingsOverCap(t *testing.T) {
	harness.Each(t, "", func(t *testing.T, env *harness.Env) {
		for _, tc := range []struct {
			name  string
			model string
			dims  int
			msg   string
		}{
			{"one value over", "gemini-embedding-001", gca.DefaultMaxEmbeddingValues/2048 + 1, "2048 embeddings of 769 values"},
			{"full size assumed", "gemini-embedding-001", 0, "gemini-embedding-001 is assumed to return 3072"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				before := len(env.Fake.Requests())
				body, _ := embedRequest(tc.model, 2048, tc.dims)
				status, b := postEmbeddings(t, env, body)
				var e struct {
					Error struct{ Message, Type, Param string }
				}
				if err := json.Unmarshal(b, &e); err != nil || status != 400 || e.Error.Type != "invalid_request_error" || e.Error.Param != "input" ||
					!strings.Contains(e.Error.Message, tc.msg) || !strings.Contains(e.Error.Message, "at most 1572864 values") {
					t.Fatalf("%d %s", status, b)
				}
				if n := len(env.Fake.Requests()) - before; n != 0 {
					t.Fatalf("%d upstream calls for a refused request", n)
				}
			})
		}
	})
}
