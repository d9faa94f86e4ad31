package filter

import (
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// What the module keeps in shared data, visible to every worker VM and to
// both of its instances (downstream and upstream filter, which share the
// vm_id). Every entry is changed through shareddata.Update (keypool picks
// its slot among several first, then writes the same way).
const (
	keyPoolPrefix     = "gca.kp."     // key health: key_pool.slots records (filter/keypool)
	modelsCachePrefix = "gca.models." // model lists by key hash (modelscache.go)
	statsKey          = "gca.stats"   // /health's gateway-wide figures (healthstats.go)
	keyGaugeLeaseKey  = "gca.gauges"  // which VM sets the key gauges (plugin.go)
)

// sharedStore is shareddata.Store over proxy-wasm shared data.
type sharedStore struct{}

func (sharedStore) Get(key string) ([]byte, uint32, bool) {
	return sharedData(key)
}

func (sharedStore) Set(key string, value []byte, cas uint32) bool {
	err := proxywasm.SetSharedData(key, value, cas)
	if err != nil && err != types.ErrorStatusCasMismatch {
		proxywasm.LogDebug("gemini-code-api: shared data not stored (" + key + "): " + err.Error())
	}
	return err == nil
}
