// Package filter is the proxy-wasm glue of gemini-code-api: contexts, plugin
// configuration, routing by path, key handling, local replies and the
// properties Envoy's access log reads. All protocol work lives in
// translators/.
package filter

import (
	"encoding/binary"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/gemini-code-api/gemini-code-api/filter/keypool"
	"github.com/gemini-code-api/gemini-code-api/filter/shareddata"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/gemini-code-api/gemini-code-api/translators/translator"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// Version is reported by /health.
const Version = "0.1.0"

// NewVMContext returns the module's VM context.
func NewVMContext() types.VMContext { return &vmContext{} }

type vmContext struct {
	types.DefaultVMContext
}

func (*vmContext) NewPluginContext(contextID uint32) types.PluginContext {
	return guardedPlugin{&pluginContext{}}
}

type pluginContext struct {
	types.DefaultPluginContext
	cfg     *Config
	env     *translator.Env // what translations are built with (cfg's, the clock, random ids)
	started instant
	pool    *keypool.Pool
	metrics metrics
	stats   sharedStats // this VM's side of /health's gateway-wide figures
	// owner identifies this plugin instance in the key-gauge lease;
	// nextGauges is when it next tries to refresh the key gauges.
	owner      uint64
	nextGauges int64
	// headerScratch is the slice each request's headers are read into
	// (httpContext.reqHeaders), kept between requests: one allocation less
	// per request.
	headerScratch [][2]string
}

// tickMs is the downstream instance's tick: it flushes this VM's pending
// /health figures and, every keyGaugePeriodMs, refreshes the key gauges.
const tickMs = 1000

func (p *pluginContext) OnPluginStart(size int) types.OnPluginStartStatus {
	var data []byte
	if size > 0 {
		var err error
		data, err = proxywasm.GetPluginConfiguration()
		if err != nil {
			proxywasm.LogCritical("gemini-code-api: cannot read the plugin configuration: " + err.Error())
			return types.OnPluginStartStatusFailed
		}
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		// Failing here makes Envoy reject the configuration: better than
		// serving with settings the operator did not ask for.
		proxywasm.LogCritical("gemini-code-api: invalid plugin configuration: " + err.Error())
		return types.OnPluginStartStatusFailed
	}
	p.cfg = cfg
	p.env = translator.NewEnv(cfg.models)
	p.env.ReasoningContent = cfg.ReasoningContent
	p.env.ThinkingPings = cfg.ThinkingPings
	p.env.MaxEmbeddingValues = int64(cfg.MaxEmbeddingValues)
	p.started = monoNow()
	p.pool = keypool.New(cfg.pool, sharedStore{}, keyPoolPrefix)
	p.metrics = defineMetrics(cfg)
	p.stats = sharedStats{store: sharedStore{}}
	p.owner = rand.Uint64() | 1 // never 0, the owner of an absent lease
	if cfg.Role == roleDownstream {
		// The upstream instance shares this VM and records per attempt
		// only; one ticking instance per VM is enough.
		if err := proxywasm.SetTickPeriodMilliSeconds(tickMs); err != nil {
			proxywasm.LogWarn("gemini-code-api: no tick (" + err.Error() + "): /health shows this VM's requests only when it answers, and the key gauges stay unset")
		}
	}
	return types.OnPluginStartStatusOK
}

func (p *pluginContext) OnTick() {
	now := time.Now().UnixMilli()
	p.stats.flush(now)
	if now >= p.nextGauges {
		p.nextGauges = now + keyGaugePeriodMs
		p.refreshKeyGauges(now)
	}
}

// The key gauges (gemini_code_api.keys.state.*) count keys across all VMs,
// from keypool's Summary, which reads every slot. One VM at a time does
// it, every keyGaugePeriodMs: the one holding a lease in shared data
// (owner id and expiry, renewed at each refresh, taken over once expired,
// e.g. when its VM was replaced). Besides saving the other VMs the work,
// a single writer is what makes setting the gauges exact: the SDK can only
// add to a gauge, and two VMs adding the same difference would count it
// twice.
const (
	keyGaugePeriodMs = 2000
	keyGaugeLeaseMs  = 10_000
)

func (p *pluginContext) refreshKeyGauges(now int64) {
	held := false
	ok := shareddata.Update(sharedStore{}, keyGaugeLeaseKey, func(v []byte, _ bool) ([]byte, bool) {
		held = false
		if len(v) == 16 {
			until, owner := int64(binary.LittleEndian.Uint64(v)), binary.LittleEndian.Uint64(v[8:])
			if owner != p.owner && until > now {
				return nil, false // another VM refreshes them
			}
		}
		held = true
		b := make([]byte, 16)
		binary.LittleEndian.PutUint64(b, uint64(now+keyGaugeLeaseMs))
		binary.LittleEndian.PutUint64(b[8:], p.owner)
		return b, true
	})
	if ok && held {
		p.metrics.setKeyGauges(p.pool.Summary())
	}
}

// /health status rules, from the figures of the last window (5 minutes):
//
//   - unhealthy: keys are in use and none of them is healthy (every
//     request fails or waits for a cool-down), or at least half of the
//     requests failed with a 5xx (the original gateway's unhealthy
//     threshold, 50 % failures), over at least healthMinRequests requests;
//   - degraded: some keys in use are set aside (cooling, rejected or
//     waiting for their probe), or at least 5 % of the requests failed with
//     a 5xx, over at least healthMinRequests requests;
//   - healthy otherwise.
//
// Client errors (4xx) count in error_rate, as in the original, but not in
// the status: a client sending bad requests does not make the gateway
// unhealthy. /health always answers 200: restarting Envoy cannot fix a key
// or Gemini, so a liveness probe must not act on the status; alerts do
// (deploy/observability).
const (
	healthMinRequests   = 20
	healthDegradedRate  = 0.05
	healthUnhealthyRate = 0.5
)

// healthBody is the /health answer: the original gateway's fields (status,
// timestamp, version, uptime and "metrics"), with the key counts and, for a
// request that carries keys, those keys' own state by hash. Every figure
// covers all worker VMs: key counts from the shared key records, request
// figures from the shared statistics (other VMs' requests up to a second
// late, see healthstats.go). Its cost is one shared-data write and
// key_pool.slots reads.
func (p *pluginContext) healthBody(keys []string) []byte {
	now := time.Now()
	nowMs := now.UnixMilli()
	p.stats.flush(nowMs)
	rec := p.stats.read(nowMs)
	win, spanMs := rec.window(nowMs)
	sum := p.pool.Summary()

	ratio := func(a, b uint64) float64 {
		if b == 0 {
			return 0
		}
		return float64(a) / float64(b)
	}
	errorRate := ratio(uint64(win.errors), uint64(win.requests))
	serverErrorRate := ratio(uint64(win.serverErrors), uint64(win.requests))
	status, why := "healthy", ""
	switch {
	case sum.Active > 0 && sum.Healthy == 0:
		status, why = "unhealthy", "no healthy key among the keys in use"
	case win.requests >= healthMinRequests && serverErrorRate >= healthUnhealthyRate:
		status, why = "unhealthy", "server error rate at or above 50%"
	case sum.Active > sum.Healthy:
		status, why = "degraded", "some keys in use are set aside"
	case win.requests >= healthMinRequests && serverErrorRate >= healthDegradedRate:
		status, why = "degraded", "server error rate at or above 5%"
	}
	uptime := (nowMs - rec.start) / 1000
	if rec.start == 0 {
		uptime = int64(since(p.started).Seconds())
	}

	b := append(make([]byte, 0, 1024), '{')
	b = jsonw.String(member(b, "status"), status)
	if why != "" {
		b = jsonw.String(member(b, "status_reason"), why)
	}
	b = jsonw.Int(member(b, "timestamp"), nowMs)
	b = jsonw.String(member(b, "version"), Version)
	b = jsonw.Int(member(b, "uptime"), uptime)
	b = jsonw.String(member(b, "service"), "gemini-code-api")
	b = jsonw.Int(member(b, "uptime_seconds"), uptime)
	b = append(member(b, "metrics"), '{')
	b = jsonw.Int(member(b, "requests_total"), int64(rec.total.requests))
	for _, f := range [...]struct {
		name      string
		v         float64
		precision int
	}{
		{"requests_per_second", float64(win.requests) * 1000 / float64(spanMs), 3},
		{"average_response_time", float64(int64(ratio(win.durationMs, uint64(win.requests)) + 0.5)), 0},
		{"error_rate", errorRate, 4},
		{"server_error_rate", serverErrorRate, 4},
		{"cache_hit_rate", ratio(rec.total.cacheHits, rec.total.cacheHits+rec.total.cacheMisses), 4},
		{"active_api_keys", float64(sum.Active), 0},
		{"healthy_api_keys", float64(sum.Healthy), 0},
		{"window_seconds", statsWindowMs / 1000, 0},
	} {
		b = strconv.AppendFloat(member(b, f.name), f.v, 'f', f.precision, 64)
	}
	b = append(b, '}')
	b = append(member(b, "keys"), '{')
	for _, f := range [...]struct {
		name string
		n    int
	}{
		{"active", sum.Active}, {"healthy", sum.Healthy}, {"cooling", sum.Cooling}, {"invalid", sum.Invalid},
		{"recovering", sum.Recovering}, {"tracked", sum.Tracked}, {"capacity", sum.Slots},
	} {
		b = jsonw.Int(member(b, f.name), int64(f.n))
	}
	b = append(b, '}')
	if len(keys) > 0 {
		b = append(member(b, "your_keys"), '[')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			id := keypool.IDOf(k)
			st := p.pool.Status(id)
			b = jsonw.String(member(append(b, '{'), "key_hash"), id.Hex())
			b = jsonw.String(member(b, "state"), st.State.String())
			if st.Reason != keypool.ReasonNone {
				b = jsonw.String(member(b, "reason"), st.Reason.String())
			}
			b = jsonw.Int(member(b, "requests"), int64(st.Requests))
			b = jsonw.Int(member(b, "failures"), int64(st.Failures))
			b = jsonw.Int(member(b, "consecutive_failures"), int64(st.Consecutive))
			b = jsonw.Int(member(b, "latency_ms"), int64(st.LatencyMs+0.5))
			if st.Until > 0 {
				b = jsonw.Int(member(b, "retry_at"), st.Until)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

// member starts the next member of the JSON object (or array) b is
// writing: the comma when one came before, then its name.
func member(b []byte, name string) []byte {
	if c := b[len(b)-1]; c != '{' && c != '[' {
		b = append(b, ',')
	}
	return jsonw.Key(b, name)
}

// newHttpContext is a new request's context, before its headers are read.
func (p *pluginContext) newHttpContext() httpContext {
	return httpContext{plugin: p, handler: translating{}}
}
