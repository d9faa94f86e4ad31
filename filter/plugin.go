// Package filter is the proxy-wasm glue of gemini-code-api: contexts, plugin
// configuration, routing by path, key handling, local replies and the
// properties Envoy's access log reads. All protocol work lives in
// translators/.
package filter

import (
	"time"

	"github.com/gemini-code-api/gemini-code-api/filter/keypool"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
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
	started time.Time
	pool    *keypool.Pool
	metrics metrics
}

func (p *pluginContext) OnPluginStart(size int) types.OnPluginStartStatus {
	var data []byte
	if size > 0 {
		var err error
		data, err = proxywasm.GetPluginConfiguration()
		if err != nil {
			proxywasm.LogCriticalf("gemini-code-api: cannot read the plugin configuration: %v", err)
			return types.OnPluginStartStatusFailed
		}
	}
	cfg, err := ParseConfig(data)
	if err != nil {
		// Failing here makes Envoy reject the configuration: better than
		// serving with settings the operator did not ask for.
		proxywasm.LogCriticalf("gemini-code-api: invalid plugin configuration: %v", err)
		return types.OnPluginStartStatusFailed
	}
	p.cfg = cfg
	p.started = time.Now()
	p.pool = keypool.New(cfg.pool, sharedStore{}, keyPoolPrefix)
	p.metrics = defineMetrics()
	return types.OnPluginStartStatusOK
}

// healthBody is the /health answer. Key counts cover every key the
// gateway tracks, across all worker VMs (they share the records); a key's
// own figures are shown only to a request that carries that key, and only
// under its short hash.
func (p *pluginContext) healthBody(keys []string) []byte {
	sum := p.pool.Summary()
	status := "ok"
	if sum.Active > 0 && sum.Healthy == 0 {
		status = "degraded" // keys are in use and none of them is healthy
	}
	b := make([]byte, 0, 512)
	b = append(b, `{"status":`...)
	b = jsonw.String(b, status)
	b = append(b, `,"service":"gemini-code-api","version":`...)
	b = jsonw.String(b, Version)
	b = append(b, `,"uptime_seconds":`...)
	b = jsonw.Int(b, int64(time.Since(p.started).Seconds()))
	b = append(b, `,"timestamp":`...)
	b = jsonw.Int(b, time.Now().UnixMilli())
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
	return &httpContext{plugin: p}
}
