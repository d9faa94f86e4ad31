package filter

import "github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"

// metrics are the module's own stats, next to Envoy's. Names carry the
// protocol as a tag-like segment so dashboards can split by client kind.
type metrics struct {
	requests        [protocolCount]proxywasm.MetricCounter
	errors          [protocolCount]proxywasm.MetricCounter
	streams         proxywasm.MetricCounter
	inputTokens     proxywasm.MetricCounter
	outputTokens    proxywasm.MetricCounter
	upstreamErrors  proxywasm.MetricCounter
	modelsCacheHits proxywasm.MetricCounter
	keyCooldowns    proxywasm.MetricCounter
	keyProbes       proxywasm.MetricCounter
	failovers       proxywasm.MetricCounter
}

func defineMetrics() metrics {
	var m metrics
	for p := protocol(0); p < protocolCount; p++ {
		m.requests[p] = proxywasm.DefineCounterMetric("gemini_code_api.requests." + p.String())
		m.errors[p] = proxywasm.DefineCounterMetric("gemini_code_api.errors." + p.String())
	}
	m.streams = proxywasm.DefineCounterMetric("gemini_code_api.streams")
	m.inputTokens = proxywasm.DefineCounterMetric("gemini_code_api.input_tokens")
	m.outputTokens = proxywasm.DefineCounterMetric("gemini_code_api.output_tokens")
	m.upstreamErrors = proxywasm.DefineCounterMetric("gemini_code_api.upstream_errors")
	m.modelsCacheHits = proxywasm.DefineCounterMetric("gemini_code_api.models_cache_hits")
	m.keyCooldowns = proxywasm.DefineCounterMetric("gemini_code_api.key_cooldowns")
	m.keyProbes = proxywasm.DefineCounterMetric("gemini_code_api.key_probes")
	m.failovers = proxywasm.DefineCounterMetric("gemini_code_api.failovers")
	return m
}

// add increments a counter; Envoy rejects increments of zero.
func add(c proxywasm.MetricCounter, n int64) {
	if n > 0 {
		c.Increment(uint64(n))
	}
}
