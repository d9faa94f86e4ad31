package openai

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/jsontest"
)

// codexRequest is the shape of Codex's requests: reasoning summaries and
// encrypted content asked for, a custom and a namespaced tool declared.
const codexRequest = `{"model":"gemini-3-pro-preview","stream":%s,"input":"x","store":false,
	"include":["reasoning.encrypted_content"],"reasoning":{"summary":"auto"},
	"tools":[{"type":"function","name":"exec_command","parameters":{"type":"object","properties":{"cmd":{"type":"string"}}}},
		{"type":"custom","name":"apply_patch"},
		{"type":"namespace","name":"multi_agent_v1","tools":[{"type":"function","name":"close_agent"}]}]}`

func mustParseResponses(t testing.TB, in string) *ResponsesRequest {
	return envtest.Parse(t, ParseResponses, in)
}

const responsesUsage = `"usage":{"input_tokens":9,"input_tokens_details":{"cached_tokens":2},"output_tokens":7,"output_tokens_details":{"reasoning_tokens":3},"total_tokens":16}`

func TestResponsesResponse(t *testing.T) {
	codex := strings.Replace(codexRequest, "%s", "false", 1)
	usage := `"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":4,"thoughtsTokenCount":3,"cachedContentTokenCount":2,"totalTokenCount":16}`
	tests := []struct{ name, req, gemini, want string }{
		{
			// The text's signature (on its last part) rides in a reasoning
			// item after the message.
			name:   "thought summary, text, text signature",
			req:    codex,
			gemini: `{"candidates":[{"content":{"role":"model","parts":[{"text":"think","thought":true},{"text":"Bonjour"},{"text":" le monde","thoughtSignature":"c2ln"}]},"finishReason":"STOP","index":0}],` + usage + `,"responseId":"abc"}`,
			want: `{"id":"resp_abc","status":"completed","error":null,"incomplete_details":null,"output":[
				{"id":"rs_X","type":"reasoning","summary":[{"type":"summary_text","text":"think"}]},
				{"id":"msg_X","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Bonjour le monde","annotations":[],"logprobs":[]}]},
				{"id":"rs_X","type":"reasoning","summary":[],"encrypted_content":"gsig1.tx.c2ln"}],` + responsesUsage + `}`,
		},
		{
			// Calls: the signature in the first call id; custom and
			// namespaced tools answered in the client's terms.
			name: "function, custom and namespaced calls",
			req:  codex,
			gemini: `{"candidates":[{"content":{"role":"model","parts":[{"text":"Running."},
				{"functionCall":{"name":"exec_command","args":{"cmd":"ls"}},"thoughtSignature":"AAEC"},
				{"functionCall":{"name":"apply_patch","args":{"input":"*** Begin Patch\n*** End Patch"}}},
				{"functionCall":{"name":"multi_agent_v1.close_agent","args":{"target":"a"}}}]},"finishReason":"STOP"}],"responseId":"r1"}`,
			want: `{"id":"resp_r1","status":"completed","error":null,"incomplete_details":null,"output":[
				{"id":"msg_X","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"Running.","annotations":[],"logprobs":[]}]},
				{"id":"fc_X","type":"function_call","status":"completed","call_id":"call_X__ts_AAEC","name":"exec_command","arguments":"{\"cmd\":\"ls\"}"},
				{"id":"ctc_X","type":"custom_tool_call","status":"completed","call_id":"call_X","name":"apply_patch","input":"*** Begin Patch\n*** End Patch"},
				{"id":"fc_X","type":"function_call","status":"completed","call_id":"call_X","namespace":"multi_agent_v1","name":"close_agent","arguments":"{\"target\":\"a\"}"}],
				"usage":{"input_tokens":0,"input_tokens_details":{"cached_tokens":0},"output_tokens":0,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":0}}`,
		},
		{
			// Without include reasoning.encrypted_content nor summaries
			// (an SDK user), no reasoning items at all.
			name:   "max tokens: incomplete; no reasoning items when not asked",
			req:    `{"model":"gpt-4o","input":"x"}`,
			gemini: `{"candidates":[{"content":{"parts":[{"text":"hidden","thought":true},{"text":"a","thoughtSignature":"c2ln"}]},"finishReason":"MAX_TOKENS"}],"responseId":"r2"}`,
			want: `{"id":"resp_r2","status":"incomplete","error":null,"incomplete_details":{"reason":"max_output_tokens"},"output":[
				{"id":"msg_X","type":"message","status":"completed","role":"assistant","content":[{"type":"output_text","text":"a","annotations":[],"logprobs":[]}]}],
				"usage":{"input_tokens":0,"input_tokens_details":{"cached_tokens":0},"output_tokens":0,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":0}}`,
		},
		{
			name:   "safety stop: incomplete, content_filter",
			req:    `{"model":"gpt-4o","input":"x"}`,
			gemini: `{"candidates":[{"finishReason":"SAFETY"}],"responseId":"r3"}`,
			want: `{"id":"resp_r3","status":"incomplete","error":null,"incomplete_details":{"reason":"content_filter"},"output":[],
				"usage":{"input_tokens":0,"input_tokens_details":{"cached_tokens":0},"output_tokens":0,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":0}}`,
		},
		{
			name:   "blocked prompt: a refusal",
			req:    `{"model":"gpt-4o","input":"x"}`,
			gemini: `{"promptFeedback":{"blockReason":"PROHIBITED_CONTENT"},"usageMetadata":{"promptTokenCount":13,"totalTokenCount":13},"responseId":"r4"}`,
			want: `{"id":"resp_r4","status":"incomplete","error":null,"incomplete_details":{"reason":"content_filter"},"output":[
				{"id":"msg_X","type":"message","status":"completed","role":"assistant","content":[{"type":"refusal","refusal":"Gemini blocked the prompt: PROHIBITED_CONTENT"}]}],
				"usage":{"input_tokens":13,"input_tokens_details":{"cached_tokens":0},"output_tokens":0,"output_tokens_details":{"reasoning_tokens":0},"total_tokens":13}}`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, e := mustParseResponses(t, tt.req).Response([]byte(tt.gemini))
			if e != nil {
				t.Fatal(e)
			}
			var full map[string]json.RawMessage
			if err := json.Unmarshal(out, &full); err != nil {
				t.Fatalf("not JSON: %v\n%s", err, out)
			}
			if string(full["object"]) != `"response"` || string(full["created_at"]) != "1700000000" {
				t.Fatalf("object/created_at: %s", out)
			}
			// Compare the fields that depend on the answer.
			picked := map[string]json.RawMessage{}
			for _, k := range []string{"id", "status", "error", "incomplete_details", "output", "usage"} {
				picked[k] = full[k]
			}
			got, _ := json.Marshal(picked)
			jsontest.Equal(t, jsontest.NormalizeIDs(got), tt.want)
		})
	}
}

