package filter

// The module's stats go through these few functions rather than the SDK's
// DefineCounterMetric and Metric* methods: those format their failures
// with fmt.Sprintf, which linked fmt and reflect into the compiled module
// (about 0.3 MB of it, issue #13). The host calls are the same: in the
// module they are made directly (metricabi_wasm.go), elsewhere through the
// SDK (metricabi_native.go, so that proxytest sees them). A failed call
// panics, as the SDK's do; the guard turns that into the request's error.

type (
	counter   uint32
	gauge     uint32
	histogram uint32
)

const (
	metricCounter   = 0 // proxy-wasm MetricType
	metricGauge     = 1
	metricHistogram = 2
)

func defineCounter(name string) counter     { return counter(defineMetric(metricCounter, name)) }
func defineGauge(name string) gauge         { return gauge(defineMetric(metricGauge, name)) }
func defineHistogram(name string) histogram { return histogram(defineMetric(metricHistogram, name)) }
func (c counter) Increment(offset uint64)   { incrementMetric(uint32(c), int64(offset)) }
func (g gauge) Add(offset int64)            { incrementMetric(uint32(g), offset) }
func (g gauge) Value() int64                { return int64(metricValue(uint32(g))) }
func (h histogram) Record(value uint64)     { recordMetric(uint32(h), value) }
