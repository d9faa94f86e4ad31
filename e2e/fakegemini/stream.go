package fakegemini

import (
	"net/http"
	"strings"
)

// writeStream sends streamGenerateContent events.
//
// alt=sse: one "data: <json>" line per event terminated by
// "\r\n\r\n", no event: lines, no [DONE]; each event is flushed on its own.
// Without alt=sse the body is one JSON array written incrementally:
// "[{…}\n,\r\n{…}\n]" with pretty-printed elements, as Google streams it.
//
// CutAfter aborts the connection after N events (the chunked body is never
// terminated, so the client sees an unexpected EOF and no finishReason).
// Hold, when set, pauses the stream after its first event until it closes.
func (s *Server) writeStream(w http.ResponseWriter, r *http.Request, events []string, sse bool, rep Reply) {
	ct := "application/json; charset=UTF-8"
	if sse {
		ct = "text/event-stream"
		w.Header().Set("Content-Disposition", "attachment")
	}
	setGoogleHeaders(w.Header(), ct)
	for k, vs := range rep.Header {
		w.Header()[k] = append([]string(nil), vs...)
	}
	w.WriteHeader(http.StatusOK)
	flusher, _ := w.(http.Flusher)
	flush := func() {
		if flusher != nil {
			flusher.Flush()
		}
	}
	flush()
	for i, ev := range events {
		if i > 0 && !s.sleep(r.Context(), rep.EventDelay) {
			return
		}
		s.mu.Lock()
		hook := s.eventHook
		s.mu.Unlock()
		if hook != nil {
			hook(i)
		}
		var chunk string
		switch {
		case sse && strings.HasPrefix(strings.TrimSpace(ev), "{"):
			chunk = "data: " + strings.TrimSpace(ev) + "\r\n\r\n"
		case sse: // verbatim line, e.g. a bare {"error":…} is not data:-prefixed
			chunk = ev
			if !strings.HasSuffix(chunk, "\n") {
				chunk += "\r\n\r\n"
			}
		case i == 0:
			chunk = "[" + indentJSON(ev)
		default:
			chunk = "\n,\r\n" + indentJSON(ev)
		}
		if _, err := w.Write([]byte(chunk)); err != nil {
			return
		}
		flush()
		if rep.CutAfter > 0 && i+1 >= rep.CutAfter {
			panic(http.ErrAbortHandler)
		}
		if i == 0 && rep.Hold != nil {
			select {
			case <-rep.Hold:
			case <-r.Context().Done():
				return
			case <-s.closing:
				return
			}
		}
	}
	if !sse {
		if len(events) == 0 {
			_, _ = w.Write([]byte("["))
		}
		_, _ = w.Write([]byte("\n]"))
		flush()
	}
}
