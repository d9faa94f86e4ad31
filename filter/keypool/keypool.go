// Package keypool keeps the health of the Gemini keys clients send and
// chooses, for each request, the order in which its keys are tried.
//
// A client may send several keys; they form its own pool. Every attempt's
// outcome (status, latency to first byte) is recorded per key in a fixed
// number of shared-data slots, so all of Envoy's worker VMs see the same
// health and memory stays bounded whatever the number of keys seen. A
// request's keys are ordered by that health: the primary is chosen by two
// random choices among the healthy keys (the better scored of two is
// strongly preferred, so load spreads over near-equal keys instead of
// herding onto the fastest),
// the others follow by score and serve as failover when an attempt fails.
//
// A key is set aside (excluded) when Gemini rate-limits it (for its
// RetryInfo delay), when its quota is exhausted or Gemini rejects it (for
// long periods), or when it fails too often (5 consecutive failures, or
// more than half of at least 3 requests in the window). When the exclusion
// ends, exactly one request probes the key (half-open): a success brings it
// back, a failure sets it aside again for a doubled recovery interval.
//
// The package has no proxy-wasm dependency: the filter gives it a Store
// over proxy_get/set_shared_data, tests give it a map with the same
// compare-and-swap rules, and a clock and random source are injected.
package keypool

import (
	"encoding/binary"
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/gemini-code-api/gemini-code-api/filter/internal/sha256"
	"github.com/gemini-code-api/gemini-code-api/filter/shareddata"
)

// Store is shared data as proxy-wasm hosts provide it (shareddata.Store).
type Store = shareddata.Store

// probes is how many neighbouring slots a key may occupy (linear probing):
// a few keys whose ids share a slot can still all be tracked.
const probes = 4

// choiceSharpness is the exponent applied to scores when one of two keys
// is picked: with 8, a key scoring 0.5 against one scoring 1 is picked
// about once in 250 draws, one scoring 0.9 about three times in ten.
const choiceSharpness = 8

// latencyFloorMs is added to latencies before they are compared, so that
// differences of a few milliseconds do not decide anything.
const latencyFloorMs = 25

// ewmaAlpha weighs the newest latency sample: about the last ten requests
// shape the average, so a key that slows down is noticed within seconds.
const ewmaAlpha = 0.2

// Config holds the pool's weights and thresholds.
type Config struct {
	LatencyWeight          float64       // weight of the latency score (default 0.6)
	SuccessWeight          float64       // weight of the success rate (default 0.4)
	MinRequests            int           // requests in the window before stats count (default 3)
	Window                 time.Duration // sliding window of counts (default 5 min)
	MaxConsecutiveFailures int           // failures in a row that set a key aside (default 5)
	MaxFailureRate         float64       // failure share above which a key is set aside (default 0.5)
	Recovery               time.Duration // first exclusion of an unhealthy key (default 60 s)
	MaxRecovery            time.Duration // cap of the doubled recovery (default 10 min)
	RateLimitCooldown      time.Duration // 429 without RetryInfo (default 30 s)
	QuotaCooldown          time.Duration // exhausted daily quota (default 10 min)
	InvalidCooldown        time.Duration // rejected key (default 10 min)
	ProbeLease             time.Duration // how long one probe holds a recovering key (default 60 s)
	Slots                  int           // shared-data slots (default 1024)
	MaxAttempts            int           // keys tried per request, failover included (default 5)
}

// DefaultConfig returns the defaults named in Config.
func DefaultConfig() Config {
	return Config{
		LatencyWeight: 0.6, SuccessWeight: 0.4, MinRequests: 3, Window: 5 * time.Minute,
		MaxConsecutiveFailures: 5, MaxFailureRate: 0.5,
		Recovery: time.Minute, MaxRecovery: 10 * time.Minute,
		RateLimitCooldown: 30 * time.Second, QuotaCooldown: 10 * time.Minute, InvalidCooldown: 10 * time.Minute,
		ProbeLease: time.Minute, Slots: 1024, MaxAttempts: 5,
	}
}

// ID identifies a key without being it: the first 8 bytes of its SHA-256.
type ID uint64

// IDOf returns the key's id.
func IDOf(key string) ID {
	sum := sha256.Sum256(key)
	return ID(binary.BigEndian.Uint64(sum[:8]))
}

// Hex is the key's short public fingerprint: 12 hex digits (the first six
// bytes of its SHA-256), the form logs, access logs and /health show.
func (id ID) Hex() string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], uint64(id))
	return hex.EncodeToString(b[:6])
}

