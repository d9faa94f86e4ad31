package filter

import (
	"strconv"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/anthropic"
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
	"github.com/gemini-code-api/gemini-code-api/translators/openai"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
	"github.com/tidwall/gjson"
)

// maxModelPages bounds the pages of models.list the gateway follows.
const maxModelPages = 5

// listModels answers GET /v1/models and /v1/models/{id}: the caller's real
// Gemini model list (cached in shared data), plus the configured aliases;
// with catalog (Codex's ?client_version=), Codex's model catalog as well.
func (h *httpContext) listModels(catalog bool) types.Action {
	hash := h.keyHash
	p := h.plugin
	if list, ok := p.cachedModels(hash); ok {
		p.metrics.modelsCache[0].Increment(1)
		p.stats.pending.cacheHits++
		h.answerModels(list, catalog)
		return types.ActionPause
	}
	p.metrics.modelsCache[1].Increment(1)
	p.stats.pending.cacheMisses++
	h.handler = calling{}
	h.fetchModels("", nil, hash, catalog)
	return types.ActionPause
}

func (h *httpContext) fetchModels(pageToken string, pages [][]byte, hash string, catalog bool) {
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
			proxywasm.LogWarn("gemini-code-api: model list unavailable (HTTP " + apierror.Itoa(status) + "); answering from the configured model map")
			h.answerModels(h.plugin.fallbackModels(), catalog)
			return
		}
		pages = append(pages, body)
		if next := gjson.GetBytes(body, "nextPageToken").String(); next != "" && len(pages) < maxModelPages && isTokenSafe(next) {
			h.fetchModels(next, pages, hash, catalog)
			return
		}
		list, e := models.FromGemini(pages...)
		if e != nil {
			h.answerModels(h.plugin.fallbackModels(), catalog)
			return
		}
		list = models.WithAliases(list, h.plugin.cfg.models.Aliases, false)
		h.plugin.storeModels(hash, list)
		h.answerModels(list, catalog)
	})
	if err != nil {
		proxywasm.LogWarn("gemini-code-api: cannot call cluster " + strconv.Quote(h.plugin.cfg.GeminiCluster) + " for the model list: " + err.Error() + "; answering from the configured model map")
		h.answerModels(h.plugin.fallbackModels(), catalog)
	}
}

func isTokenSafe(s string) bool {
	return !strings.ContainsAny(s, "&#? \r\n")
}

func (h *httpContext) answerModels(list []models.Entry, catalog bool) {
	render, one := openai.ModelsList, openai.Model
	if h.route.proto == protoAnthropic {
		render, one = anthropic.ModelsList, anthropic.Model
	}
	if h.route.model == "" {
		if catalog {
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
