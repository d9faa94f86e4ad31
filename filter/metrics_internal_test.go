package filter

import (
	"strconv"
	"testing"
)

// The model label names configured models and at most maxDynamicModels
// Gemini names per VM; everything else is "other" and is not remembered.
func TestModelLabelsBounded(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"models":{"my-alias":"gemini-2.5-flash-lite"},"fallback_model":"gemini-2.0-flash"}`))
	if err != nil {
		t.Fatal(err)
	}
	ml := newModelLabels(cfg)
	for _, known := range []string{"gemini-4-argon", "gemini-3.8-flash", "gemini-embedding-001", "gemini-2.5-flash-lite", "gemini-2.0-flash"} {
		if got := ml.label(known); got != known {
			t.Errorf("configured model %q labelled %q", known, got)
		}
	}
	for in, want := range map[string]string{
		"":                                   "none",
		"my-custom-model":                    "other", // not a Gemini name
		"GEMINI-2.5-PRO":                     "other", // not label-safe
		"gemini-":                            "other",
		"gemini-x.model.y":                   "gemini-x.model.y", // safe: the model is the name's last label
		"gemini-2.5-pro\nforged":             "other",
		"gemini-" + string(make([]byte, 70)): "other",
	} {
		if got := ml.label(in); got != want {
			t.Errorf("label(%q) = %q, want %q", in, got, want)
		}
	}
	admitted := 1 // gemini-x.model.y
	for i := range 3 * maxDynamicModels {
		name := "gemini-test-" + strconv.Itoa(i)
		got := ml.label(name)
		if admitted < maxDynamicModels {
			if got != name {
				t.Fatalf("dynamic model %d labelled %q", i, got)
			}
			admitted++
			continue
		}
		if got != "other" {
			t.Fatalf("model %q labelled %q beyond the bound of %d", name, got, maxDynamicModels)
		}
	}
	if n := len(ml.names); n != 5+maxDynamicModels {
		t.Fatalf("%d names remembered, want %d", n, 5+maxDynamicModels)
	}
	// A known name costs no allocation (it is on every request's path).
	if a := testing.AllocsPerRun(100, func() { ml.label("gemini-4-argon") }); a != 0 {
		t.Errorf("label allocates %v times", a)
	}
}

// mapStore is shared data with the host's compare-and-swap rules: every
// write bumps the version; a write with a stale version fails.
type mapStore struct {
	v   map[string][]byte
	cas map[string]uint32
}

func newMapStore() *mapStore { return &mapStore{v: map[string][]byte{}, cas: map[string]uint32{}} }

func (s *mapStore) Get(k string) ([]byte, uint32, bool) {
	v, ok := s.v[k]
	return append([]byte(nil), v...), s.cas[k], ok
}

func (s *mapStore) Set(k string, v []byte, cas uint32) bool {
	if _, ok := s.v[k]; ok && cas != 0 && cas != s.cas[k] {
		return false
	}
	s.v[k] = append([]byte(nil), v...)
	s.cas[k]++
	return true
}

// Two VMs batch their requests and add them to one shared record; the
// window keeps the last five minutes, the totals everything.
func TestSharedStats(t *testing.T) {
	store := newMapStore()
	a, b := &sharedStats{store: store}, &sharedStats{store: store}
	const t0 = int64(1_700_000_000_000)
	a.pending = statsDelta{requests: 3, errors: 1, serverErrors: 1, durationMs: 300, cacheHits: 1}
	b.pending = statsDelta{requests: 2, durationMs: 100, cacheMisses: 1}
	a.flush(t0)
	if r := b.read(t0); r.total.requests != 3 {
		t.Fatalf("b sees %d requests before its own flush, want a's 3", r.total.requests)
	}
	b.flush(t0 + 1000)
	if !a.pending.empty() || !b.pending.empty() {
		t.Fatal("flushed figures still pending")
	}
	r := a.read(t0 + 2000)
	if r.start != t0 || r.total != (statsDelta{5, 1, 1, 400, 1, 1}) {
		t.Fatalf("shared record %+v", r)
	}
	w, span := r.window(t0 + 2000)
	if w.requests != 5 || w.errors != 1 || w.durationMs != 400 || span != 2000 {
		t.Fatalf("window %+v over %d ms", w, span)
	}
	// A stale write (another VM wrote in between) is retried, not lost.
	v, cas, _ := store.Get(statsKey)
	store.Set(statsKey, v, cas) // bumps the version
	a.pending = statsDelta{requests: 1}
	a.flush(t0 + 3000)
	if r := a.read(t0 + 3000); r.total.requests != 6 {
		t.Fatalf("%d requests after a contended flush", r.total.requests)
	}
	// Six minutes later the window is empty, the totals remain.
	later := t0 + 6*60*1000
	b.pending = statsDelta{requests: 4, errors: 2}
	b.flush(later)
	r = b.read(later)
	w, span = r.window(later)
	if r.total.requests != 10 || w.requests != 4 || w.errors != 2 || span < statsWindowMs-statsBucketMs || span > statsWindowMs {
		t.Fatalf("after 6 minutes: totals %+v, window %+v over %d ms", r.total, w, span)
	}
	// A record of another layout is replaced, not misread.
	store.v[statsKey] = []byte("garbage")
	if r := a.read(later); r.total.requests != 0 || r.start != later {
		t.Fatalf("garbage read as %+v", r)
	}
}
