package host

import (
	"sync"

	"github.com/gemini-code-api/gemini-code-api/filter/shareddata"
)

// sharedData is one store for all VMs of the host (Envoy keys it by vm_id,
// which all worker clones of a plugin share), with proxy-wasm-cpp-host's
// rules (src/shared_data.cc, shareddata.Memory): get of a missing key ->
// NotFound, otherwise value and its cas; set with cas != 0 on an existing key
// whose cas differs -> CasMismatch (cas is ignored for a new key); every
// successful set assigns a fresh cas from a global counter that starts at 1
// and skips 0.
type sharedData struct {
	*shareddata.Memory
	mu     sync.Mutex
	queues map[string]uint32
}

func newSharedData() *sharedData {
	return &sharedData{Memory: shareddata.NewMemory(), queues: map[string]uint32{}}
}

func (d *sharedData) get(key string) ([]byte, uint32, bool) { return d.Get(key) }

func (d *sharedData) set(key string, val []byte, cas uint32) uint32 {
	if !d.Set(key, val, cas) {
		return resCasMismatch
	}
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
func (h *Host) SharedData(prefix string) (entries, bytes int) { return h.shared.Size(prefix) }
