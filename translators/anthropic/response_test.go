package anthropic

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
)

func mustParse(t testing.TB, in string) *MessagesRequest { return envtest.Parse(t, ParseMessages, in) }

const plainReq = `{"model":"claude-sonnet-4-5","max_tokens":100,"messages":[{"role":"user","content":"x"}]}`

func TestResponse(t *testing.T) {
	const zeroUsage = `"usage":{"input_tokens":0,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}`
	tests := []struct{ name, gemini, want string }{
		{
			name: "thinking, text, calls, usage",
			gemini: `{"candidates":[{"content":{"role":"model","parts":[{"text":"Let me think","thought":true},{"text":" more","thought":true},
				{"text":"Checking.","thoughtSignature":"Q3R+/w=="},{"functionCall":{"name":"get_weather","args":{"city":"Paris"}},"thoughtSignature":"AAEC"},{"functionCall":{"name":"get_time"}}]},
				"finishReason":"STOP","index":0}],
				"usageMetadata":{"promptTokenCount":120,"cachedContentTokenCount":20,"candidatesTokenCount":30,"thoughtsTokenCount":50,"toolUsePromptTokenCount":5,"totalTokenCount":205},
				"modelVersion":"gemini-2.5-pro","responseId":"abc"}`,
			want: `{"id":"msg_abc","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[
				{"type":"thinking","thinking":"Let me think more","signature":"gsig1.tx.Q3R-_w"},
				{"type":"text","text":"Checking."},
				{"type":"tool_use","id":"toolu_X__ts_AAEC","name":"get_weather","input":{"city":"Paris"}},
				{"type":"tool_use","id":"toolu_X","name":"get_time","input":{}}],
				"stop_reason":"tool_use","stop_sequence":null,
				"usage":{"input_tokens":105,"output_tokens":80,"cache_creation_input_tokens":0,"cache_read_input_tokens":20}}`,
		},
		{
			name:   "thinking then a call carrying the signature",
			gemini: `{"candidates":[{"content":{"parts":[{"text":"plan","thought":true},{"functionCall":{"name":"f","args":{"a":1}},"thoughtSignature":"AAEC"}]},"finishReason":"STOP"}],"responseId":"r"}`,
			want: `{"id":"msg_r","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[
				{"type":"thinking","thinking":"plan","signature":"gsig1.fc.AAEC"},
				{"type":"tool_use","id":"toolu_X__ts_AAEC","name":"f","input":{"a":1}}],
				"stop_reason":"tool_use","stop_sequence":null,` + zeroUsage + `}`,
		},
		{
			name:   "signature carrier part, thinking without signature",
			gemini: `{"candidates":[{"content":{"parts":[{"text":"t","thought":true},{"text":"","thoughtSignature":"AAEC"},{"text":"answer"}]},"finishReason":"STOP"}],"responseId":"r"}`,
			want: `{"id":"msg_r","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[
				{"type":"thinking","thinking":"t","signature":"gsig1.tx.AAEC"},{"type":"text","text":"answer"}],
				"stop_reason":"end_turn","stop_sequence":null,` + zeroUsage + `}`,
		},
		{
			name:   "no thoughts: a text signature moves to the next call's id",
			gemini: `{"candidates":[{"content":{"parts":[{"text":"Sure","thoughtSignature":"AAEC"},{"functionCall":{"name":"f"}}]},"finishReason":"STOP"}],"responseId":"r"}`,
			want: `{"id":"msg_r","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[
				{"type":"text","text":"Sure"},{"type":"tool_use","id":"toolu_X__ts_AAEC","name":"f","input":{}}],
				"stop_reason":"tool_use","stop_sequence":null,` + zeroUsage + `}`,
		},
		{
			name:   "thought without text is no block; max tokens",
			gemini: `{"candidates":[{"content":{"parts":[{"text":"","thought":true},{"text":"a"},{"text":"b"}]},"finishReason":"MAX_TOKENS"}],"responseId":"r"}`,
			want: `{"id":"msg_r","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"ab"}],
				"stop_reason":"max_tokens","stop_sequence":null,` + zeroUsage + `}`,
		},
		{
			name:   "safety with partial text is a refusal; only candidate 0",
			gemini: `{"candidates":[{"content":{"parts":[{"text":"other"}]},"finishReason":"STOP","index":1},{"content":{"parts":[{"text":"partial"}]},"finishReason":"SAFETY","index":0}],"responseId":"r"}`,
			want: `{"id":"msg_r","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"partial"}],
				"stop_reason":"refusal","stop_sequence":null,` + zeroUsage + `}`,
		},
		{
			name:   "blocked prompt",
			gemini: `{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":13,"totalTokenCount":13},"responseId":"r"}`,
			want: `{"id":"msg_r","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],
				"stop_reason":"refusal","stop_sequence":null,"usage":{"input_tokens":13,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":0}}`,
		},
		{
			name:   "no responseId: random id; other finish reasons end the turn",
			gemini: `{"candidates":[{"content":{"parts":[{"text":"x"},{"executableCode":{"code":"1"}}]},"finishReason":"TOO_MANY_TOOL_CALLS"}]}`,
			want: `{"id":"msg_X","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"x"}],
				"stop_reason":"end_turn","stop_sequence":null,` + zeroUsage + `}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, e := mustParse(t, plainReq).Response([]byte(tt.gemini))
			if e != nil {
				t.Fatal(e)
			}
			out = jsontest.NormalizeIDs(out)
			jsontest.Equal(t, out, tt.want)
		})
	}
}

func TestResponseErrors(t *testing.T) {
	r := mustParse(t, plainReq)
	for name, tc := range map[string]struct {
		body   string
		kind   apierror.Kind
		status int // what the client sees
		typ    string
	}{
		"malformed function call": {`{"candidates":[{"content":{},"finishReason":"MALFORMED_FUNCTION_CALL"}]}`, apierror.BadGateway, 502, "api_error"},
		"unexpected tool call":    {`{"candidates":[{"finishReason":"UNEXPECTED_TOOL_CALL"}]}`, apierror.BadGateway, 502, "api_error"},
		"not json":                {`<html>`, apierror.BadGateway, 502, "api_error"},
		"error object in a 200":   {`{"error":{"code":503,"message":"overloaded","status":"UNAVAILABLE"}}`, apierror.Overloaded, 529, "overloaded_error"},
		"array-wrapped error":     {`[{"error":{"code":429,"message":"slow","status":"RESOURCE_EXHAUSTED"}}]`, apierror.RateLimited, 429, "rate_limit_error"},
	} {
		t.Run(name, func(t *testing.T) {
			_, e := r.Response([]byte(tc.body))
			if e == nil || e.Kind != tc.kind || Status(e) != tc.status {
				t.Fatalf("got %+v", e)
			}
			jsontest.Equal(t, ErrorBody(e), `{"type":"error","error":{"type":"`+tc.typ+`","message":`+string(mustJSON(e.Message))+`}}`)
		})
	}
}

// sseEvent is one client event.
type sseEvent struct{ name, data string }

func (e sseEvent) String() string { return e.name + " " + e.data }

// splitEvents parses the translator's output, checking the framing: every
// event is `event: X\ndata: {json with "type":X}`.
func splitEvents(t testing.TB, out []byte) []sseEvent {
	t.Helper()
	s := string(out)
	if s != "" && !strings.HasSuffix(s, "\n\n") {
		t.Fatalf("output does not end with a blank line: %q", s)
	}
	var evs []sseEvent
	for _, block := range strings.Split(strings.TrimSuffix(s, "\n\n"), "\n\n") {
		if block == "" {
			continue
		}
		name, data, ok := strings.Cut(block, "\n")
		if !ok || !strings.HasPrefix(name, "event: ") || !strings.HasPrefix(data, "data: ") || strings.Contains(data, "\n") {
			t.Fatalf("bad SSE framing: %q", block)
		}
		ev := sseEvent{name[len("event: "):], data[len("data: "):]}
		var probe struct{ Type string }
		if err := json.Unmarshal([]byte(ev.data), &probe); err != nil || probe.Type != ev.name {
			t.Fatalf("event %q carries %q (err %v)", ev.name, ev.data, err)
		}
		evs = append(evs, ev)
	}
	return evs
}

// accumulate replays events the way anthropic-sdk-go's Message.Accumulate
// does and enforces its rules (contiguous indices from 0, deltas only to an
// open block, one signature per thinking block), plus the overall order:
// message_start, ping, blocks, message_delta, message_stop — or an error
// event as the very last thing. It returns the message's content blocks.
func accumulate(evs []sseEvent) (content []map[string]any, stop string, err error) {
	state := 0 // 0 before start, 1 in message, 2 after message_delta, 3 stopped
	open := -1
	sigs := map[int]int{}
	for i, ev := range evs {
		var d map[string]any
		if err := json.Unmarshal([]byte(ev.data), &d); err != nil {
			return nil, "", err
		}
		idx := -1
		if v, ok := d["index"].(float64); ok {
			idx = int(v)
		}
		switch ev.name {
		case "error":
			if i != len(evs)-1 {
				return nil, "", fmt.Errorf("events after error")
			}
			return content, "error", nil
		case "message_start":
			if state != 0 {
				return nil, "", fmt.Errorf("second message_start")
			}
			state = 1
		case "ping":
			if state != 1 {
				return nil, "", fmt.Errorf("ping outside message")
			}
		case "content_block_start":
			if state != 1 || open != -1 || idx != len(content) {
				return nil, "", fmt.Errorf("event %d: block start %d with %d blocks, open %d", i, idx, len(content), open)
			}
			content = append(content, d["content_block"].(map[string]any))
			open = idx
		case "content_block_delta":
			if idx != open || idx < 0 {
				return nil, "", fmt.Errorf("delta to %d, open %d", idx, open)
			}
			cb, delta := content[idx], d["delta"].(map[string]any)
			switch delta["type"] {
			case "text_delta":
				if cb["type"] != "text" {
					return nil, "", fmt.Errorf("text_delta to %v", cb["type"])
				}
				cb["text"] = cb["text"].(string) + delta["text"].(string)
			case "thinking_delta":
				if cb["type"] != "thinking" || sigs[idx] > 0 {
					return nil, "", fmt.Errorf("thinking_delta misplaced")
				}
				cb["thinking"] = cb["thinking"].(string) + delta["thinking"].(string)
			case "signature_delta":
				if cb["type"] != "thinking" || sigs[idx] > 0 {
					return nil, "", fmt.Errorf("signature_delta misplaced")
				}
				sigs[idx]++
				cb["signature"] = delta["signature"]
			case "citations_delta":
				if cb["type"] != "text" {
					return nil, "", fmt.Errorf("citations_delta to %v", cb["type"])
				}
				cites, _ := cb["citations"].([]any)
				cb["citations"] = append(cites, delta["citation"])
			case "input_json_delta":
				if cb["type"] != "tool_use" && cb["type"] != "server_tool_use" {
					return nil, "", fmt.Errorf("input_json_delta to %v", cb["type"])
				}
				var in any
				if err := json.Unmarshal([]byte(delta["partial_json"].(string)), &in); err != nil {
					return nil, "", fmt.Errorf("partial_json %v", err)
				}
				cb["input"] = in
			default:
				return nil, "", fmt.Errorf("delta type %v", delta["type"])
			}
		case "content_block_stop":
			if idx != open {
				return nil, "", fmt.Errorf("stop %d, open %d", idx, open)
			}
			open = -1
		case "message_delta":
			if state != 1 || open != -1 {
				return nil, "", fmt.Errorf("message_delta with open block or outside message")
			}
			state = 2
			stop, _ = d["delta"].(map[string]any)["stop_reason"].(string)
		case "message_stop":
			if state != 2 || i != len(evs)-1 {
				return nil, "", fmt.Errorf("message_stop misplaced")
			}
			state = 3
		default:
			return nil, "", fmt.Errorf("unknown event %q", ev.name)
		}
	}
	if len(evs) > 0 && state != 3 {
		return nil, "", fmt.Errorf("stream ended without message_stop or error")
	}
	return content, stop, nil
}

// streamOut runs a stream through the translator with the upstream bytes
// split at the given points.
func streamOut(r *MessagesRequest, upstream string, cuts ...int) ([]byte, *Stream) {
	s := r.NewStream().(*Stream)
	var out []byte
	prev := 0
	for _, c := range append(cuts, len(upstream)) {
		out = s.Write(out, []byte(upstream[prev:c]))
		prev = c
	}
	return s.Close(out), s
}

func streamEvents(t testing.TB, r *MessagesRequest, upstream string, cuts ...int) []string {
	t.Helper()
	out, _ := streamOut(r, upstream, cuts...)
	evs := splitEvents(t, out)
	if _, _, err := accumulate(evs); err != nil {
		t.Fatalf("SDK rules broken: %v\n%s", err, out)
	}
	var got []string
	for _, ev := range evs {
		got = append(got, ev.name+" "+string(jsontest.NormalizeIDs([]byte(ev.data))))
	}
	return got
}

// Thinking, then text carrying the signature, then two calls (the first
// signed), split over CRLF-framed events with multi-byte text.
const geminiStream = "data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Let me think\",\"thought\":true}]},\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":120,\"cachedContentTokenCount\":20,\"totalTokenCount\":120},\"responseId\":\"abc\"}\r\n\r\n" +
	"data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\" about 世界\",\"thought\":true}]},\"index\":0}],\"responseId\":\"abc\"}\r\n\r\n" +
	"data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"Checking \",\"thoughtSignature\":\"Q3R+/w==\"},{\"text\":\"the weather.\"}]},\"index\":0}],\"responseId\":\"abc\"}\r\n\r\n" +
	"data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"functionCall\":{\"name\":\"get_weather\",\"args\":{\"city\":\"Paris\"}},\"thoughtSignature\":\"AAEC\"},{\"functionCall\":{\"name\":\"get_time\",\"args\":{}}}]},\"index\":0}],\"responseId\":\"abc\"}\r\n\r\n" +
	"data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[]},\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":120,\"cachedContentTokenCount\":20,\"candidatesTokenCount\":30,\"thoughtsTokenCount\":50,\"totalTokenCount\":200},\"responseId\":\"abc\"}\r\n\r\n"

var geminiStreamWant = []string{
	`message_start {"type":"message_start","message":{"id":"msg_abc","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":100,"output_tokens":0,"cache_creation_input_tokens":0,"cache_read_input_tokens":20}}}`,
	`ping {"type":"ping"}`,
	`content_block_start {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":"","signature":""}}`,
	`content_block_delta {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me think"}}`,
	`content_block_delta {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":" about 世界"}}`,
	`content_block_delta {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"gsig1.tx.Q3R-_w"}}`,
	`content_block_stop {"type":"content_block_stop","index":0}`,
	`content_block_start {"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}`,
	`content_block_delta {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"Checking "}}`,
	`content_block_delta {"type":"content_block_delta","index":1,"delta":{"type":"text_delta","text":"the weather."}}`,
	`content_block_stop {"type":"content_block_stop","index":1}`,
	`content_block_start {"type":"content_block_start","index":2,"content_block":{"type":"tool_use","id":"toolu_X__ts_AAEC","name":"get_weather","input":{}}}`,
	`content_block_delta {"type":"content_block_delta","index":2,"delta":{"type":"input_json_delta","partial_json":"{\"city\":\"Paris\"}"}}`,
	`content_block_stop {"type":"content_block_stop","index":2}`,
	`content_block_start {"type":"content_block_start","index":3,"content_block":{"type":"tool_use","id":"toolu_X","name":"get_time","input":{}}}`,
	`content_block_delta {"type":"content_block_delta","index":3,"delta":{"type":"input_json_delta","partial_json":"{}"}}`,
	`content_block_stop {"type":"content_block_stop","index":3}`,
	`message_delta {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":80,"input_tokens":100,"cache_read_input_tokens":20}}`,
	`message_stop {"type":"message_stop"}`,
}

func TestStream(t *testing.T) {
	r := mustParse(t, `{"model":"claude-sonnet-4-5","max_tokens":100,"stream":true,"messages":[{"role":"user","content":"x"}]}`)
	jsontest.SameEvents(t, "whole", streamEvents(t, r, geminiStream), geminiStreamWant)
	// Every split point, including inside "\r\n" and inside 世界.
	for c := 0; c <= len(geminiStream); c++ {
		jsontest.SameEvents(t, fmt.Sprintf("split at %d", c), streamEvents(t, r, geminiStream, c), geminiStreamWant)
	}
	// Byte by byte.
	cuts := make([]int, 0, len(geminiStream))
	for c := 1; c < len(geminiStream); c++ {
		cuts = append(cuts, c)
	}
	jsontest.SameEvents(t, "byte by byte", streamEvents(t, r, geminiStream, cuts...), geminiStreamWant)
	_, s := streamOut(r, geminiStream)
	if u := s.Usage(); u.Output() != 80 || u.Cached != 20 || s.Failed() {
		t.Fatalf("usage %+v failed %v", u, s.Failed())
	}
}

func TestStreamIndexSequences(t *testing.T) {
	r := mustParse(t, plainReq)
	tests := []struct {
		name, upstream string
		want           []string // event name + index/kind, after message_start and ping
	}{
		{
			name:     "text then call",
			upstream: "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Sure\"}]}}],\"responseId\":\"i\"}\r\n\r\ndata: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\",\"args\":{\"a\":1}},\"thoughtSignature\":\"AAEC\"}]},\"finishReason\":\"STOP\"}],\"responseId\":\"i\"}\r\n\r\n",
			want: []string{"start 0 text", "delta 0 text_delta", "stop 0", "start 1 tool_use", "delta 1 input_json_delta", "stop 1",
				"message_delta tool_use", "message_stop"},
		},
		{
			name:     "thinking then text, signature on a carrier part",
			upstream: "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"hm\",\"thought\":true},{\"text\":\"\",\"thoughtSignature\":\"AAEC\"}]}}]}\n\ndata: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"A\"}]},\"finishReason\":\"STOP\"}]}\n\n",
			want: []string{"start 0 thinking", "delta 0 thinking_delta", "delta 0 signature_delta", "stop 0", "start 1 text", "delta 1 text_delta", "stop 1",
				"message_delta end_turn", "message_stop"},
		},
		{
			name:     "thinking without any signature, then max tokens inside text",
			upstream: "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"hm\",\"thought\":true},{\"text\":\"A\"}]},\"finishReason\":\"MAX_TOKENS\"}]}\n\n",
			want: []string{"start 0 thinking", "delta 0 thinking_delta", "stop 0", "start 1 text", "delta 1 text_delta", "stop 1",
				"message_delta max_tokens", "message_stop"},
		},
		{
			name:     "blocked prompt",
			upstream: "data: {\"promptFeedback\":{\"blockReason\":\"PROHIBITED_CONTENT\"},\"usageMetadata\":{\"promptTokenCount\":13,\"totalTokenCount\":13}}\r\n\r\n",
			want:     []string{"message_delta refusal", "message_stop"},
		},
		{
			name:     "safety mid-answer",
			upstream: "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}\n\ndata: {\"candidates\":[{\"finishReason\":\"SAFETY\"}]}\n\n",
			want:     []string{"start 0 text", "delta 0 text_delta", "stop 0", "message_delta refusal", "message_stop"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, _ := streamOut(r, tt.upstream)
			evs := splitEvents(t, out)
			if _, _, err := accumulate(evs); err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if len(evs) < 2 || evs[0].name != "message_start" || evs[1].name != "ping" {
				t.Fatalf("no message_start/ping:\n%s", out)
			}
			var got []string
			for _, ev := range evs[2:] {
				var d struct {
					Index        int
					ContentBlock struct{ Type string } `json:"content_block"`
					Delta        struct {
						Type       string
						StopReason string `json:"stop_reason"`
					}
				}
				_ = json.Unmarshal([]byte(ev.data), &d)
				switch ev.name {
				case "content_block_start":
					got = append(got, fmt.Sprintf("start %d %s", d.Index, d.ContentBlock.Type))
				case "content_block_delta":
					got = append(got, fmt.Sprintf("delta %d %s", d.Index, d.Delta.Type))
				case "content_block_stop":
					got = append(got, fmt.Sprintf("stop %d", d.Index))
				case "message_delta":
					got = append(got, "message_delta "+d.Delta.StopReason)
				default:
					got = append(got, ev.name)
				}
			}
			jsontest.SameEvents(t, tt.name, got, tt.want)
		})
	}
}

func TestStreamErrors(t *testing.T) {
	r := mustParse(t, plainReq)
	const truncated = `error {"type":"error","error":{"type":"api_error","message":"Gemini's stream ended before the answer was finished (no finishReason); the answer is incomplete. Retry the request."}}`
	tests := []struct {
		name, upstream string
		last           string
		started        bool // message_start precedes the error
	}{
		{"cut before finishReason", "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}],\"responseId\":\"i\"}\r\n\r\n", truncated, true},
		{"empty stream", "", truncated, false},
		{"bare error line mid-stream", "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]}}]}\r\n\r\n{\"error\":{\"code\":503,\"message\":\"overloaded\",\"status\":\"UNAVAILABLE\"}}\r\n",
			`error {"type":"error","error":{"type":"overloaded_error","message":"overloaded"}}`, true},
		{"error in a data event", "data: {\"error\":{\"code\":429,\"message\":\"slow\",\"status\":\"RESOURCE_EXHAUSTED\"}}\n\n",
			`error {"type":"error","error":{"type":"rate_limit_error","message":"slow"}}`, false},
		{"array-wrapped error", "[{\"error\":{\"code\":500,\"message\":\"boom\",\"status\":\"INTERNAL\"}}]\n",
			`error {"type":"error","error":{"type":"api_error","message":"boom"}}`, false},
		{"malformed function call", "data: {\"candidates\":[{\"content\":{},\"finishReason\":\"MALFORMED_FUNCTION_CALL\"}],\"responseId\":\"i\"}\r\n\r\n",
			`error {"type":"error","error":{"type":"api_error","message":"Gemini produced an invalid tool call (MALFORMED_FUNCTION_CALL); the answer was discarded. Retrying the request usually succeeds."}}`, true},
		{"not json", "data: {oops\n\n", `error {"type":"error","error":{"type":"api_error","message":"Gemini's stream carried an event that is not JSON."}}`, false},
		{"unterminated last event still counts", "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\"}]},\"finishReason\":\"STOP\"}]}",
			`message_stop {"type":"message_stop"}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for c := 0; c <= len(tt.upstream); c++ {
				got := streamEvents(t, r, tt.upstream, c)
				if len(got) == 0 || got[len(got)-1] != tt.last {
					t.Fatalf("split %d: got\n%s", c, strings.Join(got, "\n"))
				}
				if started := strings.HasPrefix(got[0], "message_start"); started != tt.started {
					t.Fatalf("split %d: message_start %v, want %v", c, started, tt.started)
				}
				_, s := streamOut(r, tt.upstream, c)
				if s.Failed() != strings.HasPrefix(tt.last, "error") {
					t.Fatalf("Failed() = %v", s.Failed())
				}
			}
			// Nothing more is written after the end.
			_, s := streamOut(r, tt.upstream)
			if out := s.Write(nil, []byte("data: {}\n\n")); len(out) != 0 {
				t.Fatalf("wrote after the end: %s", out)
			}
			if out := s.Close(nil); len(out) != 0 {
				t.Fatalf("closed twice: %s", out)
			}
		})
	}
}

// messageFromStream rebuilds the assistant message a client would keep.
func messageFromStream(t *testing.T, r *MessagesRequest, upstream string) string {
	t.Helper()
	out, _ := streamOut(r, upstream)
	content, _, err := accumulate(splitEvents(t, out))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(content)
	return string(b)
}

func messageFromResponse(t *testing.T, r *MessagesRequest, gemini string) string {
	t.Helper()
	out, e := r.Response([]byte(gemini))
	if e != nil {
		t.Fatal(e)
	}
	return string(jsontest.Member(t, out, "content"))
}

// A two-step tool loop with thinking on Gemini 3: the signatures Gemini gave
// must come back on the same parts when the client replays the history,
// whether it kept the thinking blocks or dropped them, streaming or not.
func TestToolLoopRoundTrip(t *testing.T) {
	const step1 = `{"candidates":[{"content":{"role":"model","parts":[{"text":"plan","thought":true},
		{"functionCall":{"name":"read","args":{"path":"/a"}},"thoughtSignature":"AAEC"},{"functionCall":{"name":"read","args":{"path":"/b"}}}]},"finishReason":"STOP"}],"responseId":"s1"}`
	const step2 = `{"candidates":[{"content":{"role":"model","parts":[{"text":"got it","thought":true},{"text":"Both files","thoughtSignature":"Q3R+/w=="},{"text":" are short."}]},"finishReason":"STOP"}],"responseId":"s2"}`
	toSSE := func(body string) string {
		var b bytes.Buffer
		if err := json.Compact(&b, []byte(body)); err != nil {
			t.Fatal(err)
		}
		return "data: " + b.String() + "\r\n\r\n"
	}
	const wantContents = `[{"role":"user","parts":[{"text":"read a and b"}]},
		{"role":"model","parts":[{"functionCall":{"name":"read","args":{"path":"/a"}},"thoughtSignature":"AAEC"},{"functionCall":{"name":"read","args":{"path":"/b"}}}]},
		{"role":"user","parts":[{"functionResponse":{"name":"read","response":{"output":"A"}}},{"functionResponse":{"name":"read","response":{"output":"B"}}}]},
		{"role":"model","parts":[{"text":"Both files are short.","thoughtSignature":"Q3R+/w=="}]},
		{"role":"user","parts":[{"text":"thanks"}]}]`
	// What the model saw as its latest turn when the client drops thinking
	// blocks: the call's signature survives in the id; the text one is lost
	// (Gemini does not validate text signatures).
	const wantContentsDropped = `[{"role":"user","parts":[{"text":"read a and b"}]},
		{"role":"model","parts":[{"functionCall":{"name":"read","args":{"path":"/a"}},"thoughtSignature":"AAEC"},{"functionCall":{"name":"read","args":{"path":"/b"}}}]},
		{"role":"user","parts":[{"functionResponse":{"name":"read","response":{"output":"A"}}},{"functionResponse":{"name":"read","response":{"output":"B"}}}]},
		{"role":"model","parts":[{"text":"Both files are short."}]},
		{"role":"user","parts":[{"text":"thanks"}]}]`

	for _, streaming := range []bool{false, true} {
		for _, dropThinking := range []bool{false, true} {
			t.Run(fmt.Sprintf("stream=%v dropThinking=%v", streaming, dropThinking), func(t *testing.T) {
				base := `{"model":"gemini-3-pro-preview","max_tokens":4000,"thinking":{"type":"enabled","budget_tokens":2000},"stream":` + fmt.Sprint(streaming) + `,"tools":[{"name":"read","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}],"messages":[`
				history := `{"role":"user","content":"read a and b"}`
				answer := func(gemini string) string {
					r := mustParse(t, base+history+`]}`)
					var content string
					if streaming {
						content = messageFromStream(t, r, toSSE(gemini))
					} else {
						content = messageFromResponse(t, r, gemini)
					}
					if dropThinking {
						var blocks []map[string]any
						_ = json.Unmarshal([]byte(content), &blocks)
						kept := blocks[:0]
						for _, b := range blocks {
							if b["type"] != "thinking" {
								kept = append(kept, b)
							}
						}
						out, _ := json.Marshal(kept)
						content = string(out)
					}
					return content
				}
				c1 := answer(step1)
				var blocks []struct{ Type, ID string }
				_ = json.Unmarshal([]byte(c1), &blocks)
				var ids []string
				for _, b := range blocks {
					if b.Type == "tool_use" {
						ids = append(ids, b.ID)
					}
				}
				if len(ids) != 2 || !strings.HasSuffix(ids[0], "__ts_AAEC") || strings.Contains(ids[1], "__ts_") {
					t.Fatalf("tool ids %v in %s", ids, c1)
				}
				history += `,{"role":"assistant","content":` + c1 + `},{"role":"user","content":[` +
					`{"type":"tool_result","tool_use_id":"` + ids[0] + `","content":"A"},{"type":"tool_result","tool_use_id":"` + ids[1] + `","content":[{"type":"text","text":"B"}]}]}`
				c2 := answer(step2)
				history += `,{"role":"assistant","content":` + c2 + `},{"role":"user","content":"thanks"}`
				r := mustParse(t, base+history+`]}`)
				var body struct{ Contents json.RawMessage }
				_ = json.Unmarshal(r.Body, &body)
				want := wantContents
				if dropThinking {
					want = wantContentsDropped
				}
				jsontest.Equal(t, body.Contents, want)
			})
		}
	}
}

func FuzzStream(f *testing.F) {
	f.Add([]byte(geminiStream), 10)
	f.Add([]byte("data: {\"promptFeedback\":{\"blockReason\":\"OTHER\"}}\n\n"), 3)
	f.Add([]byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\",\"thought\":true},{\"text\":\"\",\"thoughtSignature\":\"AAEC\"},{\"functionCall\":{\"name\":\"f\",\"args\":{\"x\":[1]}}}]},\"finishReason\":\"STOP\"}]}\r\n\r\n{\"error\":{}}\n"), 40)
	f.Add([]byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"a\",\"thought\":true},{\"functionCall\":{\"name\":\"\"}}]},\"finishReason\":\"STOP\"}]}\r\n\r\n"), 30)
	f.Add([]byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":{\"name\":\"f\",\"args\":"+jsontest.Deep(300)+"}}]}}]}\n\n"), 7)
	f.Add([]byte("data: {\"candidates\":[{\"content\":{\"parts\":[{\"functionCall\":null},{\"functionCall\":{\"name\":\"g\",\"args\":\"x\"}}]}}]}\n\n"), 0)
	r, _ := ParseMessages([]byte(plainReq), envtest.Env(nil))
	f.Fuzz(func(t *testing.T, up []byte, cut int) {
		s := r.NewStream()
		out := jsontest.WriteSplit(s, up, cut)
		evs := splitEvents(t, out)
		if len(evs) == 0 {
			t.Fatalf("no events for %q", up)
		}
		if _, _, err := accumulate(evs); err != nil {
			t.Fatalf("%v for %q:\n%s", err, up, out)
		}
		if s.Failed() != (evs[len(evs)-1].name == "error") {
			t.Fatalf("Failed() disagrees with the output")
		}
		// The non-streaming translation of any single event is valid too.
		if body, e := r.Response(up); e == nil && !json.Valid(body) {
			t.Fatalf("invalid response for %q: %s", up, body)
		}
	})
}

