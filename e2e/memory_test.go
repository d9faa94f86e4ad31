package e2e_test

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gemini-code-api/gemini-code-api/e2e/fakegemini"
	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
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
