package filter

import (
	"strconv"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/filter/keypool"
)

// The module's stats, next to Envoy's own. Envoy stores a Wasm metric under
// "wasmcustom.<name>" and has no labels of its own: a label is a segment of
// the name that a stats_tags regex in envoy.yaml (bootstrap
// stats_config.stats_tags) cuts out and turns into a tag, which
// /stats/prometheus prints as a Prometheus label, with "wasmcustom." removed
// from the metric name. So every name here is
//
//	gemini_code_api.<family>[.<label>.<value>]...
//
// with the labels in a fixed order per family, and the regexes in
// envoy.yaml match exactly these shapes (e2e/observability_test.go applies
// them to the names the module defines, as Envoy does).
//
//	family                  labels                                   type
//	requests                protocol, endpoint, status_class, model  counter
//	tokens                  token_type, model                        counter
//	upstream_latency_ms     streamed                                 histogram
//	time_to_first_token_ms  -                                        histogram
//	upstream_attempts       attempt, result                          counter
//	key_cooldowns           reason                                   counter
//	key_probes              -                                        counter
//	keys                    state                                    gauge
//	models_cache            result                                   counter
//	streams                 protocol, outcome                        counter
//
// Every label takes values from a fixed vocabulary except model, which a
// client chooses: modelLabels bounds it. A name is built once, when its
// metric is first needed (fixed-vocabulary families at plugin start, the
// others on first use), and the id is kept, so the request path only looks
// a small map up. Envoy rejects a counter increment of zero or less (add
// guards it); histograms are only recorded.
const metricPrefix = "gemini_code_api."

// Label vocabularies. Their order is the index used in the metric arrays.
var (
	tokenTypes     = [...]string{"input", "output", "thinking", "cached"}
	keyStates      = [...]string{"active", "healthy", "cooling", "invalid", "recovering"}
	streamOutcomes = [...]string{"completed", "upstream_cut", "client_cancelled"}
	attemptResults = [...]string{"success", "failover", "failed", "rejected", "reset", "cancelled"}
	cooldownReason = [...]string{"rate_limited", "quota_exhausted", "invalid", "unhealthy"}
)

const (
	tokInput = iota
	tokOutput
	tokThinking
	tokCached
)

const (
	streamCompleted = iota
	streamUpstreamCut
	streamClientCancelled
)

const (
	attemptSuccess   = iota // 2xx
	attemptFailover         // failed; the router is asked to retry with the next key
	attemptFailed           // failed with no further key (or not worth another key)
	attemptRejected         // the request's own fault (400, 404...): Gemini accepted the key
	attemptReset            // ended without an answer (reset, timeout, no connection)
	attemptCancelled        // the client went away during the attempt
)

// maxAttemptLabel bounds the attempt label: key_pool.max_attempts is at most
// 16, so more than 16 attempts cannot happen; the guard keeps it so.
const maxAttemptLabel = 16

// maxDynamicModels bounds, per VM, the served models the label may name
// beyond the configured ones (see modelLabels).
const maxDynamicModels = 16

// maxModelLabelLen bounds a model label; Gemini's ids are far shorter.
const maxModelLabelLen = 64

type reqKey struct {
	proto protocol
	ep    endpointKind
	class uint8 // status / 100; 0 when no response was sent
	model string
}

type metrics struct {
	requests map[reqKey]counter
	tokens   map[string]*[len(tokenTypes)]counter
	attempts map[uint16]counter // attempt<<8 | result

	latency     [2]histogram // [0] answered whole, [1] streamed
	ttft        histogram
	cooldowns   [len(cooldownReason)]counter
	keyProbes   counter
	keys        [len(keyStates)]gauge
	modelsCache [2]counter // [0] hit, [1] miss
	streams     [protocolCount][len(streamOutcomes)]counter

	models modelLabels
}

// defineMetrics defines the fixed-vocabulary metrics; the families with a
// model or an attempt number are defined on first use.
func defineMetrics(cfg *Config) metrics {
	m := metrics{
		requests: map[reqKey]counter{},
		tokens:   map[string]*[len(tokenTypes)]counter{},
		attempts: map[uint16]counter{},
		models:   newModelLabels(cfg),
	}
	m.latency[0] = defineHistogram(metricPrefix + "upstream_latency_ms.streamed.false")
	m.latency[1] = defineHistogram(metricPrefix + "upstream_latency_ms.streamed.true")
	m.ttft = defineHistogram(metricPrefix + "time_to_first_token_ms")
	for i, r := range cooldownReason {
		m.cooldowns[i] = defineCounter(metricPrefix + "key_cooldowns.reason." + r)
	}
	m.keyProbes = defineCounter(metricPrefix + "key_probes")
	for i, s := range keyStates {
		m.keys[i] = defineGauge(metricPrefix + "keys.state." + s)
	}
	m.modelsCache[0] = defineCounter(metricPrefix + "models_cache.result.hit")
	m.modelsCache[1] = defineCounter(metricPrefix + "models_cache.result.miss")
	for p := protocol(0); p < protocolCount; p++ {
		for i, o := range streamOutcomes {
			m.streams[p][i] = defineCounter(metricPrefix + "streams.protocol." + p.String() + ".outcome." + o)
		}
	}
	return m
}

// request counts one finished request.
func (m *metrics) request(p protocol, ep endpointKind, status int, model string) {
	k := reqKey{proto: p, ep: ep, class: statusClass(status), model: m.models.label(model)}
	c, ok := m.requests[k]
	if !ok {
		c = defineCounter(metricPrefix + "requests.protocol." + p.String() +
			".endpoint." + endpointName(ep) + ".status." + classLabel(k.class) + ".model." + k.model)
		m.requests[k] = c
	}
	c.Increment(1)
}

