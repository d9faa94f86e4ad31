package keypool

import (
	"encoding/binary"
	"math"
)

// A key's health record is a fixed-size binary value in one shared-data slot.
// Fixed size and no allocation to decode matter: every request reads one
// record per key it carries, in a Wasm VM where garbage is expensive.
//
// Layout (little endian):
//
//	[0]      version (recordVersion)
//	[1]      flags (flagNeedsProbe)
//	[2:4]    consecutive failures
//	[4:8]    EWMA of latency to first byte, float32 milliseconds (0: no sample)
//	[8:16]   key id (the first 8 bytes of the key's SHA-256)
//	[16:24]  last use, Unix ms
//	[24:32]  cooling down until, Unix ms (rate limit, quota, unhealthy)
//	[32:40]  invalid until, Unix ms (Gemini rejected the key)
//	[40:48]  probe lease until, Unix ms (one request tests a recovering key)
//	[48]     strikes: exclusions in a row without a success (backs off recovery)
//	[49]     reason of the last exclusion (Reason)
//	[50:56]  unused
//	[56:136] window: windowBuckets × {bucket number u32, requests u16, failures u16}
const (
	recordVersion = 1
	windowBuckets = 10
	recordSize    = 56 + windowBuckets*8

	flagNeedsProbe = 1 << 0
)

// Reason says why a key was last set aside.
type Reason uint8

const (
	ReasonNone        Reason = iota
	ReasonRateLimited        // 429 with a short retry horizon
	ReasonQuota              // daily or zero quota exhausted
	ReasonInvalid            // Gemini rejected the key (401, 403, API_KEY_INVALID)
	ReasonUnhealthy          // too many failures: 5xx, timeouts, resets
)

func (r Reason) String() string {
	switch r {
	case ReasonRateLimited:
		return "rate_limited"
	case ReasonQuota:
		return "quota_exhausted"
	case ReasonInvalid:
		return "invalid"
	case ReasonUnhealthy:
		return "unhealthy"
	}
	return "none"
}

// record is a decoded health record.
type record struct {
	flags        uint8
	consecutive  uint16
	ewmaMs       float32
	id           ID
	lastUse      int64
	coolUntil    int64
	invalidUntil int64
	probeUntil   int64
	strikes      uint8
	reason       Reason
	buckets      [windowBuckets]bucket
}

type bucket struct {
	n        uint32 // bucket number: Unix ms / bucket length, truncated to 32 bits
	requests uint16
	failures uint16
}

// decode reads b into r; it reports false for anything that is not a
// current-version record (an empty slot, a cleared one, garbage).
func (r *record) decode(b []byte) bool {
	if len(b) != recordSize || b[0] != recordVersion {
		return false
	}
	le := binary.LittleEndian
	r.flags = b[1]
	r.consecutive = le.Uint16(b[2:])
	r.ewmaMs = math.Float32frombits(le.Uint32(b[4:]))
	r.id = ID(le.Uint64(b[8:]))
	r.lastUse = int64(le.Uint64(b[16:]))
	r.coolUntil = int64(le.Uint64(b[24:]))
	r.invalidUntil = int64(le.Uint64(b[32:]))
	r.probeUntil = int64(le.Uint64(b[40:]))
	r.strikes = b[48]
	r.reason = Reason(b[49])
	for i := range r.buckets {
		o := 56 + i*8
		r.buckets[i] = bucket{n: le.Uint32(b[o:]), requests: le.Uint16(b[o+4:]), failures: le.Uint16(b[o+6:])}
	}
	return true
}

// encode writes r into b (len recordSize).
func (r *record) encode(b []byte) {
	le := binary.LittleEndian
	b[0] = recordVersion
	b[1] = r.flags
	le.PutUint16(b[2:], r.consecutive)
	le.PutUint32(b[4:], math.Float32bits(r.ewmaMs))
	le.PutUint64(b[8:], uint64(r.id))
	le.PutUint64(b[16:], uint64(r.lastUse))
	le.PutUint64(b[24:], uint64(r.coolUntil))
	le.PutUint64(b[32:], uint64(r.invalidUntil))
	le.PutUint64(b[40:], uint64(r.probeUntil))
	b[48] = r.strikes
	b[49] = uint8(r.reason)
	clear(b[50:56])
	for i, bk := range r.buckets {
		o := 56 + i*8
		le.PutUint32(b[o:], bk.n)
		le.PutUint16(b[o+4:], bk.requests)
		le.PutUint16(b[o+6:], bk.failures)
	}
}

// count adds one request (and a failure) to the window bucket of now.
func (r *record) count(now, bucketMs int64, failed bool) {
	n := uint32(now / bucketMs)
	b := &r.buckets[n%windowBuckets]
	if b.n != n {
		*b = bucket{n: n}
	}
	if b.requests < math.MaxUint16 {
		b.requests++
		if failed {
			b.failures++
		}
	}
}

// window sums the requests and failures of the buckets still inside the
// sliding window ending at now.
func (r *record) window(now, bucketMs int64) (requests, failures int) {
	cur := uint32(now / bucketMs)
	for _, b := range r.buckets {
		if b.requests > 0 && cur-b.n < windowBuckets {
			requests += int(b.requests)
			failures += int(b.failures)
		}
	}
	return requests, failures
}

// resetWindow forgets the window's counts: a key that came back through a
// successful probe starts afresh instead of being judged again on the
// failures that set it aside.
func (r *record) resetWindow() { r.buckets = [windowBuckets]bucket{} }

// excludedUntil is when the current exclusion ends (0 or past: none).
func (r *record) excludedUntil() int64 { return max(r.coolUntil, r.invalidUntil) }
