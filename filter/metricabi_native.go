//go:build !wasip1

package filter

import "github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"

// Outside the module (tests on proxytest) the metric calls go through the
// SDK, which proxytest emulates.

func defineMetric(typ uint32, name string) uint32 {
	switch typ {
	case metricGauge:
		return uint32(proxywasm.DefineGaugeMetric(name))
	case metricHistogram:
		return uint32(proxywasm.DefineHistogramMetric(name))
	}
	return uint32(proxywasm.DefineCounterMetric(name))
}

func incrementMetric(id uint32, offset int64) {
	if offset < 0 {
		proxywasm.MetricGauge(id).Add(offset)
		return
	}
	proxywasm.MetricCounter(id).Increment(uint64(offset))
}

func recordMetric(id uint32, value uint64) { proxywasm.MetricHistogram(id).Record(value) }

func metricValue(id uint32) uint64 { return uint64(proxywasm.MetricGauge(id).Value()) }
