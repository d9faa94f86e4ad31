package filter

import (
	"bytes"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
	"github.com/gemini-code-api/gemini-code-api/translators/sse"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
	"github.com/tidwall/gjson"
)

// native is a request to Gemini's own API, passed through: the body is not
// buffered or touched (but for an alias in a batchEmbedContents body), the
// answer passes as it comes while its usage is read for the metrics and
// the access log, and only an error answer is held, to be checked.
type native struct {
	tap usageTap
	// aliasFrom/aliasTo: a batchEmbedContents whose body must name the
	// resolved model too.
	aliasFrom, aliasTo string
	errorBody          bool // an error answer, held until checked (errorBody)
}

func (n *native) usage() gemini.Usage { return n.tap.usage() }

// passThrough passes a Gemini API request through once checkNativePath
// accepts its path: only the key handling (done by the caller) and a
// configured alias in the model path segment change the request.
func (h *httpContext) passThrough(path string) types.Action {
	if e := checkNativePath(path); e != nil {
		return h.fail(e)
	}
	n := &native{}
	if m := h.route.model; m != "" {
		resolved := h.plugin.cfg.models.Resolve(m)
		if !models.ValidName(resolved) || !safeSegment(resolved) {
			return h.fail(invalidModelInPath(m))
		}
		if resolved != m {
			path = strings.Replace(path, "/models/"+m, "/models/"+resolved, 1)
			if e := checkNativePath(path); e != nil {
				return h.fail(e) // the longer name made the path too long
			}
			if h.route.nativeAction == "batchEmbedContents" {
				// Each request of the batch names the model again, and
				// Gemini wants it equal to the path's: rewrite it too.
				n.aliasFrom, n.aliasTo = m, resolved
			}
		}
		h.setModels(m, resolved)
	}
	_ = proxywasm.ReplaceHttpRequestHeader(":path", path)
	_ = proxywasm.ReplaceHttpRequestHeader(":authority", h.plugin.cfg.GeminiHost)
	clearRouteCache()
	switch h.route.nativeAction {
	case "generateContent":
		n.tap.active = true
	case "streamGenerateContent":
		n.tap.active = true
		_, query, _ := strings.Cut(path, "?")
		n.tap.sse = strings.Contains("&"+query+"&", "&alt=sse&")
		h.nativeStream = true
	}
	setStreamed(h.nativeStream)
	h.handler = n
	if n.aliasFrom != "" {
		if h.hadContentLength { // the body's length changes (each removal is a host call)
			_ = proxywasm.RemoveHttpRequestHeader("content-length")
		}
		return types.ActionPause
	}
	return types.ActionContinue
}

// requestBody rewrites the alias inside a batchEmbedContents body; every
// other native body passes untouched.
func (n *native) requestBody(h *httpContext, bodySize int, endOfStream bool) types.Action {
	if n.aliasFrom == "" {
		return types.ActionContinue
	}
	if !endOfStream {
		return types.ActionPause
	}
	body := requestBody(bodySize)
	if body == nil {
		return types.ActionContinue
	}
	body = bytes.ReplaceAll(body, []byte(`"models/`+n.aliasFrom+`"`), []byte(`"models/`+n.aliasTo+`"`))
	_ = proxywasm.ReplaceHttpRequestBody(body)
	return types.ActionContinue
}

// maxNativePath bounds the :path of a native request, query included.
// Gemini's resource names and page tokens are far shorter.
const maxNativePath = 2048

