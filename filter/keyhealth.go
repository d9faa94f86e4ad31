package filter

import (
	"strconv"
	"strings"
	"time"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
)

// Key health: when a client sends several keys, a key Gemini just refused
// (rate limit, exhausted quota, rejected key) is set aside for a while and
// the others serve. The record lives in shared data, so every worker VM
// sees it, in a fixed number of slots so memory stays bounded whatever the
// number of keys: a slot holds one key hash; a collision only forgets.
const keyHealthSlots = 1024

// Cool-down periods when Gemini gave no RetryInfo.
const (
	rateLimitCooldown = 30 * time.Second
	quotaCooldown     = 10 * time.Minute
	rejectedCooldown  = 10 * time.Minute
)

func keyHealthSlot(hash string) string {
	var n uint32
	for i := 0; i < len(hash); i++ {
		n = n*31 + uint32(hash[i])
	}
	return "gca.keyhealth." + strconv.Itoa(int(n%keyHealthSlots))
}

// coolingUntil returns when the key's cool-down ends (Unix ms; 0: none).
func coolingUntil(hash string) int64 {
	data, _, err := proxywasm.GetSharedData(keyHealthSlot(hash))
	if err != nil || len(data) == 0 {
		return 0
	}
	h, until, ok := strings.Cut(string(data), " ")
	if !ok || h != hash {
		return 0
	}
	ms, _ := strconv.ParseInt(until, 10, 64)
	return ms
}

// pickKey chooses among the client's keys: round robin over the keys not
// cooling down; when all are, the one that recovers first.
func (p *pluginContext) pickKey(keys []string) string {
	if len(keys) == 1 {
		return keys[0]
	}
	start := int(p.rr % uint32(len(keys)))
	p.rr++
	now := time.Now().UnixMilli()
	best, bestUntil := "", int64(1<<62)
	for i := range keys {
		k := keys[(start+i)%len(keys)]
		until := coolingUntil(keyHash(k))
		if until <= now {
			return k
		}
		if until < bestUntil {
			best, bestUntil = k, until
		}
	}
	return best
}

// reportKey records Gemini's verdict on a key: a refusal starts its
// cool-down, a success ends one early.
func (p *pluginContext) reportKey(key string, status int, e *apierror.Error) {
	hash := keyHash(key)
	var cool time.Duration
	switch {
	case status == 200:
		if coolingUntil(hash) != 0 {
			_ = proxywasm.SetSharedData(keyHealthSlot(hash), nil, 0)
		}
		return
	case e != nil && e.Kind == apierror.Authentication, status == 401, status == 403:
		cool = rejectedCooldown
	case e != nil && e.Kind == apierror.QuotaExhausted:
		cool = quotaCooldown
	case status == 429:
		cool = rateLimitCooldown
		if e != nil && e.RetryAfterMs > 0 {
			cool = time.Duration(e.RetryAfterMs) * time.Millisecond
		}
	default:
		return // a bad request or a server error says nothing about the key
	}
	p.metrics.keyCooldowns.Increment(1)
	until := time.Now().Add(cool).UnixMilli()
	// CAS 0: last writer wins; both writers saw the key fail.
	if err := proxywasm.SetSharedData(keyHealthSlot(hash), []byte(hash+" "+strconv.FormatInt(until, 10)), 0); err != nil {
		proxywasm.LogDebugf("gemini-code-api: key health not stored: %v", err)
	}
}