// A streamed request without `thinking` asks Gemini for thought summaries
// only to keep the client's stream alive: they come out as pings, never as
// content, and the blocks that follow start at index 0.
func TestStreamThinkingPings(t *testing.T) {
	in := `{"model":"gemini-2.5-flash","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"x"}]}`
	r, e := ParseMessages([]byte(in), envtest.Env(nil, envtest.ThinkingPings))
	if e != nil {
		t.Fatal(e)
	}
	if !strings.Contains(string(r.Body), `"thinkingConfig":{"includeThoughts":true}`) {
		t.Fatalf("thought summaries not requested: %s", r.Body)
	}
	got := streamEvents(t, r, geminiStream)
	var pings, thinking int
	for _, ev := range got {
		if strings.HasPrefix(ev, "ping ") {
			pings++
		}
		if strings.Contains(ev, `"thinking`) {
			thinking++
		}
	}
	// One ping after message_start, one per thought chunk.
	if pings != 3 || thinking != 0 {
		t.Fatalf("pings=%d thinking events=%d:\n%s", pings, thinking, strings.Join(got, "\n"))
	}
	if !strings.Contains(strings.Join(got, "\n"), `content_block_start {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`) {
		t.Fatalf("text must be block 0:\n%s", strings.Join(got, "\n"))
	}
	// The signature on the thought-less text goes into the first call's id.
	if !strings.Contains(strings.Join(got, "\n"), `__ts_`) {
		t.Fatal("the step's signature was lost")
	}

	for _, tc := range []struct{ name, in string }{
		{"not streamed", `{"model":"gemini-2.5-flash","max_tokens":1024,"messages":[{"role":"user","content":"x"}]}`},
		{"client chose thinking", `{"model":"gemini-2.5-flash","max_tokens":2048,"stream":true,"thinking":{"type":"disabled"},"messages":[{"role":"user","content":"x"}]}`},
		{"model without thinking", `{"model":"gemini-2.0-flash","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"x"}]}`},
	} {
		r, e := ParseMessages([]byte(tc.in), envtest.Env(nil, envtest.ThinkingPings))
		if e != nil {
			t.Fatal(e)
		}
		if strings.Contains(string(r.Body), "includeThoughts") {
			t.Fatalf("%s: thoughts requested: %s", tc.name, r.Body)
		}
	}
}