// checkNativePath decides whether a native request path may be forwarded:
// a version (/v1beta, /v1alpha, /v1), then a resource path of non-empty
// segments made of letters, digits and -_.~ (no "." or ".." segments), the
// last one optionally followed by :method in letters only, then an optional
// query of printable ASCII. Anything else would only come back from Google
// as its HTML 404 page, or be read by Google differently than by the
// gateway, so it is answered here in Google's error shape: 400 for an
// unusable model name, a query or a length, 404 for a path that names no
// Gemini resource.
func checkNativePath(path string) *apierror.Error {
	if len(path) > maxNativePath {
		return apierror.Invalid("", "The request path is "+apierror.Itoa(len(path))+" bytes long; the gateway forwards Gemini API paths of up to "+apierror.Itoa(maxNativePath)+" bytes.")
	}
	resource, query, _ := strings.Cut(path, "?")
	rest, ok := "", false
	for _, v := range [...]string{"/v1beta/", "/v1alpha/", "/v1/"} {
		if rest, ok = strings.CutPrefix(resource, v); ok {
			break
		}
	}
	if !ok {
		return unknownNativePath(resource)
	}
	if m, ok := strings.CutPrefix(rest, "models/"); ok {
		end := strings.IndexAny(m, "/:")
		if end < 0 {
			end = len(m)
		}
		if model := m[:end]; model != "" && !safeSegment(model) {
			return invalidModelInPath(model)
		}
	}
	if !validResourcePath(rest) {
		return unknownNativePath(resource)
	}
	for i := 0; i < len(query); i++ {
		if c := query[i]; c <= ' ' || c >= 0x7f || c == '#' {
			return apierror.Invalid("", "The query string of the request path contains a character that is not allowed (control characters, spaces, '#' and non-ASCII bytes must be percent-encoded).")
		}
	}
	return nil
}

// validResourcePath: segments separated by '/', and at most one ':' whose
// method suffix, in letters only, ends the path.
func validResourcePath(rest string) bool {
	resource, method, hasMethod := strings.Cut(rest, ":")
	if resource == "" || hasMethod && method == "" {
		return false
	}
	for i := 0; i < len(method); i++ {
		if c := method[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	for {
		seg, next, more := strings.Cut(resource, "/")
		if !safeSegment(seg) {
			return false
		}
		if !more {
			return true
		}
		resource = next
	}
}

// safeSegment: a non-empty path segment that needs no escaping and is not
// a dot segment (which a server would resolve to another path).
func safeSegment(s string) bool {
	dots := true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '~':
			dots = false
		case c == '.':
		default:
			return false
		}
	}
	return s != "" && !dots
}

func unknownNativePath(resource string) *apierror.Error {
	return apierror.New(apierror.NotFound, "Unknown Gemini API path "+strconvQuote(resource)+": expected /v1beta, /v1alpha or /v1, then a resource path of segments made of letters, digits, '-', '_', '.' and '~' (no empty, '.' or '..' segments), then an optional :method in letters, e.g. /v1beta/models/gemini-2.5-flash:generateContent.")
}

func invalidModelInPath(m string) *apierror.Error {
	return apierror.Invalid("model", "Invalid model name "+strconvQuote(m)+" in the request path: expected models/{model}[:method], e.g. models/gemini-2.5-flash:generateContent.")
}

// maxNativeErrorBody bounds what is held of a native error answer. Google's
// error objects are a few hundred bytes; anything much larger is not one.
const maxNativeErrorBody = 64 << 10

func (n *native) responseHeaders(h *httpContext, endOfStream bool) types.Action {
	h.readStatus()
	h.report(h.status, nil)
	if h.status != 200 {
		h.finish(gemini.Usage{}, true)
	} else if h.nativeStream {
		h.streamed = true
	}
	if h.status >= 400 {
		return n.errorHeaders(h, endOfStream)
	}
	if endOfStream {
		h.handler = done{}
	}
	return types.ActionContinue
}

func (n *native) responseBody(h *httpContext, bodySize int, endOfStream bool) types.Action {
	if n.errorBody {
		return n.checkError(h, bodySize, endOfStream)
	}
	if bodySize > 0 {
		h.firstBytes()
		// Only a tap that reads usage needs the bytes: other answers (file
		// downloads, model lists) are not copied into the VM chunk by chunk.
		if n.tap.active {
			if chunk := responseBody(bodySize); chunk != nil {
				n.tap.write(chunk)
			}
		}
	}
	if endOfStream && h.status == 200 {
		h.streamEnded = h.streamed
		h.finish(n.tap.usage(), false)
	}
	return types.ActionContinue
}

