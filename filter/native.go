package filter

import (
	"bytes"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
	"github.com/gemini-code-api/gemini-code-api/translators/sse"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
	"github.com/tidwall/gjson"
)

// nativeRequest passes a Gemini API request through: the body is not
// buffered or touched; only the key handling (done by the caller) and a
// configured alias in the model path segment change the request.
func (h *httpContext) nativeRequest(path string) types.Action {
	if m := h.route.model; m != "" {
		resolved := h.plugin.cfg.models.Resolve(m)
		if !models.ValidName(resolved) {
			return h.fail(apierror.Invalid("model", "Invalid model name "+strconvQuote(m)+" in the request path: expected models/{model}[:method], e.g. models/gemini-2.5-flash:generateContent."))
		}
		if resolved != m {
			path = strings.Replace(path, "/models/"+m, "/models/"+resolved, 1)
			if h.route.nativeAction == "batchEmbedContents" {
				// Each request of the batch names the model again, and
				// Gemini wants it equal to the path's: rewrite it too.
				h.aliasFrom, h.aliasTo = m, resolved
			}
		}
		h.setModels(m, resolved)
	}
	_ = proxywasm.ReplaceHttpRequestHeader(":path", path)
	_ = proxywasm.ReplaceHttpRequestHeader(":authority", h.plugin.cfg.GeminiHost)
	clearRouteCache()
	tap := &usageTap{}
	switch h.route.nativeAction {
	case "generateContent":
		tap.active = true
	case "streamGenerateContent":
		tap.active = true
		_, query, _ := strings.Cut(path, "?")
		tap.sse = strings.Contains("&"+query+"&", "&alt=sse&")
		h.plugin.metrics.streams.Increment(1)
	}
	h.native = tap
	if h.aliasFrom != "" {
		_ = proxywasm.RemoveHttpRequestHeader("content-length")
		return types.ActionPause
	}
	return types.ActionContinue
}

// nativeBody rewrites the alias inside a batchEmbedContents body; every
// other native body passes untouched.
func (h *httpContext) nativeBody(bodySize int, endOfStream bool) types.Action {
	if h.aliasFrom == "" {
		return types.ActionContinue
	}
	if !endOfStream {
		return types.ActionPause
	}
	body, err := proxywasm.GetHttpRequestBody(0, bodySize)
	if err != nil {
		return types.ActionContinue
	}
	body = bytes.ReplaceAll(body, []byte(`"models/`+h.aliasFrom+`"`), []byte(`"models/`+h.aliasTo+`"`))
	_ = proxywasm.ReplaceHttpRequestBody(body)
	return types.ActionContinue
}

// tailWindow bounds what a usageTap keeps of a non-SSE answer: the usage
// object sits at the end of the JSON (or of the stream's JSON array).
const tailWindow = 16 << 10

// usageTap reads token usage from a passing Gemini answer without holding
// it back: SSE events are parsed as they pass (the last usageMetadata wins,
// §1.9); for JSON bodies and JSON-array streams only the tail is kept.
type usageTap struct {
	active bool
	sse    bool
	parser sse.Parser
	last   gemini.Usage
	tail   []byte
}

func (u *usageTap) write(chunk []byte) {
	if !u.active {
		return
	}
	if u.sse {
		err := u.parser.Feed(chunk, func(ev sse.Event) error {
			if bytes.Contains(ev.Data, []byte(`"usageMetadata"`)) {
				if us := gemini.ReadUsageBytes(ev.Data); us.Present {
					u.last = us
				}
			}
			return nil
		})
		if err != nil {
			u.active = false // an oversized event: give up counting, keep passing
		}
		return
	}
	u.tail = append(u.tail, chunk...)
	if len(u.tail) > tailWindow {
		n := copy(u.tail, u.tail[len(u.tail)-tailWindow:])
		u.tail = u.tail[:n]
	}
}

func (u *usageTap) usage() gemini.Usage {
	if !u.active || u.sse {
		return u.last
	}
	i := bytes.LastIndex(u.tail, []byte(`"usageMetadata"`))
	if i < 0 {
		return gemini.Usage{}
	}
	rest := u.tail[i+len(`"usageMetadata"`):]
	j := bytes.IndexByte(rest, '{')
	if j < 0 {
		return gemini.Usage{}
	}
	obj := gjson.ParseBytes(rest[j:])
	if !obj.IsObject() {
		return gemini.Usage{}
	}
	return gemini.ReadUsage(gjson.Parse(`{"usageMetadata":` + obj.Raw + `}`))
}
