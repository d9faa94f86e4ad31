package filter

import (
	"encoding/binary"

	"github.com/gemini-code-api/gemini-code-api/filter/shareddata"
)

// /health reports figures of the whole gateway, not of the worker VM that
// happens to answer it: every VM adds its requests to one shared-data entry
// (statsKey), which all of them read. To keep shared data off the request
// path, a VM sums its requests in memory (statsDelta) and adds them to the
// entry in one compare-and-swap write every statsFlushEvery requests, on
// its 1 s tick, and before it answers /health. /health therefore shows the
// other VMs' requests up to about a second late, its own at once.
//
// The entry holds totals since the gateway started (the first VM's start;
// shared data lives as long as the Envoy process, across VM reloads) and a
// sliding window of statsBuckets buckets of statsBucketMs (5 minutes),
// from which the rates are computed.
//
// Layout (little endian, statsRecordSize bytes):
//
//	[0]      version (statsVersion)
//	[1:8]    unused
//	[8:16]   start, Unix ms
//	[16:64]  totals: requests, errors, server errors, duration ms, cache hits, cache misses (u64 each)
//	[64:304] window: statsBuckets × {bucket number u32, requests u32, errors u32, server errors u32, duration ms u64}
const (
	statsVersion    = 1
	statsBuckets    = 10
	statsBucketMs   = 30_000
	statsWindowMs   = statsBuckets * statsBucketMs
	statsFlushEvery = 32
	statsRecordSize = 64 + statsBuckets*24
)

// statsDelta is what one VM adds to the shared figures.
type statsDelta struct {
	requests, errors, serverErrors, durationMs, cacheHits, cacheMisses uint64
}

func (d *statsDelta) empty() bool { return *d == statsDelta{} }

type statsBucket struct {
	n                              uint32
	requests, errors, serverErrors uint32
	durationMs                     uint64
}

type statsRecord struct {
	start   int64
	total   statsDelta
	buckets [statsBuckets]statsBucket
}

func (r *statsRecord) encode(b []byte) {
	clear(b[:statsRecordSize])
	b[0] = statsVersion
	le := binary.LittleEndian
	le.PutUint64(b[8:], uint64(r.start))
	for i, v := range [...]uint64{r.total.requests, r.total.errors, r.total.serverErrors, r.total.durationMs, r.total.cacheHits, r.total.cacheMisses} {
		le.PutUint64(b[16+8*i:], v)
	}
	for i := range r.buckets {
		o := 64 + 24*i
		bk := &r.buckets[i]
		le.PutUint32(b[o:], bk.n)
		le.PutUint32(b[o+4:], bk.requests)
		le.PutUint32(b[o+8:], bk.errors)
		le.PutUint32(b[o+12:], bk.serverErrors)
		le.PutUint64(b[o+16:], bk.durationMs)
	}
}

func (r *statsRecord) decode(b []byte) bool {
	if len(b) != statsRecordSize || b[0] != statsVersion {
		return false
	}
	le := binary.LittleEndian
	r.start = int64(le.Uint64(b[8:]))
	t := [6]uint64{}
	for i := range t {
		t[i] = le.Uint64(b[16+8*i:])
	}
	r.total = statsDelta{t[0], t[1], t[2], t[3], t[4], t[5]}
	for i := range r.buckets {
		o := 64 + 24*i
		r.buckets[i] = statsBucket{le.Uint32(b[o:]), le.Uint32(b[o+4:]), le.Uint32(b[o+8:]), le.Uint32(b[o+12:]), le.Uint64(b[o+16:])}
	}
	return true
}

// add adds d to the totals and to the bucket of now (a bucket left from an
// older window is reset first).
func (r *statsRecord) add(d statsDelta, now int64) {
	r.total.requests += d.requests
	r.total.errors += d.errors
	r.total.serverErrors += d.serverErrors
	r.total.durationMs += d.durationMs
	r.total.cacheHits += d.cacheHits
	r.total.cacheMisses += d.cacheMisses
	n := uint32(now / statsBucketMs)
	bk := &r.buckets[n%statsBuckets]
	if bk.n != n {
		*bk = statsBucket{n: n}
	}
	bk.requests += uint32(d.requests)
	bk.errors += uint32(d.errors)
	bk.serverErrors += uint32(d.serverErrors)
	bk.durationMs += d.durationMs
}

// window sums the buckets of the last statsWindowMs and says how long a
// span they cover (shorter while the gateway is younger than the window).
func (r *statsRecord) window(now int64) (w statsBucket, spanMs int64) {
	cur := uint32(now / statsBucketMs)
	for _, bk := range r.buckets {
		if bk.n+statsBuckets > cur && bk.n <= cur {
			w.requests += bk.requests
			w.errors += bk.errors
			w.serverErrors += bk.serverErrors
			w.durationMs += bk.durationMs
		}
	}
	from := (int64(cur) - statsBuckets + 1) * statsBucketMs
	if r.start > from {
		from = r.start
	}
	return w, max(now-from, 1000)
}

// sharedStats is one VM's side of the shared figures.
type sharedStats struct {
	store   shareddata.Store
	pending statsDelta
	buf     [statsRecordSize]byte
}

// flush adds the pending figures to the shared entry; they stay pending
// (to be added by a later flush) if contention outlasts the retries.
func (s *sharedStats) flush(now int64) {
	if s.pending.empty() {
		return
	}
	if _, ok := s.update(now, s.pending); ok {
		s.pending = statsDelta{}
	}
}

// read returns the shared figures, creating the entry (with its start
// time) when no VM has written it yet.
func (s *sharedStats) read(now int64) statsRecord {
	r, _ := s.update(now, statsDelta{})
	return r
}

// update applies d to the shared entry (shareddata.Update).
func (s *sharedStats) update(now int64, d statsDelta) (r statsRecord, ok bool) {
	ok = shareddata.Update(s.store, statsKey, func(cur []byte, exists bool) ([]byte, bool) {
		r = statsRecord{}
		if !exists || !r.decode(cur) {
			r = statsRecord{start: now}
		} else if d.empty() {
			return nil, false
		}
		r.add(d, now)
		r.encode(s.buf[:])
		return s.buf[:], true
	})
	return r, ok
}
