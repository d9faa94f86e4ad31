package shareddata

import (
	"slices"
	"testing"
)

// Memory keeps proxy-wasm-cpp-host's rules, which Update relies on.
func TestMemoryRules(t *testing.T) {
	s := NewMemory()
	if _, _, ok := s.Get("k"); ok {
		t.Fatal("a key never set has a value")
	}
	// cas is ignored for a new key.
	if !s.Set("k", []byte("a"), 12345) {
		t.Fatal("creating a key with any version was refused")
	}
	v, cas, ok := s.Get("k")
	if !ok || string(v) != "a" || cas == 0 {
		t.Fatalf("Get = %q, %d, %v", v, cas, ok)
	}
	if s.Set("k", []byte("b"), cas+1) {
		t.Fatal("a set with a stale version was taken")
	}
	if !s.Set("k", []byte("b"), cas) {
		t.Fatal("a set with the current version was refused")
	}
	_, cas2, _ := s.Get("k")
	if cas2 == cas {
		t.Fatal("a set kept the version")
	}
	if !s.Set("k", []byte("c"), 0) {
		t.Fatal("a set with version 0 (unconditional) was refused")
	}
	// Values are copied in and out.
	in := []byte("d")
	s.Set("k", in, 0)
	in[0] = 'x'
	out, _, _ := s.Get("k")
	out[0] = 'y'
	if v, _, _ := s.Get("k"); string(v) != "d" {
		t.Fatalf("the stored value changed with the caller's bytes: %q", v)
	}
	if got := s.Sets(); got != 4 {
		t.Fatalf("Sets = %d, want 4", got)
	}
	if n, size := s.Size("k"); n != 1 || size != 2 {
		t.Fatalf("Size = %d entries, %d bytes", n, size)
	}
}

// Versions skip 0, which would mean "unconditional".
func TestMemoryVersionSkipsZero(t *testing.T) {
	s := NewMemory()
	s.next = ^uint32(0)
	s.Set("a", []byte("1"), 0)
	s.Set("b", []byte("1"), 0)
	if _, cas, _ := s.Get("b"); cas == 0 {
		t.Fatal("a value got version 0")
	}
}

// racing is a Store where another VM writes the key before each of the
// first n writes of the caller.
type racing struct {
	*Memory
	key    string
	n      int
	writes int
}

func (r *racing) Set(key string, value []byte, cas uint32) bool {
	if r.n > 0 {
		r.n--
		r.writes++
		cur, _, ok := r.Memory.Get(r.key)
		if !ok {
			cur = []byte{}
		}
		r.Memory.Set(r.key, append(cur, 'o'), 0) // the other VM's update
	}
	return r.Memory.Set(key, value, cas)
}

func appendByte(b byte) func(cur []byte, exists bool) ([]byte, bool) {
	return func(cur []byte, exists bool) ([]byte, bool) {
		return append(slices.Clone(cur), b), true
	}
}

func TestUpdate(t *testing.T) {
	tests := []struct {
		name   string
		races  int    // other VMs' writes before the caller's
		want   string // the value after the update
		ok     bool
		create bool // the key is absent at first
	}{
		{"absent key is created", 0, "m", true, true},
		{"present key is changed", 0, "am", true, false},
		{"a write overtaken is retried on the fresh value", 3, "aooom", true, false},
		{"a creation overtaken keeps the other VM's value", 1, "om", true, true},
		{"contention beyond MaxTries gives up, losing nothing of the others'", MaxTries, "a" + string(slices.Repeat([]byte{'o'}, MaxTries)), false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &racing{Memory: NewMemory(), key: "k", n: tc.races}
			if !tc.create {
				s.Memory.Set("k", []byte("a"), 0)
			}
			if ok := Update(s, "k", appendByte('m')); ok != tc.ok {
				t.Fatalf("Update = %v, want %v", ok, tc.ok)
			}
			if v, _, _ := s.Memory.Get("k"); string(v) != tc.want {
				t.Fatalf("value %q, want %q", v, tc.want)
			}
		})
	}
}

func TestUpdateWithoutWrite(t *testing.T) {
	s := NewMemory()
	s.Set("k", []byte("a"), 0)
	sets := s.Sets()
	ok := Update(s, "k", func(cur []byte, exists bool) ([]byte, bool) {
		if !exists || string(cur) != "a" {
			t.Fatalf("change got %q, %v", cur, exists)
		}
		return nil, false
	})
	if !ok || s.Sets() != sets {
		t.Fatalf("Update = %v with %d sets: a change that writes nothing must write nothing", ok, s.Sets()-sets)
	}
}

// Two VMs that both read a key as absent and both create it: the second
// creation is refused (casCreate), so its update is retried, not lost.
func TestEntryWriteCreationRace(t *testing.T) {
	s := NewMemory()
	a, b := Read(s, "k"), Read(s, "k")
	if a.Exists || b.Exists {
		t.Fatal("an absent key read as present")
	}
	if !a.Write(s, "k", []byte("A")) {
		t.Fatal("the first creation was refused")
	}
	if b.Write(s, "k", []byte("B")) {
		t.Fatal("the second creation overwrote the first")
	}
	e := Read(s, "k")
	if !e.Exists || string(e.Value) != "A" {
		t.Fatalf("value %q", e.Value)
	}
	if !e.Write(s, "k", []byte("AB")) {
		t.Fatal("a write from a fresh read was refused")
	}
}
