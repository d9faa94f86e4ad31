package apierror

import "testing"

func TestFromGemini(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		kind       Kind
		wantStatus int
		retryMs    int64
		msg        string
	}{
		{"invalid argument", 400, `{"error":{"code":400,"message":"bad field","status":"INVALID_ARGUMENT"}}`, InvalidRequest, 400, 0, "bad field"},
		{"invalid key is 401", 400, `{"error":{"code":400,"message":"API key not valid. Please pass a valid API key.","status":"INVALID_ARGUMENT","details":[{"@type":"type.googleapis.com/google.rpc.ErrorInfo","reason":"API_KEY_INVALID","domain":"googleapis.com"}]}}`, Authentication, 401, 0, "API key not valid. Please pass a valid API key."},
		{"unauthenticated", 401, `{"error":{"code":401,"message":"no","status":"UNAUTHENTICATED"}}`, Authentication, 401, 0, "no"},
		{"permission", 403, `{"error":{"code":403,"message":"denied","status":"PERMISSION_DENIED"}}`, Permission, 403, 0, "denied"},
		{"not found", 404, `{"error":{"code":404,"message":"models/x is not found","status":"NOT_FOUND"}}`, NotFound, 404, 0, "models/x is not found"},
		{"rate limit with retry", 429, `{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"23.4s"}]}}`, RateLimited, 429, 23400, "quota"},
		{"daily quota", 429, `{"error":{"code":429,"message":"quota","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.QuotaFailure","violations":[{"quotaId":"GenerateRequestsPerDayPerProjectPerModel-FreeTier"}]}]}}`, QuotaExhausted, 429, 0, "quota"},
		{"array wrapped", 500, `[{"error":{"code":500,"message":"internal","status":"INTERNAL"}}]`, Server, 500, 0, "internal"},
		{"overloaded", 503, `{"error":{"code":503,"message":"The model is overloaded.","status":"UNAVAILABLE"}}`, Overloaded, 503, 0, "The model is overloaded."},
		{"deadline", 504, `{"error":{"code":504,"message":"slow","status":"DEADLINE_EXCEEDED"}}`, Timeout, 504, 0, "slow"},
		{"html from a proxy", 502, `<html>bad gateway</html>`, BadGateway, 502, 0, "Gemini could not be reached (HTTP 502): <html>bad gateway</html>"},
		{"envoy connect failure", 503, "upstream connect error or disconnect/reset before headers. reset reason: connection failure", Overloaded, 503, 0, "Gemini could not be reached (HTTP 503): upstream connect error or disconnect/reset before headers. reset reason: connection failure"},
		{"empty body", 500, ``, Server, 500, 0, "Gemini answered HTTP 500 without an error message"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := FromGemini(tt.status, []byte(tt.body))
			if e.Kind != tt.kind || e.Status != tt.wantStatus || e.RetryAfterMs != tt.retryMs || e.Message != tt.msg {
				t.Fatalf("got kind=%d status=%d retry=%d msg=%q", e.Kind, e.Status, e.RetryAfterMs, e.Message)
			}
		})
	}
}

func TestRetryAfterSecondsRoundsUp(t *testing.T) {
	for in, want := range map[string]int64{"23s": 23, "1.5s": 2, "0.001s": 1, "": 0, "junk": 0} {
		e := &Error{RetryAfterMs: parseDurationMs(in)}
		if got := e.RetryAfterSeconds(); got != want {
			t.Errorf("%q: got %d want %d", in, got, want)
		}
	}
}

func TestPath(t *testing.T) {
	for _, tt := range []struct {
		p    Path
		sub  string
		want string
	}{
		{Path{Base: "messages", I: -1, J: -1}, "", "messages"},
		{Path{Base: "messages", I: 3, J: -1}, ".role", "messages[3].role"},
		{Path{Base: "messages", I: 3, Mid: ".content", J: -1}, "", "messages[3].content"},
		{Path{Base: "messages", I: 12, Mid: ".content", J: 0}, ".text", "messages[12].content[0].text"},
		{Path{Base: "messages", I: 3, Mid: ".content", J: -1}.Elem(7), ".type", "messages[3].content[7].type"},
		{Path{Base: "messages", I: 3, Mid: ".content", J: 2, Dots: true}, ".text", "messages.3.content.2.text"},
		{Path{Base: "messages", I: 0, J: -1, Dots: true}, "", "messages.0"},
		{Path{Base: "input[2].content", I: -1, J: -1}.Elem(4), ".text", "input[2].content[4].text"},
	} {
		if got := tt.p.At(tt.sub); got != tt.want {
			t.Errorf("%+v.At(%q) = %q, want %q", tt.p, tt.sub, got, tt.want)
		}
	}
}