func TestResponsesResponseErrors(t *testing.T) {
	req := mustParseResponses(t, `{"model":"gpt-4o","input":"x"}`)
	tests := []struct {
		name, gemini string
		status       int
		code         string
	}{
		{"malformed function call", `{"candidates":[{"finishReason":"MALFORMED_FUNCTION_CALL"}]}`, 502, ""},
		{"functionCall without a name", `{"candidates":[{"content":{"parts":[{"text":"a"},{"functionCall":{"args":{}}}]},"finishReason":"STOP"}]}`, 502, ""},
		{"answer nested too deep", `{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"a":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}}}]}}]}`, 502, ""},
		{"error object", `{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"slow down"}}`, 429, "rate_limit_exceeded"},
		{"not JSON", `<html>`, 502, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, e := req.Response([]byte(tt.gemini))
			if e == nil || Status(e) != tt.status {
				t.Fatalf("got %+v, want status %d", e, tt.status)
			}
			var b struct{ Error struct{ Code *string } }
			if err := json.Unmarshal(ErrorBody(e), &b); err != nil {
				t.Fatal(err)
			}
			if tt.code != "" && (b.Error.Code == nil || *b.Error.Code != tt.code) {
				t.Fatalf("code %v, want %s", b.Error.Code, tt.code)
			}
		})
	}
}

// streamEvent is one parsed SSE event of a Responses stream.
type streamEvent struct {
	name string
	data map[string]any
	raw  string
}

func parseStream(t *testing.T, out []byte) []streamEvent {
	t.Helper()
	var evs []streamEvent
	for _, block := range strings.Split(string(out), "\n\n") {
		if block == "" {
			continue
		}
		name, data, ok := strings.Cut(block, "\ndata: ")
		if !ok || !strings.HasPrefix(name, "event: ") {
			t.Fatalf("bad SSE block %q", block)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(data), &m); err != nil {
			t.Fatalf("event data is not JSON: %v\n%s", err, data)
		}
		if m["type"] != name[len("event: "):] {
			t.Fatalf("event name %q, data type %v", name, m["type"])
		}
		evs = append(evs, streamEvent{name: name[len("event: "):], data: m, raw: data})
	}
	return evs
}

