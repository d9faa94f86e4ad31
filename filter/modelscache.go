package filter

import (
	"strconv"
	"strings"
	"time"

	"github.com/gemini-code-api/gemini-code-api/filter/shareddata"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
)

// Model lists are cached in shared data, visible to every worker VM, in a
// fixed number of slots so the cache stays bounded whatever the number of
// keys: a slot holds one key's list, and a collision is just a miss.
const modelCacheSlots = 64

func modelSlot(hash string) string {
	var n uint32
	for i := 0; i < len(hash); i++ {
		n = n*31 + uint32(hash[i])
	}
	return modelsCachePrefix + strconv.Itoa(int(n%modelCacheSlots))
}

func (p *pluginContext) cachedModels(hash string) ([]models.Entry, bool) {
	data := shareddata.Read(sharedStore{}, modelSlot(hash)).Value
	if len(data) == 0 {
		return nil, false
	}
	lines := strings.Split(string(data), "\n")
	head := strings.Fields(lines[0])
	if len(head) != 2 || head[0] != hash {
		return nil, false
	}
	exp, err := strconv.ParseInt(head[1], 10, 64)
	if err != nil || time.Now().Unix() >= exp {
		return nil, false
	}
	var list []models.Entry
	for _, l := range lines[1:] {
		if id, owner, ok := strings.Cut(l, " "); ok {
			list = append(list, models.Entry{ID: id, OwnedBy: owner})
		}
	}
	return list, true
}

func (p *pluginContext) storeModels(hash string, list []models.Entry) {
	var b strings.Builder
	b.WriteString(hash)
	b.WriteByte(' ')
	b.WriteString(strconv.FormatInt(time.Now().Unix()+int64(p.cfg.ModelsCacheTTL), 10))
	for _, m := range list {
		b.WriteByte('\n')
		b.WriteString(m.ID)
		b.WriteByte(' ')
		b.WriteString(m.OwnedBy)
	}
	// The last writer wins, which is fine for a cache.
	v := []byte(b.String())
	if !shareddata.Update(sharedStore{}, modelSlot(hash), func([]byte, bool) ([]byte, bool) { return v, true }) {
		proxywasm.LogDebug("gemini-code-api: model cache not stored: other VMs kept writing its slot")
	}
}
