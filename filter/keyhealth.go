package filter

import (
	"strings"
	"time"

	"github.com/gemini-code-api/gemini-code-api/filter/keypool"
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
)

// Filter state that ties a request's attempts together. Envoy gives the
// upstream filter of every attempt the downstream request's filter state,
// so what the downstream instance sets here is what each attempt reads.
//
// propKeys holds the request's keys in failover order, comma-separated.
// It is a secret: no access log format may name it (e2e/envoyconfig checks
// envoy.yaml). Filter state never leaves Envoy, unlike a header: the router
// sends every attempt the same header map, so a header would either reach
// Gemini or, removed by the first attempt, be gone for the second.
const (
	propKeys     = "gca_keys"
	propAttempts = "gca_attempts"
	propKeyHash  = "gca_key_hash"
)

// failoverHeader is the response header the upstream instance adds to an
// attempt whose failure another key may not share (rate limit, rejected
// key, Gemini error). The route's retry policy lists it under
// retriable_headers, so the router retries with the next key; the
// downstream instance removes it from whatever reaches the client.
const failoverHeader = "x-gca-failover"

// outcomeOf classifies an answer of Gemini for the key that got it.
func outcomeOf(status int, e *apierror.Error, latency time.Duration) keypool.Outcome {
	if status >= 200 && status < 300 {
		return keypool.Outcome{Kind: keypool.Success, Latency: latency}
	}
	if e == nil {
		e = apierror.FromGemini(status, nil)
	}
	switch e.Kind {
	case apierror.Authentication, apierror.Permission:
		return keypool.Outcome{Kind: keypool.Invalid}
	case apierror.QuotaExhausted:
		return keypool.Outcome{Kind: keypool.QuotaExhausted}
	case apierror.RateLimited:
		return keypool.Outcome{Kind: keypool.RateLimited, RetryAfter: time.Duration(e.RetryAfterMs) * time.Millisecond}
	case apierror.Server, apierror.BadGateway, apierror.Overloaded, apierror.Timeout:
		return keypool.Outcome{Kind: keypool.Failure}
	}
	// The request's own fault (400, 404, 413...): Gemini accepted the key.
	return keypool.Outcome{Kind: keypool.Neutral}
}

// failoverWorthy says whether another key may succeed where this outcome
// failed: not for the request's own errors, which every key would get.
func failoverWorthy(o keypool.Outcome) bool {
	return o.Kind != keypool.Success && o.Kind != keypool.Neutral
}

// record stores an outcome and counts the start of a cool-down, by the
// outcome that caused it.
func (p *pluginContext) record(key string, o keypool.Outcome) {
	if p.pool.Record(keypool.IDOf(key), o) {
		reason := 3 // unhealthy: too many failures
		switch o.Kind {
		case keypool.RateLimited:
			reason = 0
		case keypool.QuotaExhausted:
			reason = 1
		case keypool.Invalid:
			reason = 2
		}
		p.metrics.cooldowns[reason].Increment(1)
	}
}

// attemptResult is the result label of an attempt with outcome o; last
// says whether no further key could be tried.
func attemptResult(o keypool.Outcome, last bool) int {
	switch {
	case o.Kind == keypool.Success:
		return attemptSuccess
	case o.Kind == keypool.Neutral:
		return attemptRejected
	case !last:
		return attemptFailover
	}
	return attemptFailed
}

// plan orders the request's keys for its attempts.
func (p *pluginContext) plan(keys []string) []string {
	if len(keys) == 1 {
		return keys
	}
	ids := make([]keypool.ID, len(keys))
	for i, k := range keys {
		ids[i] = keypool.IDOf(k)
	}
	plan := p.pool.Order(ids)
	out := make([]string, len(plan.Order))
	for i, j := range plan.Order {
		out[i] = keys[j]
	}
	if plan.Probe {
		p.metrics.keyProbes.Increment(1)
	}
	return out
}

// upstreamRecorded reports whether the upstream instance ran for this
// request (it counts attempts in filter state); if so it has recorded each
// attempt's outcome and the downstream instance must not count it again.
func upstreamRecorded() bool {
	v, ok := getProperty(propAttempts)
	return ok && len(v) > 0
}

// joinKeys is strings.Join without its generality, for the filter state.
func joinKeys(keys []string) string { return strings.Join(keys, ",") }