// checkGrammar asserts the Responses stream grammar: created and
// in_progress first, sequence numbers 0,1,2…, every item added then done at
// its output index with its parts opened and closed in between, deltas only
// inside their item, exactly one terminal event, last, whose output is the
// items done. It returns the terminal event.
func checkGrammar(t *testing.T, evs []streamEvent) streamEvent {
	t.Helper()
	if len(evs) < 3 || evs[0].name != "response.created" || evs[1].name != "response.in_progress" {
		t.Fatalf("stream does not start with created, in_progress: %v", names(evs))
	}
	var open string // item id open
	var doneItems []any
	index := 0.0
	for i, ev := range evs {
		if seq := ev.data["sequence_number"]; seq != float64(i) {
			t.Fatalf("event %d (%s) has sequence_number %v", i, ev.name, seq)
		}
		switch ev.name {
		case "response.output_item.added":
			item := ev.data["item"].(map[string]any)
			if open != "" || ev.data["output_index"] != index {
				t.Fatalf("item added while %q open, or at index %v (want %v): %v", open, ev.data["output_index"], index, names(evs))
			}
			open = item["id"].(string)
		case "response.output_item.done":
			item := ev.data["item"].(map[string]any)
			if item["id"] != open || ev.data["output_index"] != index {
				t.Fatalf("item %v done but %q open", item["id"], open)
			}
			doneItems = append(doneItems, item)
			open = ""
			index++
		case "response.completed", "response.incomplete", "response.failed":
			if i != len(evs)-1 {
				t.Fatalf("terminal event %s is not last: %v", ev.name, names(evs))
			}
			if ev.name != "response.failed" && open != "" {
				t.Fatalf("terminal event with item %q open", open)
			}
			resp := ev.data["response"].(map[string]any)
			got, _ := json.Marshal(resp["output"])
			want, _ := json.Marshal(doneItems)
			if doneItems == nil {
				want = []byte("[]")
			}
			if string(got) != string(want) {
				t.Fatalf("terminal output %s, items done %s", got, want)
			}
			return ev
		default:
			if id, ok := ev.data["item_id"]; ok && id != open {
				t.Fatalf("%s for item %v while %q is open", ev.name, id, open)
			}
		}
	}
	t.Fatalf("no terminal event: %v", names(evs))
	return streamEvent{}
}

func names(evs []streamEvent) []string {
	var n []string
	for _, e := range evs {
		n = append(n, e.name)
	}
	return n
}

func sse(events ...string) string {
	var b strings.Builder
	for _, e := range events {
		b.WriteString("data: " + e + "\r\n\r\n")
	}
	return b.String()
}

