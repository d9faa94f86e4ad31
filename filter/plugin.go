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
	started time.Time
	pool    *keypool.Pool
	metrics metrics
	stats   sharedStats // this VM's side of /health's gateway-wide figures
	// owner identifies this plugin instance in the key-gauge lease;
	// nextGauges is when it next tries to refresh the key gauges.
	owner      uint64
	nextGauges int64
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
	p.started = time.Now()
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
		uptime = int64(time.Since(p.started).Seconds())
	}

	b := make([]byte, 0, 1024)
	b = append(b, `{"status":`...)
	b = jsonw.String(b, status)
	if why != "" {
		b = append(b, `,"status_reason":`...)
		b = jsonw.String(b, why)
	}
	b = append(b, `,"timestamp":`...)
	b = jsonw.Int(b, nowMs)
	b = append(b, `,"version":`...)
	b = jsonw.String(b, Version)
	b = append(b, `,"uptime":`...)
	b = jsonw.Int(b, uptime)
	b = append(b, `,"service":"gemini-code-api","uptime_seconds":`...)
	b = jsonw.Int(b, uptime)
	b = append(b, `,"metrics":{"requests_total":`...)
	b = jsonw.Int(b, int64(rec.total.requests))
	b = append(b, `,"requests_per_second":`...)
	b = strconv.AppendFloat(b, float64(win.requests)*1000/float64(spanMs), 'f', 3, 64)
	b = append(b, `,"average_response_time":`...)
	b = jsonw.Int(b, int64(ratio(win.durationMs, uint64(win.requests))+0.5))
	b = append(b, `,"error_rate":`...)
	b = strconv.AppendFloat(b, errorRate, 'f', 4, 64)
	b = append(b, `,"server_error_rate":`...)
	b = strconv.AppendFloat(b, serverErrorRate, 'f', 4, 64)
	b = append(b, `,"cache_hit_rate":`...)
	b = strconv.AppendFloat(b, ratio(rec.total.cacheHits, rec.total.cacheHits+rec.total.cacheMisses), 'f', 4, 64)
	b = append(b, `,"active_api_keys":`...)
	b = jsonw.Int(b, int64(sum.Active))
	b = append(b, `,"healthy_api_keys":`...)
	b = jsonw.Int(b, int64(sum.Healthy))
	b = append(b, `,"window_seconds":`...)
	b = jsonw.Int(b, statsWindowMs/1000)
	b = append(b, '}')
	b = append(b, `,"keys":{"active":`...)
	b = jsonw.Int(b, int64(sum.Active))
	b = append(b, `,"healthy":`...)
	b = jsonw.Int(b, int64(sum.Healthy))
	b = append(b, `,"cooling":`...)
	b = jsonw.Int(b, int64(sum.Cooling))
	b = append(b, `,"invalid":`...)
	b = jsonw.Int(b, int64(sum.Invalid))
	b = append(b, `,"recovering":`...)
	b = jsonw.Int(b, int64(sum.Recovering))
	b = append(b, `,"tracked":`...)
	b = jsonw.Int(b, int64(sum.Tracked))
	b = append(b, `,"capacity":`...)
	b = jsonw.Int(b, int64(sum.Slots))
	b = append(b, '}')
	if len(keys) > 0 {
		b = append(b, `,"your_keys":[`...)
		for i, k := range keys {
			if i > 0 {
				b = append(b, ',')
			}
			id := keypool.IDOf(k)
			st := p.pool.Status(id)
			b = append(b, `{"key_hash":`...)
			b = jsonw.String(b, id.Hex())
			b = append(b, `,"state":`...)
			b = jsonw.String(b, st.State.String())
			if st.Reason != keypool.ReasonNone {
				b = append(b, `,"reason":`...)
				b = jsonw.String(b, st.Reason.String())
			}
			b = append(b, `,"requests":`...)
			b = jsonw.Int(b, int64(st.Requests))
			b = append(b, `,"failures":`...)
			b = jsonw.Int(b, int64(st.Failures))
			b = append(b, `,"consecutive_failures":`...)
			b = jsonw.Int(b, int64(st.Consecutive))
			b = append(b, `,"latency_ms":`...)
			b = jsonw.Int(b, int64(st.LatencyMs+0.5))
			if st.Until > 0 {
				b = append(b, `,"retry_at":`...)
				b = jsonw.Int(b, st.Until)
			}
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	return append(b, '}')
}

func (p *pluginContext) newHttpContext(contextID uint32) *httpContext {
	return &httpContext{plugin: p, handler: translating{}}
}
