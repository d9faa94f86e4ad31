package keypool

import "time"

// OutcomeKind classifies what one attempt with a key told about the key.
type OutcomeKind uint8

const (
	// Success: Gemini answered 2xx.
	Success OutcomeKind = iota
	// Neutral: Gemini refused the request itself (400, 404, 413...): the
	// key was accepted, so it counts as a request but not as a failure.
	Neutral
	// RateLimited: 429 with a short retry horizon (RetryAfter, if given).
	RateLimited
	// QuotaExhausted: 429 for an exhausted daily or zero quota.
	QuotaExhausted
	// Invalid: Gemini rejected the key (401, 403, API_KEY_INVALID).
	Invalid
	// Failure: 5xx, a timeout, a reset or a connection failure.
	Failure
)

// Outcome is the result of one attempt.
type Outcome struct {
	Kind OutcomeKind
	// Latency to the first byte of the answer; 0 records no sample.
	Latency time.Duration
	// RetryAfter is Gemini's RetryInfo delay for RateLimited (0: default).
	RetryAfter time.Duration
}

// Record stores an attempt's outcome for key id. It reports whether the
// outcome set the key aside (a cool-down or exclusion began).
func (p *Pool) Record(id ID, o Outcome) (excluded bool) {
	p.update(id, func(r *record, now int64) bool {
		excluded = p.apply(r, o, now)
		return true
	})
	return excluded
}

func (p *Pool) apply(r *record, o Outcome, now int64) (excluded bool) {
	r.lastUse = now
	failed := o.Kind != Success && o.Kind != Neutral
	r.count(now, p.bucketMs, failed)
	if !failed {
		// The key works: whatever set it aside is over, and a probe
		// brings it back with a clean slate.
		r.consecutive = 0
		if r.flags&flagNeedsProbe != 0 {
			r.resetWindow()
			r.count(now, p.bucketMs, false)
		}
		r.flags &^= flagNeedsProbe
		r.coolUntil, r.invalidUntil, r.probeUntil = 0, 0, 0
		r.strikes, r.reason = 0, ReasonNone
		if o.Kind == Success && o.Latency > 0 {
			ms := float32(o.Latency.Microseconds()) / 1000
			if r.ewmaMs == 0 {
				r.ewmaMs = ms
			} else {
				r.ewmaMs += ewmaAlpha * (ms - r.ewmaMs)
			}
		}
		return false
	}
	if r.consecutive < ^uint16(0) {
		r.consecutive++
	}
	wasProbe := r.flags&flagNeedsProbe != 0
	switch o.Kind {
	case RateLimited:
		cool := o.RetryAfter
		if cool <= 0 {
			cool = p.cfg.RateLimitCooldown
		}
		p.exclude(r, now, &r.coolUntil, cool, ReasonRateLimited)
	case QuotaExhausted:
		p.exclude(r, now, &r.coolUntil, p.cfg.QuotaCooldown, ReasonQuota)
	case Invalid:
		p.exclude(r, now, &r.invalidUntil, p.cfg.InvalidCooldown, ReasonInvalid)
	default:
		req, fail := r.window(now, p.bucketMs)
		unhealthy := wasProbe ||
			int(r.consecutive) >= p.cfg.MaxConsecutiveFailures ||
			(req >= p.cfg.MinRequests && float64(fail) > p.cfg.MaxFailureRate*float64(req))
		if !unhealthy {
			return false
		}
		// Each exclusion in a row doubles the recovery interval, so a key
		// that keeps failing its probes costs ever fewer requests.
		cool := p.cfg.Recovery << min(r.strikes, 10)
		if cool > p.cfg.MaxRecovery || cool <= 0 {
			cool = p.cfg.MaxRecovery
		}
		p.exclude(r, now, &r.coolUntil, cool, ReasonUnhealthy)
	}
	return true
}

// exclude sets the key aside until now+d (never shortening a longer
// exclusion already in place) and marks it for a probe when that ends.
func (p *Pool) exclude(r *record, now int64, until *int64, d time.Duration, why Reason) {
	*until = max(*until, now+d.Milliseconds())
	r.flags |= flagNeedsProbe
	r.probeUntil = 0
	r.reason = why
	if r.strikes < ^uint8(0) {
		r.strikes++
	}
}

func (k OutcomeKind) String() string {
	switch k {
	case Success:
		return "success"
	case Neutral:
		return "neutral"
	case RateLimited:
		return "rate_limited"
	case QuotaExhausted:
		return "quota_exhausted"
	case Invalid:
		return "invalid_key"
	}
	return "failure"
}
