package keypool

import (
	"cmp"
	"math"
)

// Plan is the order in which one request tries its keys.
type Plan struct {
	// Order holds indexes into the request's keys: Order[0] is tried
	// first, the rest serve as failover, best first. Never empty for a
	// request with keys.
	Order []int
	// Probe is true when Order[0] is a recovering key this request was
	// chosen to test (it holds the probe lease until its outcome is
	// recorded).
	Probe bool
}

type candidate struct {
	idx   int
	rec   record
	score float64
}

// Order plans the attempts of a request carrying the keys ids (distinct).
//
//   - A recovering key whose exclusion has ended is probed by exactly one
//     request: the one that wins its probe lease puts it first; healthy
//     keys follow as failover, so the client does not notice a failed probe.
//   - Otherwise the primary is the better scored of two healthy keys drawn
//     at random (either one when their scores are within 10%), and the
//     other healthy keys follow, best first.
//   - Keys still excluded are not tried while a healthy key remains; when
//     all are excluded, only the one whose exclusion ends first is tried, so
//     the client gets that key's own answer (for a 429, with its retry delay).
//
// The order is cut at MaxAttempts keys.
func (p *Pool) Order(ids []ID) Plan {
	if len(ids) == 1 {
		return Plan{Order: []int{0}}
	}
	now := p.now()
	healthy := make([]candidate, 0, len(ids))
	var recovering []int
	soonest, soonestUntil := -1, int64(0)
	for i, id := range ids {
		r := p.load(id, now)
		switch until := r.excludedUntil(); {
		case until > now:
			if soonest < 0 || until < soonestUntil {
				soonest, soonestUntil = i, until
			}
		case r.flags&flagNeedsProbe != 0:
			if r.probeUntil <= now {
				recovering = append(recovering, i)
			} else if soonest < 0 || r.probeUntil < soonestUntil {
				// Another request is probing it right now.
				soonest, soonestUntil = i, r.probeUntil
			}
		default:
			healthy = append(healthy, candidate{idx: i, rec: r})
		}
	}

	plan := Plan{Order: make([]int, 0, len(ids))}
	// A recovering key is probed before anything else: the sooner the
	// probe, the sooner a good key is back.
	for len(recovering) > 0 {
		j := p.intn(len(recovering))
		i := recovering[j]
		if p.acquireProbe(ids[i]) {
			plan.Order = append(plan.Order, i)
			plan.Probe = true
			break
		}
		recovering = append(recovering[:j], recovering[j+1:]...)
	}

	p.score(healthy, now)
	if !plan.Probe && len(healthy) > 0 {
		first := p.twoChoices(healthy)
		plan.Order = append(plan.Order, healthy[first].idx)
		healthy = append(healthy[:first], healthy[first+1:]...)
	}
	// The rest follow best first, ties in their order, as many as a
	// request may try: picked one at a time (at most MaxAttempts, 16),
	// which costs less module than a sort's code.
	for len(healthy) > 0 && (p.cfg.MaxAttempts <= 0 || len(plan.Order) < p.cfg.MaxAttempts) {
		best := 0
		for j := 1; j < len(healthy); j++ {
			if cmp.Compare(healthy[j].score, healthy[best].score) > 0 {
				best = j
			}
		}
		plan.Order = append(plan.Order, healthy[best].idx)
		healthy = append(healthy[:best], healthy[best+1:]...)
	}
	if len(plan.Order) == 0 {
		if soonest < 0 { // every recovering key's probe lease was taken meanwhile
			soonest = 0
		}
		plan.Order = append(plan.Order, soonest)
	}
	return plan
}

// score sets each healthy candidate's score: LatencyWeight × latency score
// + SuccessWeight × success rate, where the latency score is (fastest +
// 25 ms) / (own + 25 ms): 1 for the fastest key, 0.2 for one five times
// slower at Gemini's usual latencies, and differences of a few milliseconds
// (noise) count for nothing.
//
// A key with fewer than MinRequests requests in the window has no reliable
// figures yet, and one unused for a tenth of the window has only old ones:
// both score as well as the best, so new keys get tried and a key that lost
// out on a few slow answers (a long generation, a network hiccup) is
// measured again instead of being starved for the whole window.
func (p *Pool) score(cs []candidate, now int64) {
	fresh := func(r *record) (req, fail int, ok bool) {
		req, fail = r.window(now, p.bucketMs)
		return req, fail, req >= p.cfg.MinRequests && now-r.lastUse < p.bucketMs
	}
	fastest := float32(0)
	for i := range cs {
		if _, _, ok := fresh(&cs[i].rec); ok && cs[i].rec.ewmaMs > 0 {
			if fastest == 0 || cs[i].rec.ewmaMs < fastest {
				fastest = cs[i].rec.ewmaMs
			}
		}
	}
	for i := range cs {
		lat, ok := 1.0, 1.0
		if req, fail, fresh := fresh(&cs[i].rec); fresh {
			ok = 1 - float64(fail)/float64(req)
			if r := cs[i].rec.ewmaMs; r > 0 && fastest > 0 {
				lat = float64((fastest + latencyFloorMs) / (r + latencyFloorMs))
			}
		}
		cs[i].score = p.cfg.LatencyWeight*lat + p.cfg.SuccessWeight*ok
	}
}

// twoChoices draws two distinct candidates and picks one of them at random,
// weighted by score^choiceSharpness: near-equal keys share the load about
// evenly, a clearly worse key is picked rarely but not never, so its
// figures keep being refreshed (a key that got one slow answer is not
// starved on that account).
func (p *Pool) twoChoices(cs []candidate) int {
	if len(cs) == 1 {
		return 0
	}
	a := p.intn(len(cs))
	b := p.intn(len(cs) - 1)
	if b >= a {
		b++
	}
	wa, wb := math.Pow(cs[a].score, choiceSharpness), math.Pow(cs[b].score, choiceSharpness)
	if wa+wb <= 0 {
		return a
	}
	const steps = 1 << 20
	if float64(p.intn(steps))/steps*(wa+wb) < wa {
		return a
	}
	return b
}

// acquireProbe takes the probe lease of a recovering key; false when
// another request (on any VM) took it first or the key recovered already.
func (p *Pool) acquireProbe(id ID) bool {
	won := false
	stored := p.update(id, func(r *record, now int64) bool {
		won = false
		if r.flags&flagNeedsProbe == 0 || r.excludedUntil() > now || r.probeUntil > now {
			return false
		}
		r.probeUntil = now + p.cfg.ProbeLease.Milliseconds()
		won = true
		return true
	})
	return stored && won
}
