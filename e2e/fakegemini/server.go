package fakegemini

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Server is a strict fake of generativelanguage.googleapis.com on
// 127.0.0.1 (plain HTTP/1.1).
type Server struct {
	ts        *httptest.Server
	closing   chan struct{}
	closeOnce sync.Once

	mu        sync.Mutex
	requests  []Request
	queues    map[scriptKey][]Reply
	defaults  map[scriptKey]Reply
	validKeys map[string]bool
	issued    []string
	issuedSet map[string]bool
	models    []modelInfo
	seq       int
	eventHook func(event int) // tests: called before stream event i is written
}

// Request is one request as received.
type Request struct {
	Method   string
	Path     string
	RawQuery string
	Header   http.Header
	Body     []byte
	Key      string    // the API key used (header or ?key=), "" if none
	Model    string    // model id from the path, "" for models.list
	Action   string    // generateContent, streamGenerateContent, countTokens, embedContent, batchEmbedContents, list, get
	Status   int       // status answered (set before the first response byte)
	Time     time.Time // when the request arrived
}

// New starts a server.
func New() *Server {
	s := &Server{closing: make(chan struct{})}
	s.resetLocked()
	s.ts = httptest.NewServer(s)
	return s
}

func (s *Server) URL() string  { return s.ts.URL }
func (s *Server) Addr() string { return s.ts.Listener.Addr().String() }

// Close aborts pending delays and shuts the server down.
func (s *Server) Close() {
	s.closeOnce.Do(func() { close(s.closing) })
	s.ts.CloseClientConnections()
	s.ts.Close()
}

// Requests returns everything received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.requests))
	copy(out, s.requests)
	return out
}

// Reset forgets requests, scripts, defaults, valid keys, issued signatures
// and added models.
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.resetLocked()
}

func (s *Server) resetLocked() {
	s.requests = nil
	s.queues = map[scriptKey][]Reply{}
	s.defaults = map[scriptKey]Reply{}
	s.validKeys = nil
	s.issued = nil
	s.issuedSet = map[string]bool{}
	s.models = defaultCatalogue()
}

func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
	case <-s.closing:
	}
	return false
}

// route is a parsed API path.
type route struct{ version, model, action string }

var actions = map[string]bool{
	"generateContent": true, "streamGenerateContent": true, "countTokens": true,
	"embedContent": true, "batchEmbedContents": true,
}

// parseRoute accepts /{v1beta|v1}/models, /models/{m} and /models/{m}:{action}.
func parseRoute(path string) (route, bool) {
	for _, v := range []string{"v1beta", "v1"} {
		rest, ok := strings.CutPrefix(path, "/"+v+"/")
		if !ok {
			continue
		}
		if rest == "models" {
			return route{v, "", "list"}, true
		}
		rest, ok = strings.CutPrefix(rest, "models/")
		if !ok {
			return route{}, false
		}
		name, action, hasAction := strings.Cut(rest, ":")
		if name == "" || strings.Contains(name, "/") {
			return route{}, false
		}
		if !hasAction {
			return route{v, name, "get"}, true
		}
		if actions[action] {
			return route{v, name, action}, true
		}
		return route{}, false
	}
	return route{}, false
}

func (rt route) rpc() string {
	svc := "google.ai.generativelanguage." + rt.version
	switch rt.action {
	case "list":
		return svc + ".ModelService.ListModels"
	case "get":
		return svc + ".ModelService.GetModel"
	}
	return svc + ".GenerativeService." + strings.ToUpper(rt.action[:1]) + rt.action[1:]
}

// System parameters every Google API accepts in the query string.
var systemParams = map[string]bool{
	"key": true, "alt": true, "$alt": true, "prettyPrint": true, "fields": true, "$fields": true,
	"quotaUser": true, "callback": true, "$callback": true, "upload_protocol": true, "uploadType": true,
	"$.xgafv": true, "access_token": true,
}

// checkQuery: an unknown query parameter cannot be bound to the request
// message (e.g. Claude Code's "?beta=true" leaking upstream).
func checkQuery(q url.Values, rt route) *apiError {
	for name := range q {
		if systemParams[name] {
			continue
		}
		if rt.action == "list" && (name == "pageSize" || name == "page_size" || name == "pageToken" || name == "page_token") {
			continue
		}
		return invalidArgument(fmt.Sprintf(
			"Invalid JSON payload received. Unknown name %q: Cannot bind query parameter. Field '%s' could not be found in request message.", name, name))
	}
	return nil
}

