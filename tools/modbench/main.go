// Command modbench measures the compiled module where Envoy runs it: on the
// e2e host (e2e/host, wazero), configured as envoy.yaml configures Envoy
// (e2e/harness.HostConfig: the module as the listener's filter and as the
// gemini cluster's upstream filter), with linear memory reserved up front
// and proxy_on_log/on_done/on_delete at each stream's end.
//
// It reports module time only: the time the host spends inside the
// module's exported callbacks (host functions they call included), per
// request, next to a do-nothing module (e2e/host/testdata/noop) built in the
// same run and driven by the same requests, and their ratio. Absolute
// times depend on the machine; ratios much less so.
//
//	go run ./tools/modbench                      # timed scenarios
//	go run ./tools/modbench -memory 100000       # + linear memory after 1k, 10k, 100k mixed requests
//	go run ./tools/modbench -check tools/modbench/thresholds.json   # CI guard
//	go run ./tools/modbench -profile openai-chat # guest functions by self time
//
// GCA_WASM (or -wasm) names the module under test; without it the tree is
// built.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gemini-code-api/gemini-code-api/e2e/harness"
	"github.com/gemini-code-api/gemini-code-api/e2e/host"
	"github.com/gemini-code-api/gemini-code-api/internal/wasmbuild"
)

var (
	wasmFlag    = flag.String("wasm", os.Getenv("GCA_WASM"), "module under test (default: build the tree)")
	nFlag       = flag.Int("n", 400, "requests per scenario and round (streams: n/4)")
	roundsFlag  = flag.Int("rounds", 5, "rounds per scenario; the fastest round is reported")
	memoryFlag  = flag.Int("memory", 0, "mixed requests through one VM for the memory run (0: none); pages are reported at 1k, 10k, 100k...")
	checkFlag   = flag.String("check", "", "thresholds file: fail when a ratio to the do-nothing module or the module size exceeds it")
	profileFlag = flag.String("profile", "", "scenario to profile: guest functions by self time and calls (slow: every guest call is listened to)")
	variantFlag = flag.String("variants", "", "comma-separated build variants to measure too: gcoff (GC disabled), memstats (allocations per request)")
	verboseFlag = flag.Bool("v", false, "per-request callbacks and host calls of the module")
	only        = flag.String("only", "", "run only the scenarios whose name contains this")
	compareFlag = flag.String("compare", "", "another build of the module to measure in the same run (e.g. the previous commit's), reported as a variant")
)

func main() {
	flag.Parse()
	// The host's own garbage collection runs beside the guest calls it
	// measures (two cores): make it rare, and collect before each run.
	debug.SetGCPercent(800)
	var gca []byte
	if *wasmFlag != "" {
		gca = readModule(*wasmFlag)
	} else {
		gca = buildModule(".", "gemini-code-api", "")
	}
	noop := buildModule("./e2e/host/testdata/noop", "noop", "")

	up := newUpstream()
	defer up.close()

	modules := []module{{name: "gemini-code-api", wasm: gca}, {name: "do-nothing", wasm: noop}}
	for _, v := range strings.Split(*variantFlag, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		modules = append(modules, module{name: "variant " + v, wasm: buildModule(".", v, "gca_"+v), memstats: v == "memstats"})
	}
	if *compareFlag != "" {
		modules = append(modules, module{name: "compared " + filepath.Base(*compareFlag), wasm: readModule(*compareFlag)})
	}
	for i := range modules {
		m := &modules[i]
		var err error
		if m.h, err = startHost(m.wasm, up.addr(), nil); err != nil {
			fatal(fmt.Errorf("%s: %w", m.name, err))
		}
		defer m.h.Close()
	}

	fmt.Printf("module: %d bytes (%.2f MiB); do-nothing module: %d bytes\n\n", len(gca), float64(len(gca))/(1<<20), len(noop))

	if *profileFlag != "" {
		// The profile names guest functions: build the tree with its
		// name section (not stripped).
		if err := profile(up, buildModule(".", "names", "gca_names"), *profileFlag); err != nil {
			fatal(err)
		}
		return
	}

	results := map[string]map[string]measure{} // scenario -> module -> figures
	var order []string
	for _, sc := range timedScenarios() {
		if *only != "" && !strings.Contains(sc.name, *only) {
			continue
		}
		order = append(order, sc.name)
		results[sc.name] = map[string]measure{}
		n := *nFlag
		if sc.events > 0 {
			n = max(n/4, 10)
		}
		rounds := map[string][]measure{}
		for range *roundsFlag {
			for _, m := range modules {
				r, err := run(m, up, sc, n)
				if err != nil {
					fatal(fmt.Errorf("%s on %s: %w", sc.name, m.name, err))
				}
				rounds[m.name] = append(rounds[m.name], r)
			}
		}
		for _, m := range modules {
			results[sc.name][m.name] = fastest(rounds[m.name])
		}
	}
	report(order, modules, results)

	var pages map[int]uint64
	if *memoryFlag > 0 {
		var err error
		pages, err = memoryRun(gca, up, *memoryFlag)
		if err != nil {
			fatal(err)
		}
	}
	if *checkFlag != "" {
		if err := check(*checkFlag, len(gca), order, results, pages); err != nil {
			fmt.Println("\nFAIL:", err)
			os.Exit(1)
		}
		fmt.Println("\ncheck: ok")
	}
}