// errorHeaders starts a native answer of status >= 400. Google's clients
// read Google's error object from it; a proxy's HTML page or text
// (Google's own 404 page, a load balancer's 502) would reach them as an
// unreadable answer. Error bodies are small, so they alone are held until
// they can be checked; successes are never held.
func (n *native) errorHeaders(h *httpContext, endOfStream bool) types.Action {
	if endOfStream {
		return h.replaceWithLocal(h.nativeUpstreamError(nil))
	}
	n.errorBody = true
	_ = proxywasm.RemoveHttpResponseHeader("content-length")
	return types.ActionPause
}

// checkError passes a Google error object untouched and turns anything
// else into one, keeping the status.
func (n *native) checkError(h *httpContext, bodySize int, endOfStream bool) types.Action {
	if bodySize > maxNativeErrorBody {
		e := h.nativeUpstreamError(nil)
		e.Message = "Gemini answered HTTP " + apierror.Itoa(h.status) + " with an error body larger than " + apierror.Itoa(maxNativeErrorBody>>10) + " KiB, which is not a Google error object; the gateway does not pass it on."
		return h.replaceWithLocal(e)
	}
	if !endOfStream {
		return types.ActionPause
	}
	h.handler = done{}
	var body []byte
	if bodySize > 0 {
		body = responseBody(bodySize)
	}
	if isGoogleError(body) {
		h.noteError(apierror.FromGemini(h.status, body))
		return types.ActionContinue
	}
	e := h.nativeUpstreamError(body)
	h.noteError(e)
	_ = proxywasm.ReplaceHttpResponseHeader("content-type", "application/json; charset=UTF-8")
	_ = proxywasm.ReplaceHttpResponseBody(gemini.ErrorBody(e))
	return types.ActionContinue
}

// nativeUpstreamError describes an error answer that is not Google's error
// object, in Google's shape, with the status it came with and an excerpt of
// what came back.
func (h *httpContext) nativeUpstreamError(body []byte) *apierror.Error {
	var e *apierror.Error
	if details, ok := getProperty("response", "code_details"); ok && len(details) > 0 && string(details) != "via_upstream" {
		e = envoyError(h.status, body) // Envoy's own reply: no answer from Gemini
	} else {
		e = apierror.FromGemini(h.status, body)
		e.Message = "Gemini answered HTTP " + apierror.Itoa(h.status) + " with an empty body."
		if text := apierror.Snippet(body); text != "" {
			e.Message = "Gemini answered HTTP " + apierror.Itoa(h.status) + " with a body that is not a Google error object: " + text
		}
	}
	e.Status = h.status
	e.Upstream = ""
	return e
}

// isGoogleError: Google's error object, alone or wrapped in an array as a
// JSON-array stream sends it. The body is checked without recursion
// (jsondepth.Validate: gjson's validation recurses per level, and Go's Wasm
// calls use the engine's stack); one nesting deeper than MaxDepth is not.
func isGoogleError(body []byte) bool {
	if _, ok := jsondepth.Validate(body); !ok {
		return false
	}
	root := gjson.ParseBytes(body)
	if root.IsArray() {
		root = root.Get("0")
	}
	ge := root.Get("error")
	return root.IsObject() && ge.IsObject() && ge.Get("code").Type == gjson.Number && ge.Get("message").Type == gjson.String
}

// tailWindow bounds what a usageTap keeps of a non-SSE answer: the usage
// object sits at the end of the JSON (or of the stream's JSON array).
const tailWindow = 16 << 10

// usageTap reads token usage from a passing Gemini answer without holding
// it back: SSE events are parsed as they pass (the last usageMetadata wins,
// its counts are running totals); for JSON bodies and JSON-array streams only the tail is kept.
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