func TestResponsesStream(t *testing.T) {
	codex := strings.Replace(codexRequest, "%s", "true", 1)
	tests := []struct {
		name, req, upstream string
		wantNames           []string // event names, in order
		check               func(t *testing.T, evs []streamEvent)
	}{
		{
			// One delta per upstream event: three text events, three
			// deltas, though the parts could be merged.
			name: "text in three events; a signature after the text",
			req:  codex,
			upstream: sse(`{"candidates":[{"content":{"role":"model","parts":[{"text":"Bon"}]},"index":0}],"responseId":"s1"}`,
				`{"candidates":[{"content":{"role":"model","parts":[{"text":"jour"},{"text":" le"}]},"index":0}]}`,
				`{"candidates":[{"content":{"role":"model","parts":[{"text":" monde"},{"text":"","thoughtSignature":"c2ln"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":4,"thoughtsTokenCount":3,"cachedContentTokenCount":2,"totalTokenCount":16}}`),
			wantNames: []string{"response.created", "response.in_progress",
				"response.output_item.added", "response.content_part.added",
				"response.output_text.delta", "response.output_text.delta", "response.output_text.delta",
				"response.output_text.done", "response.content_part.done", "response.output_item.done",
				"response.output_item.added", "response.output_item.done", "response.completed"},
			check: func(t *testing.T, evs []streamEvent) {
				if d := evs[5].data["delta"]; d != "jour le" {
					t.Fatalf("second delta %q", d)
				}
				if txt := evs[7].data["text"]; txt != "Bonjour le monde" {
					t.Fatalf("text done %q", txt)
				}
				if enc := evs[11].data["item"].(map[string]any)["encrypted_content"]; enc != "gsig1.tx.c2ln" {
					t.Fatalf("signature item %v", evs[11].raw)
				}
				resp := evs[12].data["response"].(map[string]any)
				usage, _ := json.Marshal(resp["usage"])
				jsontest.Equal(t, usage, responsesUsage[len(`"usage":`):])
				if resp["id"] != "resp_s1" || resp["status"] != "completed" {
					t.Fatalf("completed %v", evs[12].raw)
				}
			},
		},
		{
			name: "thought summary, then calls",
			req:  codex,
			upstream: sse(`{"candidates":[{"content":{"role":"model","parts":[{"text":"Let me","thought":true}]},"index":0}],"responseId":"s2"}`,
				`{"candidates":[{"content":{"role":"model","parts":[{"text":" look.","thought":true}]},"index":0}]}`,
				`{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"exec_command","args":{"cmd":"ls"}},"thoughtSignature":"AAEC"}]},"index":0}]}`,
				`{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"apply_patch","args":{"input":"p"}}}]},"finishReason":"STOP","index":0}]}`),
			wantNames: []string{"response.created", "response.in_progress",
				"response.output_item.added", "response.reasoning_summary_part.added",
				"response.reasoning_summary_text.delta", "response.reasoning_summary_text.delta",
				"response.reasoning_summary_text.done", "response.reasoning_summary_part.done", "response.output_item.done",
				"response.output_item.added", "response.function_call_arguments.delta", "response.function_call_arguments.done", "response.output_item.done",
				"response.output_item.added", "response.custom_tool_call_input.delta", "response.custom_tool_call_input.done", "response.output_item.done",
				"response.completed"},
			check: func(t *testing.T, evs []streamEvent) {
				if txt := evs[6].data["text"]; txt != "Let me look." {
					t.Fatalf("summary %q", txt)
				}
				call := evs[12].data["item"].(map[string]any)
				if !strings.HasSuffix(call["call_id"].(string), "__ts_AAEC") || call["arguments"] != `{"cmd":"ls"}` || call["status"] != "completed" {
					t.Fatalf("function call %v", evs[12].raw)
				}
				if added := evs[9].data["item"].(map[string]any); added["arguments"] != "" || added["status"] != "in_progress" {
					t.Fatalf("added call %v", evs[9].raw)
				}
				if done := evs[15].data; done["input"] != "p" {
					t.Fatalf("custom input done %v", evs[15].raw)
				}
			},
		},
		{
			name:      "max tokens: response.incomplete",
			req:       `{"model":"gpt-4o","stream":true,"input":"x"}`,
			upstream:  sse(`{"candidates":[{"content":{"parts":[{"text":"a"}]},"finishReason":"MAX_TOKENS","index":0}]}`),
			wantNames: []string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.output_text.done", "response.content_part.done", "response.output_item.done", "response.incomplete"},
			check: func(t *testing.T, evs []streamEvent) {
				d := evs[8].data["response"].(map[string]any)["incomplete_details"].(map[string]any)
				if d["reason"] != "max_output_tokens" {
					t.Fatalf("incomplete %v", evs[8].raw)
				}
			},
		},
		{
			name:      "blocked prompt: a refusal, incomplete",
			req:       `{"model":"gpt-4o","stream":true,"input":"x"}`,
			upstream:  sse(`{"promptFeedback":{"blockReason":"SAFETY"},"usageMetadata":{"promptTokenCount":3,"totalTokenCount":3}}`),
			wantNames: []string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.refusal.delta", "response.refusal.done", "response.content_part.done", "response.output_item.done", "response.incomplete"},
		},
		{
			// A stream Gemini ends without a finish reason is a failure
			// (Codex retries it), never a short answer.
			name:      "cut stream: response.failed",
			req:       `{"model":"gpt-4o","stream":true,"input":"x"}`,
			upstream:  sse(`{"candidates":[{"content":{"parts":[{"text":"partial"}]},"index":0}]}`),
			wantNames: []string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.failed"},
			check: func(t *testing.T, evs []streamEvent) {
				resp := evs[5].data["response"].(map[string]any)
				e := resp["error"].(map[string]any)
				if resp["status"] != "failed" || e["code"] != "server_error" || !strings.Contains(e["message"].(string), "ended before") {
					t.Fatalf("failed %v", evs[5].raw)
				}
			},
		},
		{
			// Codex reads the code and retries after the delay it finds
			// in the message.
			name:      "error object mid-stream: rate limit with its delay",
			req:       `{"model":"gpt-4o","stream":true,"input":"x"}`,
			upstream:  sse(`{"candidates":[{"content":{"parts":[{"text":"a"}]},"index":0}]}`) + `data: {"error":{"code":429,"status":"RESOURCE_EXHAUSTED","message":"Quota exceeded.","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"23s"}]}}` + "\r\n\r\n",
			wantNames: []string{"response.created", "response.in_progress", "response.output_item.added", "response.content_part.added", "response.output_text.delta", "response.failed"},
			check: func(t *testing.T, evs []streamEvent) {
				e := evs[5].data["response"].(map[string]any)["error"].(map[string]any)
				if e["code"] != "rate_limit_exceeded" || !strings.Contains(e["message"].(string), "try again in 23s") {
					t.Fatalf("failed %v", evs[5].raw)
				}
			},
		},
		{
			name:      "malformed function call: response.failed",
			req:       `{"model":"gpt-4o","stream":true,"input":"x"}`,
			upstream:  sse(`{"candidates":[{"finishReason":"MALFORMED_FUNCTION_CALL","index":0}]}`),
			wantNames: []string{"response.created", "response.in_progress", "response.failed"},
		},
		{
			name:      "functionCall without a name: response.failed",
			req:       `{"model":"gpt-4o","stream":true,"input":"x"}`,
			upstream:  sse(`{"candidates":[{"content":{"parts":[{"functionCall":{"name":""}}]},"index":0}]}`),
			wantNames: []string{"response.created", "response.in_progress", "response.failed"},
		},
		{
			name:      "empty stream: response.failed",
			req:       `{"model":"gpt-4o","stream":true,"input":"x"}`,
			upstream:  "",
			wantNames: []string{"response.created", "response.in_progress", "response.failed"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			up := []byte(tt.upstream)
			// Every split of the upstream bytes gives the same events.
			var first []string
			for cut := 0; cut <= len(up); cut += max(1, len(up)/7) {
				s := mustParseResponses(t, tt.req).NewStream()
				out := jsontest.WriteSplit(s, up, cut)
				evs := parseStream(t, out)
				checkGrammar(t, evs)
				got := names(evs)
				if strings.Join(got, " ") != strings.Join(tt.wantNames, " ") {
					t.Fatalf("cut %d: events\n%v\nwant\n%v", cut, got, tt.wantNames)
				}
				if first == nil {
					first = got
					if tt.check != nil {
						tt.check(t, evs)
					}
				}
				if s.Failed() != strings.HasSuffix(tt.wantNames[len(tt.wantNames)-1], "failed") {
					t.Fatalf("Failed() = %v", s.Failed())
				}
			}
		})
	}
}

