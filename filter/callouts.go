package filter

import (
	"strconv"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/gemini-code-api/gemini-code-api/translators/translator"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// calloutTimeoutMs bounds each HTTP callout to Gemini.
const calloutTimeoutMs = 30000

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

// callGemini makes a translation's calls to Gemini (an embeddings request
// above Gemini's batch limit: one batchEmbedContents per batch) as HTTP
// callouts, sent together, and answers with a local reply once every one
// is answered. Each answer is translated as it arrives and then dropped:
// Gemini's answers are pretty-printed, and holding all of them until the
// last one arrived took hundreds of MiB for a large request.
func (h *httpContext) callGemini(tx translator.Translator) types.Action {
	n := tx.Calls()
	remaining := n
	var failed *apierror.Error
	ans := tx.NewAnswer()
	h.handler = calling{}
	defer tx.Release()
	for i := range n {
		err := h.callout("POST", tx.UpstreamPath(), tx.UpstreamBody(i), func(status, size int, read func() []byte) {
			switch {
			case failed != nil: // the request failed already: leave the answer unread
			case status != 200:
				failed = calloutError(status, read())
			default:
				if e := ans.CheckSize(i, size); e != nil {
					failed = e
				} else {
					failed = ans.Add(i, read())
				}
			}
			if failed != nil {
				ans = nil // the translated answers can go while the rest arrive
			}
			remaining--
			if remaining > 0 {
				return
			}
			if failed != nil {
				h.fail(failed)
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
			failed = apierror.New(apierror.Server, "The gateway could not call Gemini (cluster "+strconv.Quote(h.plugin.cfg.GeminiCluster)+"): "+err.Error())
			remaining -= n - i
			if remaining == 0 {
				return h.fail(failed)
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
		// Checked without recursion, as isGoogleError does.
		if _, ok := jsondepth.Validate(body); !ok {
			return apierror.New(apierror.Timeout, "Gemini did not answer in time.")
		}
	}
	return apierror.FromGemini(status, body)
}
