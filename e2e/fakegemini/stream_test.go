package fakegemini

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"
)

func streamRequest(t *testing.T, s *Server, model, query, b string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", s.URL()+"/v1beta/models/"+model+":streamGenerateContent"+query, strings.NewReader(b))
	req.Header.Set("x-goog-api-key", "test-key")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// readEvent reads one SSE event up to and including "\r\n\r\n", the
// terminator Gemini uses.
func readEvent(r *bufio.Reader) (string, error) {
	var b strings.Builder
	for {
		line, err := r.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			return b.String(), err
		}
		if strings.HasSuffix(b.String(), "\r\n\r\n") {
			return b.String(), nil
		}
	}
}

func eventJSON(t *testing.T, ev string) genResponse {
	t.Helper()
	if !strings.HasPrefix(ev, "data: ") || !strings.HasSuffix(ev, "\r\n\r\n") || strings.Count(ev, "\n") != 2 {
		t.Fatalf("bad SSE framing: %q", ev)
	}
	return parseResponse(t, strings.TrimSuffix(strings.TrimPrefix(ev, "data: "), "\r\n\r\n"))
}

// TestSSEFraming: data: lines, CRLF CRLF terminators, no [DONE], text in
// pieces, finishReason and full usage on the last event only.
func TestSSEFraming(t *testing.T) {
	s := newServer(t)
	const text = "The quick brown fox jumps over the lazy dog"
	s.Enqueue("", Reply{Text: text})
	resp := streamRequest(t, s, "gemini-2.5-flash", "?alt=sse", body(contents(userHi)))
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "text/event-stream" {
		t.Fatalf("%d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("[DONE]")) || bytes.Contains(raw, []byte("event:")) {
		t.Fatalf("unexpected sentinel: %q", raw)
	}
	events := strings.SplitAfter(string(raw), "\r\n\r\n")
	if events[len(events)-1] != "" {
		t.Fatalf("trailing bytes after last event: %q", events[len(events)-1])
	}
	events = events[:len(events)-1]
	if len(events) < 2 {
		t.Fatalf("want several events, got %d", len(events))
	}
	var got strings.Builder
	for i, ev := range events {
		r := eventJSON(t, ev)
		got.WriteString(r.text())
		last := i == len(events)-1
		if (r.Candidates[0].FinishReason != "") != last {
			t.Errorf("event %d finishReason %q", i, r.Candidates[0].FinishReason)
		}
		if r.UsageMetadata == nil || (last && r.UsageMetadata.CandidatesTokenCount != EstimateTokens(text)) || (!last && r.UsageMetadata.CandidatesTokenCount != 0) {
			t.Errorf("event %d usage %+v", i, r.UsageMetadata)
		}
	}
	if got.String() != text {
		t.Errorf("text %q", got.String())
	}
}

// TestSSEFlushPerEvent reads the first event before the server is allowed
// to write the second one.
func TestSSEFlushPerEvent(t *testing.T) {
	s := newServer(t)
	firstRead := make(chan struct{})
	blocked := make(chan bool, 1)
	s.eventHook = func(i int) {
		if i == 1 {
			select {
			case <-firstRead:
				blocked <- true
			case <-time.After(5 * time.Second):
				blocked <- false
			}
		}
	}
	s.Enqueue("", Reply{Text: "one two three four five six seven"})
	resp := streamRequest(t, s, "gemini-2.5-flash", "?alt=sse", body(contents(userHi)))
	br := bufio.NewReader(resp.Body)
	ev, err := readEvent(br)
	if err != nil {
		t.Fatalf("first event not delivered before the second was written: %v", err)
	}
	eventJSON(t, ev)
	close(firstRead)
	if !<-blocked {
		t.Fatal("server did not wait")
	}
	rest, _ := io.ReadAll(br)
	if strings.Count(string(rest), "\r\n\r\n") < 1 {
		t.Fatalf("rest: %q", rest)
	}
}

// TestJSONArrayStream: without alt=sse the body is one streamed JSON array.
func TestJSONArrayStream(t *testing.T) {
	s := newServer(t)
	s.Enqueue("", Reply{Text: "alpha beta gamma delta epsilon", EventDelay: time.Millisecond})
	resp := streamRequest(t, s, "gemini-2.5-flash", "", body(contents(userHi)))
	raw, _ := io.ReadAll(resp.Body)
	if !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		t.Errorf("content type %s", resp.Header.Get("Content-Type"))
	}
	if !bytes.HasPrefix(raw, []byte("[{")) || !bytes.HasSuffix(raw, []byte("]")) || !bytes.Contains(raw, []byte("}\n,\r\n{")) {
		t.Fatalf("framing: %q", raw)
	}
	var arr []genResponse
	if err := json.Unmarshal(raw, &arr); err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	for _, r := range arr {
		text.WriteString(r.text())
	}
	if len(arr) < 2 || text.String() != "alpha beta gamma delta epsilon" || arr[len(arr)-1].Candidates[0].FinishReason != "STOP" {
		t.Fatalf("%d events, %q", len(arr), text.String())
	}
}