type module struct {
	name     string
	wasm     []byte
	h        *host.Host
	memstats bool // the module exports gca_memstats
}

// measure is one scenario on one module: per request figures.
type measure struct {
	n         int
	time      time.Duration // module time per request
	hostTime  time.Duration
	calls     float64 // guest calls (exported callbacks) per request
	hostCalls float64
	mallocs   float64 // memstats variant only
	allocB    float64
	gcs       float64
	stats     host.ModuleStats
}

// fastest is the round with the least module time: other load on the
// machine (two cores shared with the host's HTTP side, the upstream, the
// client and whatever else runs) only ever adds time to a round.
func fastest(ms []measure) measure {
	sort.Slice(ms, func(i, j int) bool { return ms[i].time < ms[j].time })
	return ms[0]
}

func startHost(wasm []byte, upstream string, profiler *profiler) (*host.Host, error) {
	cfg, err := harness.HostConfig(wasm, "", upstream)
	if err != nil {
		return nil, err
	}
	cfg.Workers = 1 // one VM: every request of a run goes through it
	if profiler != nil {
		cfg.FunctionListeners = profiler
	}
	return host.Start(cfg)
}

var client = &http.Client{Transport: &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}, Timeout: 30 * time.Second}

// run sends n requests of sc, one at a time, after a warm-up, and returns
// the module time per request.
func run(m module, up *upstream, sc scenario, n int) (measure, error) {
	for range max(n/4, 5) {
		if err := request(m.h, up, sc, true, m.name == "gemini-code-api"); err != nil {
			return measure{}, err
		}
	}
	m.h.WaitIdle(5 * time.Second)
	runtime.GC()
	var ms0 [3]uint64
	if m.memstats {
		ms0 = memstats(m.h)
	}
	before := m.h.ModuleStats()
	for range n {
		if err := request(m.h, up, sc, true, m.name == "gemini-code-api"); err != nil {
			return measure{}, err
		}
	}
	if !m.h.WaitIdle(5 * time.Second) {
		return measure{}, fmt.Errorf("streams still in flight")
	}
	d := m.h.ModuleStats().Sub(before)
	r := measure{
		n: n, time: d.Time / time.Duration(n), hostTime: d.HostTime / time.Duration(n),
		calls: float64(d.Calls) / float64(n), hostCalls: float64(d.HostCalls) / float64(n), stats: d,
	}
	if m.memstats {
		ms1 := memstats(m.h)
		r.mallocs = float64(ms1[0]-ms0[0]) / float64(n)
		r.allocB = float64(ms1[1]-ms0[1]) / float64(n)
		r.gcs = float64(ms1[2]-ms0[2]) / float64(n)
	}
	return r, nil
}

var ackIDs atomic.Int64

