// Package apierror holds the gateway's protocol-neutral error: what went
// wrong, in a class every client protocol can render in its own shape.
//
// Upstream Gemini errors are parsed here once (object or array-wrapped body,
// RetryInfo, ErrorInfo reason) and classified into a Kind; the openai and
// anthropic packages only choose their type strings and, where their APIs
// differ, the HTTP status. The map and its reasons are in
// docs/answer-mapping.md#errors.
package apierror

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Kind classifies an error independently of any client protocol.
type Kind uint8

const (
	InvalidRequest   Kind = iota // 400: the request cannot be served as sent
	Authentication               // 401: missing, malformed or rejected key
	Permission                   // 403
	NotFound                     // 404: unknown model or path
	MethodNotAllowed             // 405
	RequestTooLarge              // 413
	RateLimited                  // 429 with a short retry horizon
	QuotaExhausted               // 429 for a daily or zero quota
	Server                       // 500
	BadGateway                   // 502: the upstream answered something unusable
	Overloaded                   // 503 (Anthropic says 529)
	Timeout                      // 504
)

// Error is the neutral error. Status is the HTTP status most clients expect
// for Kind; protocol renderers may override it (Anthropic's 529).
type Error struct {
	Kind    Kind
	Status  int
	Message string
	// Param names the request field at fault, when known (OpenAI's "param").
	Param string
	// Upstream is Google's status string (RESOURCE_EXHAUSTED, ...) when the
	// error came from Gemini; kept for debugging and for the OpenAI "code".
	Upstream string
	// Reason is the ErrorInfo reason from Google (API_KEY_INVALID, ...).
	Reason string
	// RetryAfterMs is the upstream's RetryInfo delay in milliseconds (0: none).
	RetryAfterMs int64
}

func (e *Error) Error() string { return e.Message }

var statusOf = [...]int{
	InvalidRequest: 400, Authentication: 401, Permission: 403, NotFound: 404,
	MethodNotAllowed: 405, RequestTooLarge: 413, RateLimited: 429, QuotaExhausted: 429,
	Server: 500, BadGateway: 502, Overloaded: 503, Timeout: 504,
}

// New makes an error of kind with the default status for that kind.
//
// New and Invalid are not inlined: the translators call them at some 400
// places, all error paths, and each inlined copy (an allocation and its
// write barriers) cost ~100 bytes of Wasm (36 KB in all).
//
//go:noinline
func New(kind Kind, msg string) *Error {
	return &Error{Kind: kind, Status: statusOf[kind], Message: msg}
}

// Invalid is New(InvalidRequest, msg) with the offending parameter named.
//
//go:noinline
func Invalid(param, msg string) *Error {
	e := New(InvalidRequest, msg)
	e.Param = param
	return e
}

// statusKinds classifies Gemini's error statuses (but 401 and the kinds
// that need the error's details).
var statusKinds = map[int]Kind{
	403: Permission, 404: NotFound, 413: RequestTooLarge, 429: RateLimited,
	502: BadGateway, 503: Overloaded, 504: Timeout,
}

// FromGemini classifies an upstream error answer. body may be Google's
// `{"error":{...}}`, the array-wrapped form `[{"error":{...}}]` that streaming
// endpoints send, or anything else (a proxy's HTML page): the message then
// says what the upstream answered instead of echoing junk.
func FromGemini(httpStatus int, body []byte) *Error {
	root := gjson.ParseBytes(body)
	if root.IsArray() {
		root = root.Get("0")
	}
	ge := root.Get("error")
	msg := ge.Get("message").String()
	gstatus := ge.Get("status").String()
	if ge.Exists() && !ge.IsObject() { // {"error": "text"}
		msg = ge.String()
	}
	if msg == "" {
		msg = "Gemini answered HTTP " + strconv.Itoa(httpStatus) + " without an error message"
		if text := Snippet(body); text != "" && !root.IsObject() {
			// Not Google's shape: most likely the proxy's own answer
			// (Envoy's "upstream connect error ..."); say what it was.
			msg = "Gemini could not be reached (HTTP " + strconv.Itoa(httpStatus) + "): " + text
		}
	}
	code := int(ge.Get("code").Int())
	if httpStatus == 0 || httpStatus == 200 {
		httpStatus = code
	}
	var reason string
	var retryMs int64
	ge.Get("details").ForEach(func(_, d gjson.Result) bool {
		t := d.Get(`@type`).String()
		switch {
		case strings.HasSuffix(t, "google.rpc.ErrorInfo"):
			reason = d.Get("reason").String()
		case strings.HasSuffix(t, "google.rpc.RetryInfo"):
			retryMs = parseDurationMs(d.Get("retryDelay").String())
		case strings.HasSuffix(t, "google.rpc.QuotaFailure"):
			d.Get("violations").ForEach(func(_, v gjson.Result) bool {
				if strings.Contains(v.Get("quotaId").String(), "PerDay") {
					reason = "DAILY_QUOTA"
				}
				return true
			})
		}
		return true
	})

	e := &Error{Message: msg, Upstream: gstatus, Reason: reason, RetryAfterMs: retryMs}
	switch kind, ok := statusKinds[httpStatus]; {
	case reason == "API_KEY_INVALID" || httpStatus == 401:
		e.Kind = Authentication
	case httpStatus == 429 && (reason == "DAILY_QUOTA" || (retryMs == 0 && strings.Contains(msg, "limit: 0"))):
		e.Kind = QuotaExhausted
	case ok:
		e.Kind = kind
	case httpStatus >= 500:
		e.Kind = Server
	default:
		e.Kind = InvalidRequest
	}
	e.Status = statusOf[e.Kind]
	return e
}

// Snippet is a short, printable, single-line excerpt of a body, for error
// messages that must say what an unexpected answer held.
func Snippet(body []byte) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "?")), " ")
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	return s
}

// parseDurationMs reads a protobuf Duration in JSON form ("23s", "1.5s",
// "0.250s") as milliseconds, rounding up so a client never retries early.
func parseDurationMs(s string) int64 {
	s = strings.TrimSuffix(strings.TrimSpace(s), "s")
	if s == "" {
		return 0
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 {
		return 0
	}
	ms := int64(f * 1000)
	if float64(ms) < f*1000 {
		ms++
	}
	return ms
}

// RetryAfterSeconds is RetryAfterMs as whole seconds, rounded up, for the
// Retry-After header (0 when the upstream gave no delay).
func (e *Error) RetryAfterSeconds() int64 {
	if e.RetryAfterMs <= 0 {
		return 0
	}
	return (e.RetryAfterMs + 999) / 1000
}
