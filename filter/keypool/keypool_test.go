package keypool

import (
	"crypto/sha256"
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gemini-code-api/gemini-code-api/filter/shareddata"
)

type clock struct{ ms int64 }

func (c *clock) now() int64              { return c.ms }
func (c *clock) add(d time.Duration)     { c.ms += d.Milliseconds() }
func newClock() *clock                   { return &clock{ms: 1_800_000_000_000} }
func seeded(seed uint64) func(n int) int { return rand.New(rand.NewPCG(seed, 7)).IntN }

func newPool(t testing.TB, store Store, c *clock, seed uint64) *Pool {
	t.Helper()
	return New(DefaultConfig(), store, "gca.kp.", WithClock(c.now), WithRand(seeded(seed)))
}

func ids(keys ...string) []ID {
	out := make([]ID, len(keys))
	for i, k := range keys {
		out[i] = IDOf(k)
	}
	return out
}

func TestRecordRoundTrip(t *testing.T) {
	r := record{flags: flagNeedsProbe, consecutive: 7, ewmaMs: 123.5, id: 0xdeadbeefcafef00d, lastUse: 1, coolUntil: 2,
		invalidUntil: 3, probeUntil: 4, strikes: 5, reason: ReasonInvalid}
	r.buckets[3] = bucket{n: 99, requests: 10, failures: 4}
	var b [recordSize]byte
	r.encode(b[:])
	var got record
	if !got.decode(b[:]) || got != r {
		t.Fatalf("round trip: %+v != %+v", got, r)
	}
	for _, bad := range [][]byte{nil, {}, b[:10], append([]byte{9}, b[1:]...)} {
		if got.decode(bad) {
			t.Fatalf("decoded %x", bad)
		}
	}
}

func TestWindowSlides(t *testing.T) {
	c := newClock()
	p := newPool(t, shareddata.NewMemory(), c, 1)
	id := IDOf("k")
	for range 4 {
		p.Record(id, Outcome{Kind: Success, Latency: time.Millisecond})
	}
	c.add(2 * time.Minute)
	p.Record(id, Outcome{Kind: Neutral})
	if s := p.Status(id); s.Requests != 5 || s.Failures != 0 {
		t.Fatalf("status %+v", s)
	}
	c.add(4 * time.Minute) // the first four left the 5-minute window
	if s := p.Status(id); s.Requests != 1 {
		t.Fatalf("after the window slid: %+v", s)
	}
	c.add(10 * time.Minute)
	if s := p.Status(id); s.Requests != 0 || s.State != StateHealthy {
		t.Fatalf("after the window passed: %+v", s)
	}
}