// request sends one request of sc and reads the whole answer; lockstep
// makes the upstream send each event only once the client has the previous
// one, so that every event reaches the module in its own body callback, as
// Gemini's events reach Envoy.
func request(h *host.Host, up *upstream, sc scenario, lockstep, checkAnswer bool) error {
	req, err := http.NewRequest("POST", h.URL()+sc.path, bytes.NewReader(sc.body))
	if err != nil {
		return err
	}
	for k, v := range sc.header {
		req.Header.Set(k, v)
	}
	var ack chan struct{}
	if sc.events > 0 {
		req.Header.Set("x-bench-events", strconv.Itoa(sc.events))
		if lockstep {
			id := strconv.FormatInt(ackIDs.Add(1), 10)
			ack = make(chan struct{}, 1)
			up.acks.Store(id, ack)
			defer up.acks.Delete(id)
			req.Header.Set("x-bench-ack", id)
		}
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body []byte
	buf := make([]byte, 64<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			body = append(body, buf[:n]...)
			if ack != nil {
				select {
				case ack <- struct{}{}:
				default:
				}
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	if checkAnswer && !bytes.Contains(body, []byte(sc.want)) {
		return fmt.Errorf("%s: unexpected answer %d: %.400s", sc.name, resp.StatusCode, body)
	}
	return nil
}

// upstream is Gemini for the benchmark: a whole answer, or events SSE
// events when the request carries x-bench-events.
type upstream struct {
	ln     net.Listener
	srv    *http.Server
	acks   sync.Map // x-bench-ack id -> chan struct{}
	answer []byte
	events map[int][][]byte
	mu     sync.Mutex
}

func newUpstream() *upstream {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fatal(err)
	}
	u := &upstream{ln: ln, answer: geminiAnswer(), events: map[int][][]byte{}}
	u.srv = &http.Server{Handler: http.HandlerFunc(u.serve)}
	go u.srv.Serve(ln)
	return u
}

func (u *upstream) addr() string { return u.ln.Addr().String() }
func (u *upstream) close()       { u.srv.Close() }

func (u *upstream) eventsOf(n int) [][]byte {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.events[n] == nil {
		u.events[n] = geminiEvents(n)
	}
	return u.events[n]
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	io.Copy(io.Discard, r.Body)
	n, _ := strconv.Atoi(r.Header.Get("x-bench-events"))
	if n <= 0 {
		w.Header().Set("content-type", "application/json; charset=UTF-8")
		w.Header().Set("content-length", strconv.Itoa(len(u.answer)))
		w.Write(u.answer)
		return
	}
	var ack chan struct{}
	if id := r.Header.Get("x-bench-ack"); id != "" {
		if c, ok := u.acks.Load(id); ok {
			ack = c.(chan struct{})
		}
	}
	w.Header().Set("content-type", "text/event-stream")
	w.WriteHeader(200)
	fl := w.(http.Flusher)
	fl.Flush()
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for _, ev := range u.eventsOf(n) {
		if ack != nil {
			select { // an acknowledgement left over from a split read
			case <-ack:
			default:
			}
		}
		if _, err := w.Write(ev); err != nil {
			return
		}
		fl.Flush()
		if ack != nil {
			timer.Reset(50 * time.Millisecond)
			select {
			case <-ack:
			case <-timer.C:
			case <-r.Context().Done():
				return
			}
		}
	}
}

func report(order []string, modules []module, results map[string]map[string]measure) {
	titles := map[string]string{}
	for _, sc := range timedScenarios() {
		titles[sc.name] = sc.title
	}
	fmt.Println("| scenario | gemini-code-api µs | do-nothing µs | ratio | guest calls | host calls | of which in host functions µs |")
	fmt.Println("|---|---:|---:|---:|---:|---:|---:|")
	for _, name := range order {
		g, z := results[name]["gemini-code-api"], results[name]["do-nothing"]
		fmt.Printf("| %s | %.1f | %.1f | %.1f× | %.0f | %.0f | %.1f |\n", titles[name], us(g.time), us(z.time),
			ratio(g, z), g.calls, g.hostCalls, us(g.hostTime))
	}
	variants := modules[2:]
	if len(variants) > 0 {
		fmt.Println()
		fmt.Print("| scenario |")
		for _, m := range variants {
			fmt.Printf(" %s µs | ratio |", m.name)
			if m.memstats {
				fmt.Print(" allocations | bytes allocated | GC cycles |")
			}
		}
		fmt.Println()
		fmt.Print("|---|")
		for _, m := range variants {
			fmt.Print("---:|---:|")
			if m.memstats {
				fmt.Print("---:|---:|---:|")
			}
		}
		fmt.Println()
		for _, name := range order {
			fmt.Printf("| %s |", titles[name])
			z := results[name]["do-nothing"]
			for _, m := range variants {
				v := results[name][m.name]
				fmt.Printf(" %.1f | %.1f× |", us(v.time), ratio(v, z))
				if m.memstats {
					fmt.Printf(" %.0f | %.0f | %.3f |", v.mallocs, v.allocB, v.gcs)
				}
			}
			fmt.Println()
		}
	}
	if *verboseFlag {
		for _, name := range order {
			for _, mn := range []string{"gemini-code-api", "do-nothing"} {
				r := results[name][mn]
				fmt.Printf("\n%s, %s: per request\n", titles[name], mn)
				for _, k := range host.Names(r.stats.PerExport) {
					c := r.stats.PerExport[k]
					fmt.Printf("  %-36s %6.1f calls %8.1f µs\n", k, float64(c.Calls)/float64(r.n), us(c.Time)/float64(r.n))
				}
				for _, k := range host.Names(r.stats.PerImport) {
					c := r.stats.PerImport[k]
					fmt.Printf("  > %-34s %6.1f calls %8.1f µs\n", k, float64(c.Calls)/float64(r.n), us(c.Time)/float64(r.n))
				}
			}
		}
	}
}

func ratio(a, b measure) float64 {
	if b.time <= 0 {
		return 0
	}
	return float64(a.time) / float64(b.time)
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// memoryRun sends mixed requests, four at a time, through one VM of a new
// host and reports its linear memory (64 KiB pages) at 1k, 10k, 100k...
func memoryRun(wasm []byte, up *upstream, total int) (map[int]uint64, error) {
	h, err := startHost(wasm, up.addr(), nil)
	if err != nil {
		return nil, err
	}
	defer h.Close()
	mix := mixedScenarios()
	var next atomic.Int64
	pages := map[int]uint64{}
	checkpoints := []int{}
	for c := 1000; c <= total; c *= 10 {
		checkpoints = append(checkpoints, c)
	}
	if len(checkpoints) == 0 || checkpoints[len(checkpoints)-1] != total {
		checkpoints = append(checkpoints, total)
	}
	fmt.Printf("\nmemory: %d mixed requests (%d kinds, 4 clients) through one VM\n\n", total, len(mix))
	start := time.Now()
	before := h.ModuleStats()
	done := 0
	for _, cp := range checkpoints {
		var wg sync.WaitGroup
		var failed atomic.Value
		for range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1)
					if i > int64(cp) {
						return
					}
					if err := request(h, up, mix[int(i)%len(mix)], false, true); err != nil {
						failed.Store(err)
						return
					}
				}
			}()
		}
		wg.Wait()
		if err, _ := failed.Load().(error); err != nil {
			return nil, err
		}
		next.Store(int64(cp))
		h.WaitIdle(5 * time.Second)
		done = cp
		pages[cp] = h.MemoryBytes()[0] / 65536
	}
	d := h.ModuleStats().Sub(before)
	fmt.Println("| requests | linear memory (64 KiB pages) | MiB |")
	fmt.Println("|---:|---:|---:|")
	for _, cp := range checkpoints {
		fmt.Printf("| %d | %d | %.1f |\n", cp, pages[cp], float64(pages[cp])/16)
	}
	fmt.Printf("\nmixed requests: %.1f µs module time per request; %s in all\n", us(d.Time)/float64(done), time.Since(start).Round(time.Second))
	if h.Failed() {
		return nil, fmt.Errorf("the VM failed during the memory run")
	}
	return pages, nil
}