// The stream and the complete answer give the same items for the same
// Gemini content.
func TestResponsesStreamMatchesResponse(t *testing.T) {
	parts := `[{"text":"plan","thought":true},{"text":"Doing it."},{"functionCall":{"name":"exec_command","args":{"cmd":"ls"}},"thoughtSignature":"AAEC"},{"functionCall":{"name":"multi_agent_v1.close_agent","args":{}}}]`
	whole := `{"candidates":[{"content":{"role":"model","parts":` + parts + `},"finishReason":"STOP","index":0}],"responseId":"same"}`
	out, e := mustParseResponses(t, strings.Replace(codexRequest, "%s", "false", 1)).Response([]byte(whole))
	if e != nil {
		t.Fatal(e)
	}
	s := mustParseResponses(t, strings.Replace(codexRequest, "%s", "true", 1)).NewStream()
	evs := parseStream(t, s.Close(s.Write(nil, []byte(sse(whole)))))
	final := checkGrammar(t, evs)
	var a, b struct{ Output json.RawMessage }
	_ = json.Unmarshal(out, &a)
	b.Output, _ = json.Marshal(final.data["response"].(map[string]any)["output"])
	jsontest.Equal(t, jsontest.NormalizeIDs(b.Output), string(jsontest.NormalizeIDs(a.Output)))
}

func FuzzResponsesStream(f *testing.F) {
	f.Add([]byte(sse(`{"candidates":[{"content":{"parts":[{"text":"a","thought":true},{"text":"b"},{"functionCall":{"name":"apply_patch","args":{"input":"x"}}}]},"finishReason":"STOP","index":0}]}`)), 10)
	r := mustParseResponses(f, strings.Replace(codexRequest, "%s", "true", 1))
	f.Fuzz(func(t *testing.T, up []byte, cut int) {
		s := r.NewStream()
		out := jsontest.WriteSplit(s, up, cut)
		checkGrammar(t, parseStream(t, out))
	})
}