// The health state machine, step by step with a fake clock.
func TestStateMachine(t *testing.T) {
	type step struct {
		advance time.Duration
		record  *Outcome
		probe   bool // acquire the probe lease; want reports whether it was won
		want    State
		wantWon bool
	}
	ok := &Outcome{Kind: Success, Latency: 10 * time.Millisecond}
	fail := &Outcome{Kind: Failure}
	tests := map[string][]step{
		"429 cools for RetryInfo, then one probe brings it back": {
			{record: &Outcome{Kind: RateLimited, RetryAfter: 7 * time.Second}, want: StateCooling},
			{advance: 6 * time.Second, want: StateCooling},
			{advance: 2 * time.Second, want: StateRecovering},
			{probe: true, wantWon: true, want: StateRecovering},
			{probe: true, wantWon: false, want: StateRecovering}, // one probe at a time
			{record: ok, want: StateHealthy},
		},
		"429 without RetryInfo cools 30s": {
			{record: &Outcome{Kind: RateLimited}, want: StateCooling},
			{advance: 29 * time.Second, want: StateCooling},
			{advance: 2 * time.Second, want: StateRecovering},
		},
		"invalid key is set aside 10 minutes": {
			{record: &Outcome{Kind: Invalid}, want: StateInvalid},
			{advance: 9 * time.Minute, want: StateInvalid},
			{advance: 2 * time.Minute, want: StateRecovering},
		},
		"quota exhausted cools 10 minutes": {
			{record: &Outcome{Kind: QuotaExhausted}, want: StateCooling},
			{advance: 9 * time.Minute, want: StateCooling},
			{advance: 2 * time.Minute, want: StateRecovering},
		},
		"five consecutive failures exclude for the recovery interval": {
			{record: ok}, {record: ok}, {record: ok}, {record: ok}, {record: ok}, {record: ok},
			{record: fail, want: StateHealthy}, {record: fail, want: StateHealthy}, {record: fail, want: StateHealthy},
			{record: fail, want: StateHealthy}, {record: fail, want: StateCooling},
			{advance: 59 * time.Second, want: StateCooling},
			{advance: 2 * time.Second, want: StateRecovering},
		},
		"more than half failing (3+ requests) excludes": {
			{record: ok, want: StateHealthy}, {record: fail, want: StateHealthy}, {record: fail, want: StateCooling},
		},
		"a 400 caused by the request does not count against the key": {
			{record: &Outcome{Kind: Neutral}}, {record: &Outcome{Kind: Neutral}}, {record: &Outcome{Kind: Neutral}},
			{record: &Outcome{Kind: Neutral}}, {record: &Outcome{Kind: Neutral}}, {record: &Outcome{Kind: Neutral}},
			{record: ok, want: StateHealthy},
		},
		"a failed probe excludes again, for twice as long": {
			{record: ok}, {record: fail}, {record: fail, want: StateCooling},
			{advance: 61 * time.Second, probe: true, wantWon: true, want: StateRecovering},
			{record: fail, want: StateCooling},
			{advance: 119 * time.Second, want: StateCooling},
			{advance: 2 * time.Second, want: StateRecovering},
			{probe: true, wantWon: true, want: StateRecovering},
			{record: ok, want: StateHealthy},
			{record: fail, want: StateHealthy}, // a fresh window after the probe
		},
		"an expired probe lease lets another request probe": {
			{record: &Outcome{Kind: RateLimited, RetryAfter: time.Second}},
			{advance: 2 * time.Second, probe: true, wantWon: true, want: StateRecovering},
			{advance: 30 * time.Second, probe: true, wantWon: false},
			{advance: 31 * time.Second, probe: true, wantWon: true, want: StateRecovering},
		},
	}
	for name, steps := range tests {
		t.Run(name, func(t *testing.T) {
			c := newClock()
			p := newPool(t, shareddata.NewMemory(), c, 1)
			id := IDOf("AIzaTEST")
			for i, s := range steps {
				c.add(s.advance)
				if s.record != nil {
					p.Record(id, *s.record)
				}
				if s.probe {
					if won := p.acquireProbe(id); won != s.wantWon {
						t.Fatalf("step %d: probe won=%v, want %v", i, won, s.wantWon)
					}
				}
				if s.want != StateUnknown {
					if got := p.Status(id).State; got != s.want {
						t.Fatalf("step %d: state %v, want %v (%+v)", i, got, s.want, p.Status(id))
					}
				}
			}
		})
	}
}

func TestScore(t *testing.T) {
	c := newClock()
	p := newPool(t, shareddata.NewMemory(), c, 1)
	fast, slow, flaky, fresh := IDOf("fast"), IDOf("slow"), IDOf("flaky"), IDOf("fresh")
	for range 4 {
		p.Record(fast, Outcome{Kind: Success, Latency: 100 * time.Millisecond})
		p.Record(slow, Outcome{Kind: Success, Latency: 500 * time.Millisecond})
	}
	p.Record(flaky, Outcome{Kind: Success, Latency: 100 * time.Millisecond})
	p.Record(flaky, Outcome{Kind: Success, Latency: 100 * time.Millisecond})
	p.Record(flaky, Outcome{Kind: Success, Latency: 100 * time.Millisecond})
	p.Record(flaky, Outcome{Kind: Failure})
	p.Record(fresh, Outcome{Kind: Success, Latency: 900 * time.Millisecond}) // below MinRequests
	cs := []candidate{{rec: p.load(fast, c.ms)}, {rec: p.load(slow, c.ms)}, {rec: p.load(flaky, c.ms)}, {rec: p.load(fresh, c.ms)}}
	p.score(cs, c.ms)
	want := []float64{
		0.6*1 + 0.4*1,           // fastest, no failure
		0.6*(125.0/525) + 0.4*1, // 5x slower: (fastest+25ms)/(own+25ms)
		0.6*1 + 0.4*0.75,
		1, // no reliable figures yet: scored as the best
	}
	for i, w := range want {
		if d := cs[i].score - w; d > 1e-6 || d < -1e-6 {
			t.Errorf("candidate %d: score %.4f, want %.4f", i, cs[i].score, w)
		}
	}
}