// Pool is one VM's view of the shared key health. It is not safe for
// concurrent use (a proxy-wasm VM is single-threaded); several Pools over
// one Store are, which is how worker VMs share it.
type Pool struct {
	cfg      Config
	store    Store
	now      func() int64 // Unix ms
	intn     func(n int) int
	slotKeys []string
	bucketMs int64
	buf      [recordSize]byte
}

// Option changes how a Pool is built (tests inject a clock and randomness).
type Option func(*Pool)

// WithClock makes the pool read time (Unix milliseconds) from now.
func WithClock(now func() int64) Option { return func(p *Pool) { p.now = now } }

// WithRand makes the pool draw random choices from intn (as rand.IntN).
func WithRand(intn func(n int) int) Option { return func(p *Pool) { p.intn = intn } }

// New returns a pool over store whose slots are named prefix+number.
func New(cfg Config, store Store, prefix string, opts ...Option) *Pool {
	p := &Pool{cfg: cfg, store: store, now: func() int64 { return time.Now().UnixMilli() }, intn: rand.IntN}
	for _, o := range opts {
		o(p)
	}
	if p.cfg.Slots < probes {
		p.cfg.Slots = probes
	}
	p.slotKeys = make([]string, p.cfg.Slots)
	for i := range p.slotKeys {
		p.slotKeys[i] = prefix + strconv.Itoa(i)
	}
	p.bucketMs = max(p.cfg.Window.Milliseconds()/windowBuckets, 1)
	return p
}

// Config returns the pool's configuration.
func (p *Pool) Config() Config { return p.cfg }

// slotState says what a probed slot offers to a key.
type slotState uint8

const (
	slotNone   slotState = iota // no room among the key's slots
	slotOwn                     // the key's record
	slotEmpty                   // never written, or holds no valid record
	slotStale                   // another key's record, unused for a window
	slotOldest                  // the least recently used record, evicted
)

// locate finds id's record, or a slot to put it in, with the slot's entry
// as read (for its compare-and-swap).
func (p *Pool) locate(id ID, now int64) (slot int, st slotState, rec record, ent shareddata.Entry) {
	base := int(uint64(id) % uint64(len(p.slotKeys)))
	freeSlot, freeState := -1, slotNone
	var free shareddata.Entry
	oldest, oldestUse := -1, int64(0)
	var oldestEnt shareddata.Entry
	for i := range probes {
		s := (base + i) % len(p.slotKeys)
		e := shareddata.Read(p.store, p.slotKeys[s])
		var r record
		if e.Exists && r.decode(e.Value) {
			if r.id == id {
				return s, slotOwn, r, e
			}
			if freeState == slotNone && p.stale(&r, now) {
				freeSlot, freeState, free = s, slotStale, e
			}
			if r.excludedUntil() < now && r.probeUntil < now && (oldest < 0 || r.lastUse < oldestUse) {
				oldest, oldestUse, oldestEnt = s, r.lastUse, e
			}
			continue
		}
		if freeState != slotEmpty {
			freeSlot, freeState, free = s, slotEmpty, e
		}
	}
	if freeState == slotNone {
		// Every slot is in recent use: the least recently used record
		// that holds no exclusion makes room, so the keys in use now are
		// the ones tracked. When all hold exclusions the key goes
		// untracked (it is then treated as healthy).
		if oldest < 0 {
			return -1, slotNone, record{}, shareddata.Entry{}
		}
		freeSlot, freeState, free = oldest, slotOldest, oldestEnt
	}
	return freeSlot, freeState, record{id: id}, free
}

// stale reports whether a record may be reused for another key: unused for
// a whole window and not holding an exclusion that must still be honoured.
func (p *Pool) stale(r *record, now int64) bool {
	return r.lastUse+p.cfg.Window.Milliseconds() < now && r.excludedUntil() < now && r.probeUntil < now
}

// load returns id's record (zero with the id set when it has none).
func (p *Pool) load(id ID, now int64) record {
	_, st, r, _ := p.locate(id, now)
	if st != slotOwn {
		return record{id: id}
	}
	return r
}

// update applies fn to id's record with compare-and-swap, retrying when
// another VM wrote the slot in between. fn reports whether there is
// anything to write. update reports false when the key could not be
// tracked (no free slot) or contention outlasted shareddata.MaxTries. (Not
// shareddata.Update: the slot is chosen among several read.)
func (p *Pool) update(id ID, fn func(r *record, now int64) bool) bool {
	for range shareddata.MaxTries {
		now := p.now()
		slot, st, r, ent := p.locate(id, now)
		if st == slotNone {
			return false
		}
		if !fn(&r, now) {
			return true
		}
		r.encode(p.buf[:])
		if ent.Write(p.store, p.slotKeys[slot], p.buf[:]) {
			return true
		}
	}
	return false
}
