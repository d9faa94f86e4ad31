package filter

import (
	"strconv"
	"strings"
	"time"

	"github.com/gemini-code-api/gemini-code-api/translators/anthropic"
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
	"github.com/gemini-code-api/gemini-code-api/translators/openai"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
	"github.com/tidwall/gjson"
)

// calloutTimeoutMs bounds each HTTP callout to Gemini.
const calloutTimeoutMs = 30000

// maxModelPages bounds the pages of models.list the gateway follows.
const maxModelPages = 5

// calloutSet tracks the callouts made for one request.
type calloutSet struct {
	remaining int
	err       *apierror.Error
}

// callout sends one request to Gemini on the configured cluster. done gets
// the status (0 when the call failed before an answer), the answer's size,
// and read, which copies the answer into the VM: a caller that may refuse
// an answer by its size can do so without ever holding it.
func (h *httpContext) callout(method, path string, body []byte, done func(status, size int, read func() []byte)) error {
	cfg := h.plugin.cfg
	headers := [][2]string{{":method", method}, {":path", path}, {":authority", cfg.GeminiHost}, {"x-goog-api-key", h.key}}
	if body != nil {
		headers = append(headers, [2]string{"content-type", "application/json"})
	}
	_, err := proxywasm.DispatchHttpCall(cfg.GeminiCluster, headers, body, nil, calloutTimeoutMs, func(numHeaders, bodySize, numTrailers int) {
		defer h.recoverCallout()
		panicPoint(h, "on_http_call_response")
		status := 0
		if hs, err := proxywasm.GetHttpCallResponseHeaders(); err == nil {
			for _, kv := range hs {
				if kv[0] == ":status" {
					status, _ = strconv.Atoi(kv[1])
				}
			}
		}
		done(status, bodySize, func() []byte {
			if bodySize == 0 {
				return nil
			}
			b, _ := proxywasm.GetHttpCallResponseBody(0, bodySize)
			return b
		})
	})
	return err
}

// embedInBatches serves an embeddings request above Gemini's batch limit
// with one batchEmbedContents callout per batch, sent together, and one
// joined answer. Each batch's answer is converted as it arrives and then
// dropped: Gemini's answers are pretty-printed, and holding all of them
// until the last one arrived took hundreds of MiB for a large request.
func (h *httpContext) embedInBatches(r *openai.EmbeddingsRequest) types.Action {
	batches := r.Batches()
	set := &calloutSet{remaining: len(batches)}
	ans := r.NewAnswer()
	h.pending = set
	for i, b := range batches {
		err := h.callout("POST", r.UpstreamPath(), b, func(status, size int, read func() []byte) {
			switch {
			case set.err != nil: // the request failed already: leave the answer unread
			case status != 200:
				set.err = calloutError(status, read())
			default:
				if e := ans.CheckSize(i, size); e != nil {
					set.err = e
				} else {
					set.err = ans.Add(i, read())
				}
			}
			if set.err != nil {
				ans = nil // the converted batches can go while the rest arrive
			}
			set.remaining--
			if set.remaining > 0 {
				return
			}
			if set.err != nil {
				h.fail(set.err)
				return
			}
			out, e := ans.Join()
			if e != nil {
				h.fail(e)
				return
			}
			h.reply(out)
		})
		if err != nil {
			set.err = apierror.New(apierror.Server, "The gateway could not call Gemini (cluster "+strconv.Quote(h.plugin.cfg.GeminiCluster)+"): "+err.Error())
			set.remaining -= len(batches) - i
			if set.remaining == 0 {
				return h.fail(set.err)
			}
			break
		}
	}
	return types.ActionPause
}

func calloutError(status int, body []byte) *apierror.Error {
	switch status {
	case 0:
		return apierror.New(apierror.BadGateway, "Gemini could not be reached (the call failed before an answer).")
	case 504:
		if !gjson.ValidBytes(body) {
			return apierror.New(apierror.Timeout, "Gemini did not answer in time.")
		}
	}
	return apierror.FromGemini(status, body)
}