func TestOrder(t *testing.T) {
	t.Run("single key", func(t *testing.T) {
		p := newPool(t, shareddata.NewMemory(), newClock(), 1)
		if plan := p.Order(ids("a")); len(plan.Order) != 1 || plan.Order[0] != 0 {
			t.Fatal(plan)
		}
	})
	// Keys cooling down or invalid are out of rotation: with one key left in,
	// only it is tried; with all out, only the one back first. In both cases
	// that is key b (1), without a probe, request after request (the order
	// is drawn at random, hence the repetition).
	for _, tc := range []struct {
		name    string
		records map[int]Outcome // key index → its last outcome
	}{
		{"excluded keys are not tried while a healthy one remains", map[int]Outcome{
			0: {Kind: RateLimited, RetryAfter: time.Minute},
			2: {Kind: Invalid},
		}},
		{"all excluded: only the one recovering first", map[int]Outcome{
			0: {Kind: RateLimited, RetryAfter: time.Minute},
			1: {Kind: RateLimited, RetryAfter: 10 * time.Second},
			2: {Kind: Invalid},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newPool(t, shareddata.NewMemory(), newClock(), 1)
			keys := ids("a", "b", "c")
			for i, o := range tc.records {
				p.Record(keys[i], o)
			}
			for range 20 {
				if plan := p.Order(keys); len(plan.Order) != 1 || plan.Order[0] != 1 || plan.Probe {
					t.Fatalf("plan %+v", plan)
				}
			}
		})
	}
	t.Run("a recovering key is probed first, healthy ones follow", func(t *testing.T) {
		c := newClock()
		p := newPool(t, shareddata.NewMemory(), c, 1)
		keys := ids("a", "b", "c")
		p.Record(keys[1], Outcome{Kind: RateLimited, RetryAfter: time.Second})
		c.add(2 * time.Second)
		plan := p.Order(keys)
		if !plan.Probe || plan.Order[0] != 1 || len(plan.Order) != 3 {
			t.Fatalf("plan %+v", plan)
		}
		// The lease is taken: the next request does not probe it again.
		if plan := p.Order(keys); plan.Probe || len(plan.Order) != 2 || plan.Order[0] == 1 || plan.Order[1] == 1 {
			t.Fatalf("second plan %+v", plan)
		}
	})
	// After the primary, the failover keys come best scored first; keys
	// of equal score keep the request's order; the plan stops at
	// MaxAttempts (5 of 7 here).
	t.Run("failover keys best first, ties in request order", func(t *testing.T) {
		c := newClock()
		p := newPool(t, shareddata.NewMemory(), c, 1)
		keys := ids("a", "b", "c", "d", "e", "f", "g")
		latency := []time.Duration{400, 100, 0, 250, 0, 100, 900} // 0: no figures yet, scored as the best
		for i, l := range latency {
			for range 4 {
				if l > 0 {
					p.Record(keys[i], Outcome{Kind: Success, Latency: l * time.Millisecond})
				}
			}
		}
		rank := map[int]int{1: 0, 2: 0, 4: 0, 5: 0, 3: 1, 0: 2, 6: 3} // key -> place by score: the fastest and the unmeasured score alike
		for range 30 {
			plan := p.Order(keys)
			if len(plan.Order) != 5 {
				t.Fatalf("plan %+v", plan)
			}
			rest := plan.Order[1:]
			for j := 1; j < len(rest); j++ {
				a, b := rest[j-1], rest[j]
				if rank[a] > rank[b] || rank[a] == rank[b] && a > b {
					t.Fatalf("failover order %v (plan %+v)", rest, plan)
				}
			}
		}
	})
	t.Run("attempts are capped", func(t *testing.T) {
		p := newPool(t, shareddata.NewMemory(), newClock(), 1)
		if plan := p.Order(ids("a", "b", "c", "d", "e", "f", "g")); len(plan.Order) != 5 {
			t.Fatalf("plan %+v", plan)
		}
	})
	t.Run("every key appears once", func(t *testing.T) {
		p := newPool(t, shareddata.NewMemory(), newClock(), 3)
		for range 50 {
			plan := p.Order(ids("a", "b", "c", "d"))
			seen := map[int]bool{}
			for _, i := range plan.Order {
				if seen[i] || i < 0 || i > 3 {
					t.Fatalf("plan %+v", plan)
				}
				seen[i] = true
			}
			if len(seen) != 4 {
				t.Fatalf("plan %+v", plan)
			}
		}
	})
}

