package host

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Metrics, following envoy context.cc defineMetric/incrementMetric/
// recordMetric/getMetric and cpp-host wasm.h:
//   - names are prefixed with the custom stat namespace "wasmcustom." in the
//     (process-wide) stats store; Envoy's admin /stats text output prints
//     them WITH that prefix (only the Prometheus output strips it);
//   - ids carry the type in their low 2 bits (counter 0, gauge 1,
//     histogram 2) and advance by 4 per definition. Envoy hands out a NEW id
//     on every define, but defining an existing name binds the new id to the
//     SAME stat (the store dedups by name), so values are shared - also
//     across VMs;
//   - increment: counter offset <= 0 -> BadArgument; gauge adds or
//     subtracts; histogram -> BadArgument; unknown id -> NotFound;
//   - record: counter adds, gauge sets, histogram records a sample;
//   - get: counter/gauge value; histogram -> BadArgument.
type metric struct {
	name    string
	typ     uint32
	value   int64
	samples []uint64
}

type metricStore struct {
	mu sync.Mutex
	m  map[string]*metric // by type+name
}

func newMetricStore() *metricStore { return &metricStore{m: map[string]*metric{}} }

func (st *metricStore) getOrCreate(typ uint32, name string) *metric {
	st.mu.Lock()
	defer st.mu.Unlock()
	k := strconv.Itoa(int(typ)) + "/" + name
	if m, ok := st.m[k]; ok {
		return m
	}
	m := &metric{name: name, typ: typ}
	st.m[k] = m
	return m
}

func (v *vm) defineMetric(typ uint32, name string) (uint32, uint32) {
	if typ > 2 {
		return 0, resBadArgument
	}
	m := v.h.metrics.getOrCreate(typ, "wasmcustom."+name)
	v.nextMetricID[typ] += 4
	id := v.nextMetricID[typ]
	v.metricIDs[id] = m
	return id, resOK
}

func (v *vm) incrementMetric(id uint32, off int64) uint32 {
	st := v.h.metrics
	switch id & 3 {
	case 0, 1:
		m, ok := v.metricIDs[id]
		if !ok {
			return resNotFound
		}
		if m.typ == 0 && off <= 0 {
			return resBadArgument
		}
		st.mu.Lock()
		m.value += off
		st.mu.Unlock()
		return resOK
	}
	return resBadArgument
}

func (v *vm) recordMetric(id uint32, val uint64) uint32 {
	st := v.h.metrics
	m, ok := v.metricIDs[id]
	if !ok || id&3 == 3 {
		return resNotFound
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	switch m.typ {
	case 0:
		m.value += int64(val)
	case 1:
		m.value = int64(val)
	case 2:
		m.samples = append(m.samples, val)
	}
	return resOK
}

func (v *vm) getMetric(id uint32) (uint64, uint32) {
	if id&3 == 2 || id&3 == 3 {
		return 0, resBadArgument
	}
	m, ok := v.metricIDs[id]
	if !ok {
		return 0, resNotFound
	}
	v.h.metrics.mu.Lock()
	defer v.h.metrics.mu.Unlock()
	return uint64(m.value), resOK
}

// text renders the store like Envoy's admin /stats (text format): counters
// and gauges as "name: value" sorted by name, then histograms as
// "name: P0(interval,cumulative) P25(...) ..." (this host has no flush
// intervals, so both numbers are the cumulative quantile) or
// "name: No recorded values".
func (st *metricStore) text() string {
	st.mu.Lock()
	defer st.mu.Unlock()
	var plain, hist []string
	for _, m := range st.m {
		switch m.typ {
		case 0, 1:
			plain = append(plain, fmt.Sprintf("%s: %d", m.name, m.value))
		case 2:
			hist = append(hist, m.name+": "+histText(m.samples))
		}
	}
	sort.Strings(plain)
	sort.Strings(hist)
	out := strings.Join(append(plain, hist...), "\n")
	if out != "" {
		out += "\n"
	}
	return out
}

var quantiles = []float64{0, 25, 50, 75, 90, 95, 99, 99.5, 99.9, 100}

func histText(samples []uint64) string {
	if len(samples) == 0 {
		return "No recorded values"
	}
	s := append([]uint64(nil), samples...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	parts := make([]string, 0, len(quantiles))
	for _, q := range quantiles {
		val := quantile(s, q/100)
		f := strconv.FormatFloat(val, 'g', -1, 64)
		parts = append(parts, fmt.Sprintf("P%s(%s,%s)", strconv.FormatFloat(q, 'g', -1, 64), f, f))
	}
	return strings.Join(parts, " ")
}

func quantile(sorted []uint64, q float64) float64 {
	if len(sorted) == 1 {
		return float64(sorted[0])
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := int(math.Ceil(pos))
	frac := pos - float64(lo)
	return float64(sorted[lo]) + frac*(float64(sorted[hi])-float64(sorted[lo]))
}