// thresholds is the CI guard's file.
type thresholds struct {
	// MaxRatio bounds each scenario's module time over the do-nothing
	// module's, measured in the same run.
	MaxRatio map[string]float64 `json:"max_ratio"`
	// MaxModuleBytes bounds the module's size.
	MaxModuleBytes int `json:"max_module_bytes"`
	// MaxMemoryPages bounds linear memory after the memory run.
	MaxMemoryPages uint64 `json:"max_memory_pages"`
}

func check(path string, size int, order []string, results map[string]map[string]measure, pages map[int]uint64) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var t thresholds
	if err := json.Unmarshal(b, &t); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	var errs []string
	if t.MaxModuleBytes > 0 && size > t.MaxModuleBytes {
		errs = append(errs, fmt.Sprintf("module is %d bytes, above %d", size, t.MaxModuleBytes))
	}
	for _, name := range order {
		max, ok := t.MaxRatio[name]
		if !ok {
			continue
		}
		r := ratio(results[name]["gemini-code-api"], results[name]["do-nothing"])
		if r > max {
			errs = append(errs, fmt.Sprintf("%s: module time %.1f× the do-nothing module's, above %.1f×", name, r, max))
		}
	}
	for _, p := range pages {
		if t.MaxMemoryPages > 0 && p > t.MaxMemoryPages {
			errs = append(errs, fmt.Sprintf("linear memory %d pages, above %d", p, t.MaxMemoryPages))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// buildModule compiles a package of the repository as a proxy-wasm module
// (to modbench-<name>.wasm in the temporary directory), as the Makefile
// does; tags "gca_names" keeps the symbol names instead.
func buildModule(pkg, name, tags string) []byte {
	o := wasmbuild.Options{Tags: tags}
	if tags == "gca_names" {
		o = wasmbuild.Options{Names: true}
	}
	out := filepath.Join(os.TempDir(), "modbench-"+name+".wasm")
	if err := wasmbuild.Build(pkg, out, o); err != nil {
		fatal(err)
	}
	return readModule(out)
}

func readModule(path string) []byte {
	b, err := os.ReadFile(path)
	if err != nil {
		fatal(err)
	}
	return b
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "modbench:", err)
	os.Exit(1)
}
