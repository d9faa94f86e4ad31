// Package shareddata is proxy-wasm shared data as the module uses it: the
// entries every worker VM of a vm_id reads and writes (key health, the
// model-list cache, /health's figures, the key-gauge lease), each changed by
// one read-modify-write with compare-and-swap (Update). The package has no
// proxy-wasm dependency: the filter gives it a Store over
// proxy_get/set_shared_data; Memory is a Store with the hosts' rules, for
// tests and the e2e host.
package shareddata

import (
	"strings"
	"sync"
)

// Store is shared data as proxy-wasm hosts provide it: every value has a
// version (cas) that changes with each write.
type Store interface {
	// Get returns the value under key and its version; ok is false when
	// the key was never set.
	Get(key string) (value []byte, cas uint32, ok bool)
	// Set writes value if key's current version is cas, or if key does not
	// exist yet (hosts ignore cas for a new key). It reports false on a
	// version mismatch: someone else wrote first.
	Set(key string, value []byte, cas uint32) bool
}

// casCreate is the version passed when creating an entry that was absent.
// Hosts ignore the version of an absent key, so the value is created; if
// another VM created the entry in the meantime its version is (all but
// certainly) not this one, the write is refused and the update retried on
// the fresh value. A version of 0 would instead overwrite unconditionally
// and could lose the other VM's update.
const casCreate = ^uint32(0)

// MaxTries bounds the tries of one update under contention; each failed
// try means another VM wrote the entry, so progress is being made.
const MaxTries = 16

// Entry is a shared-data value as it was read.
type Entry struct {
	Value  []byte
	Exists bool // the key was set
	cas    uint32
}

// Read returns the entry under key.
func Read(s Store, key string) Entry {
	v, cas, ok := s.Get(key)
	return Entry{Value: v, Exists: ok, cas: cas}
}

// Write stores value under key, read as e, if nobody wrote it since (or
// creates it if it was absent); false when another VM wrote first.
func (e Entry) Write(s Store, key string, value []byte) bool {
	cas := e.cas
	if !e.Exists {
		cas = casCreate
	}
	return s.Set(key, value, cas)
}

// Update changes the entry under key: change gets its value (exists is
// false for an absent key) and returns the new one, or write false to leave
// it. A write that another VM's overtook is retried on the fresh value, up
// to MaxTries. Update reports whether the entry is as change last left it:
// false when contention outlasted the tries.
func Update(s Store, key string, change func(cur []byte, exists bool) (next []byte, write bool)) bool {
	for range MaxTries {
		e := Read(s, key)
		next, write := change(e.Value, e.Exists)
		if !write || e.Write(s, key, next) {
			return true
		}
	}
	return false
}

// Memory is shared data with proxy-wasm-cpp-host's rules
// (src/shared_data.cc), safe for concurrent use: a missing key has no
// value; a set on an existing key is refused when cas is not 0 and differs
// from its version (cas is ignored for a new key); every successful set
// takes a fresh version from one counter that starts at 1 and skips 0.
// Values are copied in and out.
type Memory struct {
	mu   sync.Mutex
	m    map[string]memoryEntry
	next uint32
	sets int64
}

type memoryEntry struct {
	v   []byte
	cas uint32
}

// NewMemory returns an empty store.
func NewMemory() *Memory { return &Memory{m: map[string]memoryEntry{}, next: 1} }

// Get returns the value under key and its version.
func (s *Memory) Get(key string) ([]byte, uint32, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[key]
	if !ok {
		return nil, 0, false
	}
	return append([]byte(nil), e.v...), e.cas, true
}

// Set writes value under key unless its version differs from cas.
func (s *Memory) Set(key string, value []byte, cas uint32) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[key]; ok && cas != 0 && cas != e.cas {
		return false
	}
	s.m[key] = memoryEntry{v: append([]byte(nil), value...), cas: s.next}
	s.next++
	if s.next == 0 {
		s.next = 1
	}
	s.sets++
	return true
}

// Sets is the number of successful sets.
func (s *Memory) Sets() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sets
}

// Size reports how many entries have names starting with prefix, and their
// size (names plus values).
func (s *Memory) Size(prefix string) (entries, bytes int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for k, e := range s.m {
		if strings.HasPrefix(k, prefix) {
			entries++
			bytes += len(k) + len(e.v)
		}
	}
	return entries, bytes
}