// Two random choices spread requests over near-equal keys and keep them
// off a clearly slower one.
func TestSpread(t *testing.T) {
	c := newClock()
	p := newPool(t, shareddata.NewMemory(), c, 42)
	keys := ids("k1", "k2", "k3")
	lat := []time.Duration{100 * time.Millisecond, 105 * time.Millisecond, 500 * time.Millisecond}
	used := make([]int, 3)
	for range 300 {
		i := p.Order(keys).Order[0]
		used[i]++
		p.Record(keys[i], Outcome{Kind: Success, Latency: lat[i]})
		c.add(100 * time.Millisecond)
	}
	t.Logf("split over 300 requests (100ms, 105ms, 500ms keys): %v", used)
	if used[2] > 15 {
		t.Errorf("the 5x slower key got %d of 300 requests", used[2])
	}
	if used[0] < 100 || used[1] < 100 {
		t.Errorf("near-equal keys not shared: %v", used)
	}
}

// A key whose first answers were slow by accident (a long generation, a
// network hiccup) keeps getting some traffic, so its figures recover and it
// soon shares the load again instead of starving for the whole window.
func TestNoStarvation(t *testing.T) {
	c := newClock()
	p := newPool(t, shareddata.NewMemory(), c, 7)
	keys := ids("k1", "k2")
	for range 3 {
		p.Record(keys[1], Outcome{Kind: Success, Latency: 900 * time.Millisecond})
	}
	used := make([]int, 2)
	for range 300 {
		i := p.Order(keys).Order[0]
		used[i]++
		p.Record(keys[i], Outcome{Kind: Success, Latency: 300 * time.Millisecond})
		c.add(50 * time.Millisecond)
	}
	t.Logf("split after k2's three slow answers: %v", used)
	if used[1] < 50 {
		t.Errorf("k2 got %d of 300 requests after three slow answers: starved", used[1])
	}
}

// Disjoint clients never influence each other.
func TestDisjointClients(t *testing.T) {
	c := newClock()
	p := newPool(t, shareddata.NewMemory(), c, 1)
	mine, theirs := ids("m1", "m2"), ids("t1", "t2")
	for range 10 {
		p.Record(theirs[0], Outcome{Kind: Failure})
		p.Record(theirs[1], Outcome{Kind: RateLimited})
	}
	counts := [2]int{}
	for range 200 {
		plan := p.Order(mine)
		if len(plan.Order) != 2 || plan.Probe {
			t.Fatalf("plan %+v", plan)
		}
		counts[plan.Order[0]]++
	}
	if counts[0] < 60 || counts[1] < 60 {
		t.Fatalf("split %v", counts)
	}
}

// Worker VMs race on the same slots: no update is lost.
func TestCASRace(t *testing.T) {
	store := shareddata.NewMemory()
	c := newClock()
	var mu sync.Mutex
	now := func() int64 { mu.Lock(); defer mu.Unlock(); return c.ms }
	const vms, each = 8, 500
	keys := ids("a", "b", "c")
	var wg sync.WaitGroup
	for v := range vms {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p := New(DefaultConfig(), store, "gca.kp.", WithClock(now), WithRand(seeded(uint64(v))))
			for i := range each {
				k := keys[i%len(keys)]
				kind := Neutral
				if i%7 == 0 {
					kind = Success
				}
				if !p.update(k, func(r *record, now int64) bool { p.apply(r, Outcome{Kind: kind}, now); return true }) {
					t.Error("update gave up under contention")
					return
				}
			}
		}()
	}
	wg.Wait()
	p := New(DefaultConfig(), store, "gca.kp.", WithClock(now))
	total := 0
	for _, k := range keys {
		total += p.Status(k).Requests
	}
	if total != vms*each {
		t.Fatalf("%d requests recorded, want %d: updates were lost", total, vms*each)
	}
}