// statusWriter records the status into the request log before the first
// byte leaves.
type statusWriter struct {
	http.ResponseWriter
	onStatus func(int)
	wrote    bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.wrote = true
		w.onStatus(code)
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// ServeHTTP: route → auth → query → model → body rules → script.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rt, routed := parseRoute(r.URL.Path)
	s.mu.Lock()
	idx := len(s.requests)
	s.requests = append(s.requests, Request{
		Method: r.Method, Path: r.URL.Path, RawQuery: r.URL.RawQuery, Header: r.Header.Clone(),
		Body: body, Key: requestKey(r), Model: rt.model, Action: rt.action, Time: time.Now(),
	})
	s.mu.Unlock()
	sw := &statusWriter{ResponseWriter: w, onStatus: func(code int) {
		s.mu.Lock()
		s.requests[idx].Status = code
		s.mu.Unlock()
	}}
	s.serve(sw, r, rt, routed, body)
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request, rt route, routed bool, body []byte) {
	q := r.URL.Query()
	wantMethod := http.MethodPost
	if rt.action == "list" || rt.action == "get" {
		wantMethod = http.MethodGet
	}
	if !routed || r.Method != wantMethod {
		writeError(w, newError(http.StatusNotFound, fmt.Sprintf("The requested URL %s was not found on this server. Method not found.", r.URL.Path)), false, nil)
		return
	}
	sse := q.Get("alt") == "sse" || q.Get("$alt") == "sse"
	arrayWrap := rt.action == "streamGenerateContent" && !sse // errors array-wrapped, as Google's
	fail := func(e *apiError) { writeError(w, e, arrayWrap, nil) }
	key, e := s.authenticate(r, q, rt.rpc())
	if e != nil {
		fail(e)
		return
	}
	if e := checkQuery(q, rt); e != nil {
		fail(e)
		return
	}
	if rt.action == "list" {
		s.answerJSON(w, r, key, "models", func() (any, *apiError) { return s.listModels(q) })
		return
	}
	mi, e := s.lookupModel(rt)
	if e != nil {
		fail(e)
		return
	}
	switch rt.action {
	case "get":
		s.answerJSON(w, r, key, "models", func() (any, *apiError) { return mi.Model, nil })
	case "countTokens":
		s.answerJSON(w, r, key, "countTokens", func() (any, *apiError) { return countTokens(body) })
	case "embedContent":
		s.answerJSON(w, r, key, "embed", func() (any, *apiError) { return embedContent(body, mi) })
	case "batchEmbedContents":
		s.answerJSON(w, r, key, "embed", func() (any, *apiError) { return batchEmbedContents(body, mi) })
	default:
		s.generate(w, r, rt, mi, key, body, sse)
	}
}

// scripted takes the next scripted reply of key's endpoint class and plays
// its delay and, if it is one, its error (its raw body, or a Google error
// built from it, arrayWrap as for writeError). done is true when the answer
// is given, or the client gone during the delay; else the caller answers.
func (s *Server) scripted(w http.ResponseWriter, r *http.Request, key, class string, arrayWrap bool) (rep Reply, done bool) {
	rep = s.next(key, class)
	if !s.sleep(r.Context(), rep.Delay) {
		return rep, true
	}
	if rep.Status == 0 || rep.Status == http.StatusOK {
		return rep, false
	}
	if rep.Body != "" {
		writeRaw(w, rep.Status, "application/json; charset=UTF-8", rep.Body, rep.Header)
	} else {
		writeError(w, scriptedError(rep), arrayWrap, rep.Header)
	}
	return rep, true
}

// answerJSON serves the non-generate endpoints: validation first, then the
// scripted reply of that endpoint class (errors, raw bodies, delays), else
// the synthesized answer.
func (s *Server) answerJSON(w http.ResponseWriter, r *http.Request, key, class string, build func() (any, *apiError)) {
	v, e := build()
	if e != nil {
		writeError(w, e, false, nil)
		return
	}
	rep, done := s.scripted(w, r, key, class, false)
	if done {
		return
	}
	out := rep.Body
	if out == "" {
		b, _ := json.Marshal(v)
		out = indentJSON(string(b)) + "\n"
	}
	writeRaw(w, http.StatusOK, "application/json; charset=UTF-8", out, rep.Header)
}

// generate serves generateContent and streamGenerateContent.
func (s *Server) generate(w http.ResponseWriter, r *http.Request, rt route, mi *modelInfo, key string, body []byte, sse bool) {
	stream := rt.action == "streamGenerateContent"
	arrayWrap := stream && !sse
	req, e := s.validateGenerate(body, mi)
	if e != nil {
		writeError(w, e, arrayWrap, nil)
		return
	}
	rep, done := s.scripted(w, r, key, "generate", arrayWrap)
	if done {
		return
	}
	if rep.Body != "" {
		s.noteSignaturesIn(rep.Body)
		ct := "application/json; charset=UTF-8"
		if sse {
			ct = "text/event-stream"
		}
		writeRaw(w, http.StatusOK, ct, rep.Body, rep.Header)
		return
	}
	if !stream {
		out := s.synthesize(req, mi, rep, false)[0]
		writeRaw(w, http.StatusOK, "application/json; charset=UTF-8", indentJSON(out)+"\n", rep.Header)
		return
	}
	events := rep.Events
	if events == nil {
		events = s.synthesize(req, mi, rep, true)
	} else {
		for _, ev := range events {
			s.noteSignaturesIn(ev)
		}
	}
	s.writeStream(w, r, events, sse, rep)
}

// validateGenerate applies every rule to a GenerateContentRequest, in the
// order the real service reports them: proto-JSON parse errors, field
// violations (aggregated), cached content, roles, turn order of tool calls,
// model rules (candidates, thinking settings), thought signatures.
func (s *Server) validateGenerate(body []byte, mi *modelInfo) (*gcRequest, *apiError) {
	canon, e := parseProto(body, generateContentRequestMsg)
	if e != nil {
		return nil, e
	}
	req := decodeGenerate(canon)
	for _, check := range []func() *apiError{
		func() *apiError { return checkGenerateFields(req, "GenerateContentRequest") },
		func() *apiError { return checkCachedContent(req) },
		func() *apiError { return checkRoles(req.Contents) },
		func() *apiError { return checkTurns(req.Contents) },
		func() *apiError { return checkModelRules(req, mi) },
		func() *apiError { return checkToolRules(req, mi) },
		func() *apiError { return s.checkSignatures(mi.id, req.Contents) },
	} {
		if e := check(); e != nil {
			return nil, e
		}
	}
	return req, nil
}