// TestStreamErrors: errors before the stream are plain JSON with alt=sse
// and array-wrapped without it.
func TestStreamErrors(t *testing.T) {
	s := newServer(t)
	resp := streamRequest(t, s, "gemini-2.5-flash", "", `{}`)
	raw, _ := io.ReadAll(resp.Body)
	var arr []googleError
	if resp.StatusCode != 400 || json.Unmarshal(raw, &arr) != nil || len(arr) != 1 || arr[0].Error.Status != "INVALID_ARGUMENT" {
		t.Fatalf("array error: %d %s", resp.StatusCode, raw)
	}
	resp = streamRequest(t, s, "gemini-2.5-flash", "?alt=sse", `{}`)
	raw, _ = io.ReadAll(resp.Body)
	if e := parseError(t, string(raw)); resp.StatusCode != 400 || e.Error.Code != 400 {
		t.Fatalf("sse error: %s", raw)
	}
	s.Enqueue("", Reply{Status: 503})
	resp = streamRequest(t, s, "gemini-2.5-flash", "", body(contents(userHi)))
	raw, _ = io.ReadAll(resp.Body)
	if resp.StatusCode != 503 || !bytes.HasPrefix(raw, []byte("[{")) || !bytes.Contains(raw, []byte(`"UNAVAILABLE"`)) {
		t.Fatalf("scripted 503: %d %s", resp.StatusCode, raw)
	}
}

// TestCutStream: the connection dies after N events, before finishReason.
func TestCutStream(t *testing.T) {
	for _, sse := range []bool{true, false} {
		s := newServer(t)
		s.Enqueue("", Reply{Text: "one two three four five six seven eight nine", CutAfter: 2})
		q := ""
		if sse {
			q = "?alt=sse"
		}
		resp := streamRequest(t, s, "gemini-2.5-flash", q, body(contents(userHi)))
		raw, err := io.ReadAll(resp.Body)
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("sse=%v: want unexpected EOF, got %v", sse, err)
		}
		if bytes.Contains(raw, []byte("finishReason")) {
			t.Errorf("sse=%v: finishReason before the cut: %q", sse, raw)
		}
		if sse && strings.Count(string(raw), "\r\n\r\n") != 2 {
			t.Errorf("want 2 events before the cut: %q", raw)
		}
	}
}

// TestScriptedEvents: raw events are sent as given (tool calls whole).
func TestScriptedEvents(t *testing.T) {
	s := newServer(t)
	s.Enqueue("", Reply{Events: []string{
		`{"candidates":[{"content":{"parts":[{"text":"Checking"}],"role":"model"},"index":0}]}`,
		`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}],"role":"model"},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":5,"candidatesTokenCount":7,"totalTokenCount":12}}`,
	}})
	resp := streamRequest(t, s, "gemini-2.5-flash", "?alt=sse", body(contents(userHi)))
	raw, _ := io.ReadAll(resp.Body)
	want := "data: {\"candidates\":[{\"content\":{\"parts\":[{\"text\":\"Checking\"}],\"role\":\"model\"},\"index\":0}]}\r\n\r\n"
	if !strings.HasPrefix(string(raw), want) || strings.Count(string(raw), "\r\n\r\n") != 2 {
		t.Fatalf("%q", raw)
	}
}

func TestSynthesizedStreamWithParts(t *testing.T) {
	s := newServer(t)
	s.Enqueue("", Reply{Text: "Let me check that.", Parts: []json.RawMessage{
		json.RawMessage(`{"functionCall":{"name":"get_weather","args":{"city":"Paris"}}}`),
	}})
	resp := streamRequest(t, s, "gemini-3-pro-preview", "?alt=sse", body(contents(userHi)))
	br := bufio.NewReader(resp.Body)
	var evs []genResponse
	for {
		ev, err := readEvent(br)
		if err != nil {
			break
		}
		evs = append(evs, eventJSON(t, ev))
	}
	last := evs[len(evs)-1]
	p := last.parts()
	if len(p) != 1 || p[0]["functionCall"] == nil || p[0]["thoughtSignature"] == nil || last.Candidates[0].FinishReason != "STOP" {
		t.Fatalf("last event should be the signed call with STOP: %+v", p)
	}
	if len(s.IssuedSignatures()) != 2 { // the call and the last text piece
		t.Fatalf("issued %v", s.IssuedSignatures())
	}
}

// TestHoldKeepsStreamOpen: a held stream sends its first event, then
// nothing more until the test releases it.
func TestHoldKeepsStreamOpen(t *testing.T) {
	s := newServer(t)
	hold := make(chan struct{})
	second := make(chan struct{}, 1)
	s.eventHook = func(i int) {
		if i == 1 {
			second <- struct{}{}
		}
	}
	s.Enqueue("", Reply{Text: "one two three four five six seven", Hold: hold})
	resp := streamRequest(t, s, "gemini-2.5-flash", "?alt=sse", body(contents(userHi)))
	br := bufio.NewReader(resp.Body)
	ev, err := readEvent(br)
	if err != nil {
		t.Fatal(err)
	}
	eventJSON(t, ev)
	select {
	case <-second:
		t.Fatal("the held stream went on before it was released")
	default:
	}
	close(hold)
	rest, _ := io.ReadAll(br)
	if strings.Count(string(rest), "\r\n\r\n") < 1 {
		t.Fatalf("rest: %q", rest)
	}
}