// Creating a slot races too: two VMs recording a new key at once.
func TestCASCreateRace(t *testing.T) {
	for round := range 200 {
		store := shareddata.NewMemory()
		c := newClock()
		id := IDOf("new-" + strconv.Itoa(round))
		var wg sync.WaitGroup
		for v := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				p := New(DefaultConfig(), store, "gca.kp.", WithClock(c.now), WithRand(seeded(uint64(v))))
				p.Record(id, Outcome{Kind: Neutral})
			}()
		}
		wg.Wait()
		if n := newPool(t, store, c, 1).Status(id).Requests; n != 4 {
			t.Fatalf("round %d: %d of 4 requests recorded", round, n)
		}
	}
}

// One probe across VMs: many pools race for a recovering key's lease.
func TestSingleProbeAcrossVMs(t *testing.T) {
	store := shareddata.NewMemory()
	c := newClock()
	id := IDOf("recovering")
	newPool(t, store, c, 1).Record(id, Outcome{Kind: RateLimited, RetryAfter: time.Second})
	c.add(2 * time.Second)
	var won atomic.Int32
	var wg sync.WaitGroup
	for v := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if New(DefaultConfig(), store, "gca.kp.", WithClock(c.now), WithRand(seeded(uint64(v)))).acquireProbe(id) {
				won.Add(1)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d probes granted", won.Load())
	}
}

// 100,000 distinct keys: the store never holds more than the slots.
func TestBoundedSlots(t *testing.T) {
	store := shareddata.NewMemory()
	c := newClock()
	p := newPool(t, store, c, 1)
	for i := range 100_000 {
		p.Record(IDOf("AIza"+strconv.Itoa(i)), Outcome{Kind: Success, Latency: time.Millisecond})
		if i%1000 == 0 {
			c.add(10 * time.Second) // old records go stale and their slots are reused
		}
	}
	slots := DefaultConfig().Slots
	bound := slots * (recordSize + len("gca.kp.") + 4)
	entries, size := store.Size("")
	if entries > slots || size > bound {
		t.Fatalf("%d entries, %d bytes; bound %d entries, %d bytes", entries, size, slots, bound)
	}
	sum := p.Summary()
	t.Logf("after 100k keys: %d entries, %d bytes; summary %+v", entries, size, sum)
	if sum.Tracked != entries || sum.Tracked < slots*9/10 {
		t.Fatalf("summary %+v", sum)
	}
	// A key seen now is still tracked, even with every slot in recent use.
	k := IDOf("late-key")
	p.Record(k, Outcome{Kind: Invalid})
	if p.Status(k).State != StateInvalid {
		t.Fatal("a new key could not be tracked once the slots were full of stale records")
	}
}

func TestSummary(t *testing.T) {
	c := newClock()
	p := newPool(t, shareddata.NewMemory(), c, 1)
	p.Record(IDOf("h1"), Outcome{Kind: Success})
	p.Record(IDOf("h2"), Outcome{Kind: Success})
	p.Record(IDOf("rl"), Outcome{Kind: RateLimited})
	p.Record(IDOf("bad"), Outcome{Kind: Invalid})
	p.Record(IDOf("rec"), Outcome{Kind: RateLimited, RetryAfter: time.Second})
	p.Record(IDOf("old"), Outcome{Kind: Success})
	c.add(2 * time.Second)
	got := p.Summary()
	want := Summary{Active: 6, Healthy: 3, Cooling: 1, Invalid: 1, Recovering: 1, Tracked: 6, Slots: 1024}
	if got != want {
		t.Fatalf("summary %+v, want %+v", got, want)
	}
	c.add(6 * time.Minute)
	if got := p.Summary(); got.Active != 0 || got.Healthy != 0 || got.Invalid != 1 {
		t.Fatalf("after the window: %+v", got)
	}
}

func TestIDHex(t *testing.T) {
	// Access logs and /health show the first six bytes of the key's SHA-256.
	sum := sha256.Sum256([]byte("AIzaKEY"))
	if got, want := IDOf("AIzaKEY").Hex(), hex.EncodeToString(sum[:6]); got != want {
		t.Fatalf("%s, want %s", got, want)
	}
}