// tokenCounters returns the token counters of a served model.
func (m *metrics) tokenCounters(model string) *[len(tokenTypes)]counter {
	label := m.models.label(model)
	cs, ok := m.tokens[label]
	if !ok {
		cs = new([len(tokenTypes)]counter)
		for i, t := range tokenTypes {
			cs[i] = defineCounter(metricPrefix + "tokens.type." + t + ".model." + label)
		}
		m.tokens[label] = cs
	}
	return cs
}

// attempt counts one upstream attempt (n from 1) by its result.
func (m *metrics) attempt(n, result int) {
	n = min(max(n, 1), maxAttemptLabel)
	k := uint16(n)<<8 | uint16(result)
	c, ok := m.attempts[k]
	if !ok {
		c = defineCounter(metricPrefix + "upstream_attempts.attempt." + strconv.Itoa(n) + ".result." + attemptResults[result])
		m.attempts[k] = c
	}
	c.Increment(1)
}

// setKeyGauges sets the key gauges to a Summary of the shared key records.
// The SDK can only add to a gauge, so the difference to its current value
// is added; only one VM at a time does this (keyGaugeLease), otherwise two
// workers adding the same difference would both count it.
func (m *metrics) setKeyGauges(s keypool.Summary) {
	for i, v := range [len(keyStates)]int{s.Active, s.Healthy, s.Cooling, s.Invalid, s.Recovering} {
		if d := int64(v) - m.keys[i].Value(); d != 0 {
			m.keys[i].Add(d)
		}
	}
}

// add increments a counter; Envoy rejects increments of zero.
func add(c counter, n int64) {
	if n > 0 {
		c.Increment(uint64(n))
	}
}

func statusClass(status int) uint8 {
	if status < 100 || status > 599 {
		return 0
	}
	return uint8(status / 100)
}

func classLabel(c uint8) string {
	switch c {
	case 1:
		return "1xx"
	case 2:
		return "2xx"
	case 3:
		return "3xx"
	case 4:
		return "4xx"
	case 5:
		return "5xx"
	}
	return "none" // no response was sent: the client went away first
}

// endpointName is the endpoint label; an endpoint added to routes.go
// without a name here is counted as "other".
func endpointName(k endpointKind) string {
	switch k {
	case epHealth:
		return "health"
	case epChatCompletions:
		return "chat_completions"
	case epResponses:
		return "responses"
	case epEmbeddings:
		return "embeddings"
	case epModels:
		return "models"
	case epMessages:
		return "messages"
	case epCountTokens:
		return "count_tokens"
	case epNative:
		return "native"
	case epUnknown:
		return "unknown"
	}
	return "other"
}

// modelLabels bounds the model label. Model names come from clients and
// are unbounded strings; a metric per name would let any client create
// stats (memory in every Envoy worker, series in Prometheus) without
// limit. A served model is named in a label when it is
//
//   - a model the configuration can serve (every target of the model map,
//     the Claude families, the fallback model): bounded by configuration;
//   - or a Gemini name (gemini-, gemma-, text-embedding-, embedding-
//     followed by lowercase letters, digits, '.', '-', '_'; at most 64
//     bytes), the first maxDynamicModels of them seen by this VM: names
//     Gemini may well serve, which a client picks directly;
//
// anything else is "other", and a request with no model (health, model
// lists, errors before the body was read) is "none". The bound is thus
// configured + maxDynamicModels × workers names; the dynamic names a VM
// admits are kept for its life (a VM is replaced on reload). Names must be
// label-safe anyway: the tag regexes cut the model from the end of the stat
// name, and lowercase letters, digits, '.', '-', '_' cannot be mistaken for
// the ".label." separators before it.
type modelLabels struct {
	names   map[string]string // served name -> its label (a copy the VM owns)
	dynamic int
}

func newModelLabels(cfg *Config) modelLabels {
	ml := modelLabels{names: map[string]string{}}
	known := func(name string) {
		if labelSafe(name) {
			ml.names[name] = name
		}
	}
	if cfg != nil && cfg.models != nil {
		for _, target := range cfg.models.Aliases {
			known(target)
		}
		for _, target := range cfg.models.Families {
			known(target)
		}
		known(cfg.models.Fallback)
	}
	return ml
}

// label returns the label of a served model. No allocation once a name is
// known; a name that is not admitted is never stored.
func (ml *modelLabels) label(served string) string {
	if served == "" {
		return "none"
	}
	if l, ok := ml.names[served]; ok {
		return l
	}
	if ml.dynamic >= maxDynamicModels || !geminiName(served) {
		return "other"
	}
	// The served name may point into a request body: keep a copy.
	l := strings.Clone(served)
	ml.names[l] = l
	ml.dynamic++
	return l
}

var geminiPrefixes = [...]string{"gemini-", "gemma-", "text-embedding-", "embedding-"}

func geminiName(s string) bool {
	if !labelSafe(s) {
		return false
	}
	for _, p := range geminiPrefixes {
		if len(s) > len(p) && strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// labelSafe: lowercase letters, digits, '.', '-', '_', starting with a
// letter or digit, at most maxModelLabelLen bytes.
func labelSafe(s string) bool {
	if s == "" || len(s) > maxModelLabelLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
		case (c == '.' || c == '-' || c == '_') && i > 0:
		default:
			return false
		}
	}
	return true
}
