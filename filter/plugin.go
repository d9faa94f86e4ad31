// Package filter is the proxy-wasm glue of gemini-code-api: contexts, plugin
// configuration, routing by path, key handling, local replies and the
// properties Envoy's access log reads. All protocol work lives in
// translators/.
package filter

import (
	"strconv"
	"time"

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
	rr      uint32 // round-robin position for key choice
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
	p.metrics = defineMetrics()
	return types.OnPluginStartStatusOK
}

// healthBody is the /health answer.
func (p *pluginContext) healthBody() []byte {
	return []byte(`{"status":"ok","service":"gemini-code-api","version":"` + Version +
		`","uptime_seconds":` + strconv.FormatInt(int64(time.Since(p.started).Seconds()), 10) +
		`,"timestamp":` + strconv.FormatInt(time.Now().UnixMilli(), 10) + `}`)
}

func (p *pluginContext) newHttpContext(contextID uint32) *httpContext {
	return &httpContext{plugin: p}
}
