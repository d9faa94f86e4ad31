package fakegemini

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// apiError is a google.rpc.Status as the Gemini API renders it:
// {"error":{"code":…,"message":…,"status":…,"details":[…]}}.
type apiError struct {
	Code    int
	Status  string
	Message string
	Details []string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.Code, e.Status, e.Message) }

func (e *apiError) body() string { return ErrorBody(e.Code, e.Status, e.Message, e.Details...) }

func newError(code int, message string, details ...string) *apiError {
	return &apiError{Code: code, Status: StatusFor(code), Message: message, Details: details}
}

// invalidArgument is the 400 INVALID_ARGUMENT every strictness rule produces.
func invalidArgument(message string, details ...string) *apiError {
	return newError(http.StatusBadRequest, message, details...)
}

// ErrorBody builds Google's error envelope. Each detail is a raw JSON object
// (see the *Detail helpers). The body is indented with two spaces like the
// real service and ends with a newline.
func ErrorBody(code int, status, message string, details ...string) string {
	type status_ struct {
		Code    int               `json:"code"`
		Message string            `json:"message"`
		Status  string            `json:"status"`
		Details []json.RawMessage `json:"details,omitempty"`
	}
	st := status_{Code: code, Message: message, Status: status}
	for _, d := range details {
		if json.Valid([]byte(d)) {
			st.Details = append(st.Details, json.RawMessage(d))
		} else {
			q, _ := json.Marshal(d)
			st.Details = append(st.Details, q)
		}
	}
	return marshalIndent(struct {
		Error status_ `json:"error"`
	}{st})
}

// StatusFor maps an HTTP code to the canonical google.rpc.Code name.
func StatusFor(code int) string {
	switch code {
	case 400:
		return "INVALID_ARGUMENT"
	case 401:
		return "UNAUTHENTICATED"
	case 403:
		return "PERMISSION_DENIED"
	case 404:
		return "NOT_FOUND"
	case 409:
		return "ABORTED"
	case 429:
		return "RESOURCE_EXHAUSTED"
	case 499:
		return "CANCELLED"
	case 500:
		return "INTERNAL"
	case 501:
		return "NOT_IMPLEMENTED"
	case 503:
		return "UNAVAILABLE"
	case 504:
		return "DEADLINE_EXCEEDED"
	}
	return "UNKNOWN"
}

// defaultMessage is what the real service says for a bare status code.
func defaultMessage(code int) string {
	switch code {
	case 400:
		return "Request contains an invalid argument."
	case 401:
		return msgUnauthenticated
	case 403:
		return "The caller does not have permission"
	case 404:
		return "Requested entity was not found."
	case 429:
		return "You exceeded your current quota, please check your plan and billing details. For more information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
	case 500:
		return "An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting"
	case 503:
		return "The model is overloaded. Please try again later."
	case 504:
		return "Deadline expired before operation could complete."
	}
	return http.StatusText(code)
}

// scriptedError builds the body of a scripted non-200 Reply without Body.
// 429 carries QuotaFailure + Help and, with RetryDelay, a RetryInfo, as
// Google's quota errors do.
func scriptedError(r Reply) *apiError {
	e := newError(r.Status, defaultMessage(r.Status))
	if r.Status == http.StatusTooManyRequests {
		e.Details = append(e.Details,
			QuotaFailureDetail("generativelanguage.googleapis.com/generate_content_free_tier_requests",
				"GenerateRequestsPerMinutePerProjectPerModel-FreeTier"),
			HelpDetail("https://ai.google.dev/gemini-api/docs/rate-limits"))
		if r.RetryDelay != "" {
			e.Message = strings.TrimSuffix(e.Message, ".") + ". Please retry in " + r.RetryDelay + "."
			e.Details = append(e.Details, RetryInfoDetail(r.RetryDelay))
		}
	}
	return e
}

// ErrorInfoDetail is a google.rpc.ErrorInfo detail.
func ErrorInfoDetail(reason, domain string, metadata map[string]string) string {
	return marshalCompact(struct {
		Type     string            `json:"@type"`
		Reason   string            `json:"reason"`
		Domain   string            `json:"domain,omitempty"`
		Metadata map[string]string `json:"metadata,omitempty"`
	}{"type.googleapis.com/google.rpc.ErrorInfo", reason, domain, metadata})
}

// RetryInfoDetail is a google.rpc.RetryInfo detail, delay like "23s".
func RetryInfoDetail(delay string) string {
	return marshalCompact(struct {
		Type       string `json:"@type"`
		RetryDelay string `json:"retryDelay"`
	}{"type.googleapis.com/google.rpc.RetryInfo", delay})
}

// QuotaFailureDetail is a google.rpc.QuotaFailure detail with one violation.
func QuotaFailureDetail(metric, quotaID string) string {
	return oneItemDetail("google.rpc.QuotaFailure", "violations", struct {
		QuotaMetric string `json:"quotaMetric"`
		QuotaID     string `json:"quotaId"`
	}{metric, quotaID})
}

// HelpDetail is a google.rpc.Help detail with one link.
func HelpDetail(url string) string {
	return oneItemDetail("google.rpc.Help", "links", struct {
		Description string `json:"description,omitempty"`
		URL         string `json:"url"`
	}{URL: url})
}

// BadRequestDetail is a google.rpc.BadRequest detail with one field violation,
// which the real service attaches to JSON-parse errors.
func BadRequestDetail(field, description string) string {
	return oneItemDetail("google.rpc.BadRequest", "fieldViolations", struct {
		Field       string `json:"field,omitempty"`
		Description string `json:"description"`
	}{field, description})
}

// oneItemDetail is a detail of that type whose one field, the list named
// list, holds item alone. A map's keys are written sorted, and "@type"
// sorts before any field name, so "@type" comes first as Google writes it.
func oneItemDetail(typ, list string, item any) string {
	return marshalCompact(map[string]any{"@type": "type.googleapis.com/" + typ, list: []any{item}})
}

// LocalizedMessageDetail is a google.rpc.LocalizedMessage detail (en-US).
func LocalizedMessageDetail(message string) string {
	return marshalCompact(struct {
		Type    string `json:"@type"`
		Locale  string `json:"locale"`
		Message string `json:"message"`
	}{"type.googleapis.com/google.rpc.LocalizedMessage", "en-US", message})
}

func marshalCompact(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return strings.TrimSuffix(b.String(), "\n")
}

func marshalIndent(v any) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
	return b.String()
}

// setGoogleHeaders adds the response headers the real front end sends.
func setGoogleHeaders(h http.Header, contentType string) {
	h.Set("Content-Type", contentType)
	h.Set("Vary", "Origin, X-Origin, Referer")
	h.Set("Server", "scaffolding on HTTPServer2")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "SAMEORIGIN")
	h.Set("X-Xss-Protection", "0")
}

// writeError writes e. When arrayWrap is set (streamGenerateContent without
// alt=sse) the envelope is wrapped in a JSON array, as Google does.
func writeError(w http.ResponseWriter, e *apiError, arrayWrap bool, extra http.Header) {
	body := e.body()
	if arrayWrap {
		body = "[" + strings.TrimSuffix(body, "\n") + "\n]"
	}
	writeRaw(w, e.Code, "application/json; charset=UTF-8", body, extra)
}

func writeRaw(w http.ResponseWriter, code int, contentType, body string, extra http.Header) {
	setGoogleHeaders(w.Header(), contentType)
	for k, vs := range extra {
		w.Header()[k] = append([]string(nil), vs...)
	}
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}
