package host

import (
	"fmt"
	"math"
	"regexp"
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

// Metric types (proxy-wasm MetricType); an id's low 2 bits.
const (
	metricCounter   = 0
	metricGauge     = 1
	metricHistogram = 2
)

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
	if typ > metricHistogram {
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
	case metricCounter, metricGauge:
		m, ok := v.metricIDs[id]
		if !ok {
			return resNotFound
		}
		if m.typ == metricCounter && off <= 0 {
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
	case metricCounter:
		m.value += int64(val)
	case metricGauge:
		m.value = int64(val)
	case metricHistogram:
		m.samples = append(m.samples, val)
	}
	return resOK
}

func (v *vm) getMetric(id uint32) (uint64, uint32) {
	if id&3 == metricHistogram || id&3 == 3 {
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
		case metricCounter, metricGauge:
			plain = append(plain, fmt.Sprintf("%s: %d", m.name, m.value))
		case metricHistogram:
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

// StatsTag is one entry of Envoy's bootstrap stats_config.stats_tags with a
// regex: a tag named Name whose value the regex extracts from stat names.
type StatsTag struct{ Name, Regex string }

// tagExtractor is one of Envoy's tag extractors
// (source/common/stats/tag_extractor_impl.cc):
//   - a regex extractor (TagExtractorStdRegexImpl for stats_tags,
//     TagExtractorRe2Impl for some defaults): the regex is searched in the
//     whole stat name (std::regex_search / RE2::PartialMatch); its first
//     capture group is removed from the name, and the tag's value is the
//     second group if the regex has one, else the first;
//   - a token extractor (TagExtractorTokensImpl), for Envoy's
//     "cluster.$.**" default: the token at '$' is the value and is removed
//     with the dot that follows it.
//
// Go's regexp (RE2 syntax) stands in for std::regex (ECMAScript): the
// regexes of envoy.yaml use the common subset (groups, (?:), lazy
// quantifiers, classes, anchors; no lookaround, no backreference), where
// both pick the same leftmost match.
type tagExtractor struct {
	name   string
	re     *regexp.Regexp
	prefix string // the first token a stat name must have (extractRegexPrefix)
	token  bool   // the "cluster.$.**" token extractor
}

// tagProducer emulates TagProducerImpl (tag_producer_impl.cc): the default
// extractors come first (use_all_default_tags defaults to true), then the
// stats_tags in their order; extractors whose regex starts with
// "^<token>\." only see names whose first token is <token>, and run after
// those without such a prefix (forEachExtractorMatching); when several
// extractors have the same tag name, the first that matches wins. The
// removed ranges of all extractors are cut from the name at once
// (produceTags, StringUtil::removeCharacters), each extractor seeing the
// whole original name.
//
// Of Envoy's defaults (source/common/config/well_known_names.cc) only
// these are emulated: every other default is anchored to a first token of
// Envoy's own stats (http., listener., vhost., mongo., ...) or needs
// "http_local_rate_limit" as the second token, so none can match a Wasm
// stat ("wasmcustom." first) or a cluster stat of this host.
type tagProducer struct {
	noPrefix []*tagExtractor
	byPrefix map[string][]*tagExtractor
}

var defaultTagExtractors = []*tagExtractor{
	{name: "envoy.response_code", re: regexp.MustCompile(`_rq(_(\d{3}))$`)},
	{name: "envoy.response_code_class", re: regexp.MustCompile(`_rq_((\d))xx$`)},
	{name: "envoy.cluster_name", prefix: "cluster", token: true},
}

// prefixRe is extractRegexPrefix: "^" then letters, digits or '_' then "\.".
var prefixRe = regexp.MustCompile(`^\^([A-Za-z0-9_]+)\\\.`)

func newTagProducer(tags []StatsTag) (*tagProducer, error) {
	tp := &tagProducer{byPrefix: map[string][]*tagExtractor{}}
	addOne := func(e *tagExtractor) {
		if e.prefix == "" {
			tp.noPrefix = append(tp.noPrefix, e)
		} else {
			tp.byPrefix[e.prefix] = append(tp.byPrefix[e.prefix], e)
		}
	}
	for _, e := range defaultTagExtractors {
		addOne(e)
	}
	for _, t := range tags {
		if t.Name == "" || t.Regex == "" {
			return nil, fmt.Errorf("stats tag %q: a name and a regex are needed", t.Name)
		}
		re, err := regexp.Compile(t.Regex)
		if err != nil {
			return nil, fmt.Errorf("stats tag %q: %v", t.Name, err)
		}
		e := &tagExtractor{name: t.Name, re: re}
		if m := prefixRe.FindStringSubmatch(t.Regex); m != nil {
			e.prefix = m[1]
		}
		addOne(e)
	}
	return tp, nil
}

type statTag struct{ name, value string }

// produce returns the tag-extracted name of a stat and its tags.
func (tp *tagProducer) produce(name string) (string, []statTag) {
	var tags []statTag
	var cut [][2]int
	matched := map[string]bool{}
	apply := func(e *tagExtractor) {
		if matched[e.name] {
			return // "Skipping duplicate tag"
		}
		var value string
		var from, to int
		if e.token {
			toks := strings.Split(name, ".")
			if len(toks) < 3 || toks[0] != e.prefix {
				return
			}
			value, from = toks[1], len(toks[0])+1
			to = from + len(value) + 1 // the value and the dot after it
		} else {
			m := e.re.FindStringSubmatchIndex(name)
			if len(m) < 4 || m[2] < 0 {
				return
			}
			from, to = m[2], m[3]
			value = name[m[2]:m[3]]
			if len(m) >= 6 {
				value = ""
				if m[4] >= 0 {
					value = name[m[4]:m[5]]
				}
			}
		}
		matched[e.name] = true
		tags = append(tags, statTag{e.name, value})
		cut = append(cut, [2]int{from, to})
	}
	for _, e := range tp.noPrefix {
		apply(e)
	}
	if first, _, ok := strings.Cut(name, "."); ok {
		for _, e := range tp.byPrefix[first] {
			apply(e)
		}
	}
	if len(cut) == 0 {
		return name, tags
	}
	keep := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		removed := false
		for _, c := range cut {
			if i >= c[0] && i < c[1] {
				removed = true
				break
			}
		}
		if !removed {
			keep = append(keep, name[i])
		}
	}
	return string(keep), tags
}

// customNamespace is the Wasm stats namespace Envoy registers
// (source/extensions/common/wasm/stats_handler.h CustomStatNamespace).
const customNamespace = "wasmcustom."

// promName is PrometheusStatsFormatter::metricName
// (source/server/admin/prometheus_stats.cc): a stat of a registered custom
// namespace loses the namespace and keeps its name (no "envoy_"), others
// get "envoy_"; every character outside [a-zA-Z0-9_] becomes '_'. A custom
// name starting with a digit is not exported ("" here).
func promName(extracted string) string {
	if rest, ok := strings.CutPrefix(extracted, customNamespace); ok {
		s := promSanitize(rest)
		if s == "" || s[0] >= '0' && s[0] <= '9' {
			return ""
		}
		return s
	}
	return "envoy_" + promSanitize(extracted)
}

func promSanitize(s string) string {
	b := []byte(s)
	for i, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_') {
			b[i] = '_'
		}
	}
	return string(b)
}

