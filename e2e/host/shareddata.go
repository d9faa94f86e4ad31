package host

import (
	"strings"
	"sync"
)

// sharedData is one store for all VMs of the host (Envoy keys it by vm_id,
// which all worker clones of a plugin share). Rules from proxy-wasm-cpp-host
// src/shared_data.cc:
//   - get of a missing key -> NotFound; otherwise value and its cas;
//   - set with cas != 0 on an existing key whose cas differs -> CasMismatch
//     (cas is ignored for a new key);
//   - every successful set assigns a fresh cas from a global counter that
//     starts at 1 and skips 0.
type sharedData struct {
	mu     sync.Mutex
	m      map[string]sharedEntry
	cas    uint32
	queues map[string]uint32
}

type sharedEntry struct {
	val []byte
	cas uint32
}

func newSharedData() *sharedData {
	return &sharedData{m: map[string]sharedEntry{}, cas: 1, queues: map[string]uint32{}}
}

func (d *sharedData) nextCas() uint32 {
	c := d.cas
	d.cas++
	if d.cas == 0 {
		d.cas++
	}
	return c
}

func (d *sharedData) get(key string) ([]byte, uint32, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, ok := d.m[key]
	if !ok {
		return nil, 0, false
	}
	return append([]byte(nil), e.val...), e.cas, true
}

func (d *sharedData) set(key string, val []byte, cas uint32) uint32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if e, ok := d.m[key]; ok && cas != 0 && cas != e.cas {
		return resCasMismatch
	}
	d.m[key] = sharedEntry{val: append([]byte(nil), val...), cas: d.nextCas()}
	return resOK
}

func (d *sharedData) queueID(name string) uint32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	if id, ok := d.queues[name]; ok {
		return id
	}
	id := uint32(len(d.queues) + 1)
	d.queues[name] = id
	return id
}

// SharedData reports how many shared-data entries have names starting with
// prefix and their size (names plus values): what the store holds for the
// module, which Envoy keeps for as long as the vm_id lives.
func (h *Host) SharedData(prefix string) (entries, bytes int) {
	d := h.shared
	d.mu.Lock()
	defer d.mu.Unlock()
	for k, e := range d.m {
		if strings.HasPrefix(k, prefix) {
			entries++
			bytes += len(k) + len(e.val)
		}
	}
	return entries, bytes
}