// models answers GET /v1/models and /v1/models/{id}: the caller's real
// Gemini model list (cached in shared data), plus the configured aliases.
func (h *httpContext) models() types.Action {
	hash := keyHash(h.key)
	p := h.plugin
	if list, ok := p.cachedModels(hash); ok {
		p.metrics.modelsCache[0].Increment(1)
		p.stats.pending.cacheHits++
		h.answerModels(list)
		return types.ActionPause
	}
	p.metrics.modelsCache[1].Increment(1)
	p.stats.pending.cacheMisses++
	h.pending = &calloutSet{}
	h.fetchModels("", nil, hash)
	return types.ActionPause
}

func (h *httpContext) fetchModels(pageToken string, pages [][]byte, hash string) {
	path := "/v1beta/models?pageSize=1000"
	if pageToken != "" {
		path += "&pageToken=" + pageToken
	}
	err := h.callout("GET", path, nil, func(status, _ int, read func() []byte) {
		body := read()
		if status != 200 {
			e := calloutError(status, body)
			if e.Kind == apierror.Authentication || e.Kind == apierror.Permission {
				h.fail(e) // the key is bad: say so rather than list models
				return
			}
			proxywasm.LogWarn("gemini-code-api: model list unavailable (HTTP " + strconv.Itoa(status) + "); answering from the configured model map")
			h.answerModels(h.plugin.fallbackModels())
			return
		}
		pages = append(pages, body)
		if next := gjson.GetBytes(body, "nextPageToken").String(); next != "" && len(pages) < maxModelPages && isTokenSafe(next) {
			h.fetchModels(next, pages, hash)
			return
		}
		list, e := models.FromGemini(pages...)
		if e != nil {
			h.answerModels(h.plugin.fallbackModels())
			return
		}
		list = models.WithAliases(list, h.plugin.cfg.models.Aliases, false)
		h.plugin.storeModels(hash, list)
		h.answerModels(list)
	})
	if err != nil {
		proxywasm.LogWarn("gemini-code-api: cannot call cluster " + strconv.Quote(h.plugin.cfg.GeminiCluster) + " for the model list: " + err.Error() + "; answering from the configured model map")
		h.answerModels(h.plugin.fallbackModels())
	}
}

func isTokenSafe(s string) bool {
	return !strings.ContainsAny(s, "&#? \r\n")
}

func (h *httpContext) answerModels(list []models.Entry) {
	render, one := openai.ModelsList, openai.Model
	if h.route.proto == protoAnthropic {
		render, one = anthropic.ModelsList, anthropic.Model
	}
	if h.route.model == "" {
		if h.codexCatalog {
			h.reply(openai.CodexModelsList(list, h.plugin.cfg.models.Resolve))
			return
		}
		h.reply(render(list))
		return
	}
	out, e := one(list, h.route.model)
	if e != nil {
		h.fail(e)
		return
	}
	h.reply(out)
}

// Model lists are cached in shared data, visible to every worker VM, in a
// fixed number of slots so the cache stays bounded whatever the number of
// keys: a slot holds one key's list, and a collision is just a miss.
const modelCacheSlots = 64

func modelSlot(hash string) string {
	var n uint32
	for i := 0; i < len(hash); i++ {
		n = n*31 + uint32(hash[i])
	}
	return "gca.models." + strconv.Itoa(int(n%modelCacheSlots))
}

func (p *pluginContext) cachedModels(hash string) ([]models.Entry, bool) {
	data, _, err := proxywasm.GetSharedData(modelSlot(hash))
	if err != nil || len(data) == 0 {
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
	// A CAS of 0 overwrites: last writer wins, which is fine for a cache.
	if err := proxywasm.SetSharedData(modelSlot(hash), []byte(b.String()), 0); err != nil {
		proxywasm.LogDebug("gemini-code-api: model cache not stored: " + err.Error())
	}
}

// fallbackModels is the configured model map as a model list: every alias
// and every model an alias points to.
func (p *pluginContext) fallbackModels() []models.Entry {
	seen := map[string]bool{}
	var list []models.Entry
	for _, target := range p.cfg.models.Aliases {
		if !seen[target] {
			seen[target] = true
			list = append(list, models.Entry{ID: target, OwnedBy: "google"})
		}
	}
	return models.WithAliases(list, p.cfg.models.Aliases, true)
}