// defaultBuckets are Envoy's default histogram buckets
// (HistogramSettingsImpl::defaultBuckets, source/common/stats/histogram_impl.cc),
// used when stats_config.histogram_bucket_settings names none.
var defaultBuckets = []float64{0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000, 60000, 300000, 600000, 1800000, 3600000}

// prometheus renders the store as Envoy's admin /stats/prometheus
// (prometheus_stats.cc statsAsPrometheus): counters, then gauges, then
// histograms; within each, one group per tag-extracted name in name order,
// "# TYPE <name> <type>" then one line per stat, "name{tags} value", tags
// in extraction order; a histogram as its cumulative buckets
// (_bucket{...,le="..."}, le="+Inf"), _sum and _count. Envoy counts a
// sample into buckets through its approximate histogram (circllhist);
// here the counts are exact (value <= le).
func (st *metricStore) prometheus(tp *tagProducer) string {
	st.mu.Lock()
	defer st.mu.Unlock()
	type line struct {
		full string
		tags []statTag
		m    *metric
	}
	var out strings.Builder
	for _, typ := range []uint32{metricCounter, metricGauge, metricHistogram} {
		groups := map[string][]line{}
		for _, m := range st.m {
			if m.typ != typ {
				continue
			}
			ext, tags := tp.produce(m.name)
			name := promName(ext)
			if name == "" {
				continue
			}
			groups[name] = append(groups[name], line{m.name, tags, m})
		}
		names := make([]string, 0, len(groups))
		for n := range groups {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			ls := groups[n]
			sort.Slice(ls, func(i, j int) bool { return ls[i].full < ls[j].full })
			fmt.Fprintf(&out, "# TYPE %s %s\n", n, [...]string{"counter", "gauge", "histogram"}[typ])
			for _, l := range ls {
				tags := promTags(l.tags)
				if typ != metricHistogram {
					fmt.Fprintf(&out, "%s{%s} %d\n", n, tags, l.m.value)
					continue
				}
				sep := ""
				if tags != "" {
					sep = ","
				}
				var sum float64
				for _, b := range defaultBuckets {
					c := 0
					for _, v := range l.m.samples {
						if float64(v) <= b {
							c++
						}
					}
					fmt.Fprintf(&out, "%s_bucket{%s%sle=\"%s\"} %d\n", n, tags, sep, promFloat(b), c)
				}
				for _, v := range l.m.samples {
					sum += float64(v)
				}
				fmt.Fprintf(&out, "%s_bucket{%s%sle=\"+Inf\"} %d\n", n, tags, sep, len(l.m.samples))
				fmt.Fprintf(&out, "%s_sum{%s} %s\n", n, tags, promFloat(sum))
				fmt.Fprintf(&out, "%s_count{%s} %d\n", n, tags, len(l.m.samples))
			}
			out.WriteString("\n")
		}
	}
	return out.String()
}

// promTags is PrometheusStatsFormatter::formattedTags: name="value" pairs,
// the tag name sanitized, the value as is.
func promTags(tags []statTag) string {
	parts := make([]string, len(tags))
	for i, t := range tags {
		parts[i] = promSanitize(t.name) + `="` + t.value + `"`
	}
	return strings.Join(parts, ",")
}

// promFloat prints like fmt's {:.32g}: integers in full, others shortest.
func promFloat(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e21 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}
