package anthropic

import (
	"encoding/base64"
	"strconv"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// stopReasons maps a finish class to stop_reason
// (docs/answer-mapping.md#finish-reasons). Tool use is derived from the
// calls: Gemini ends a turn of function calls with a plain STOP.
var stopReasons = gemini.FinishNames{Stop: "end_turn", Length: "max_tokens", Filtered: "refusal", ToolCalls: "tool_use"}

// inputTokens is Anthropic's input_tokens: uncached input only, where
// Gemini's prompt count includes the cached part.
func inputTokens(u gemini.Usage) int64 { return max(u.Input()-u.Cached, 0) }

// appendUsage writes the usage object of a message
// (docs/answer-mapping.md#usage); g, when the
// request sent built-in tools, gives server_tool_use.
func appendUsage(out []byte, u gemini.Usage, g *gemini.Grounding) []byte {
	out = append(out, `{"input_tokens":`...)
	out = jsonw.Int(out, inputTokens(u))
	out = append(out, `,"output_tokens":`...)
	out = jsonw.Int(out, u.Output())
	out = append(out, `,"cache_creation_input_tokens":0,"cache_read_input_tokens":`...)
	out = jsonw.Int(out, u.Cached)
	out = appendServerToolUse(out, g)
	return append(out, '}')
}

// appendServerToolUse writes `,"server_tool_use":{…}`: Gemini's search
// queries are the web search requests (Gemini 3 bills each query), the URLs
// read the web fetch requests.
func appendServerToolUse(out []byte, g *gemini.Grounding) []byte {
	if g == nil {
		return out
	}
	out = append(out, `,"server_tool_use":{"web_search_requests":`...)
	out = jsonw.Int(out, int64(g.Queries))
	out = append(out, `,"web_fetch_requests":`...)
	out = jsonw.Int(out, int64(g.URLs))
	return append(out, '}')
}

// sink receives content blocks as the part machine recognizes them; the
// non-streaming response collects them, the stream writes events.
type sink interface {
	keepAlive() // activity that is not content (hidden thoughts)
	startBlock(thinking bool)
	delta(text string)
	stopBlock(signature string) // signature only for a thinking block
	toolUse(id, name, args string)
	// citation adds a citation (a complete JSON object) to the open text
	// block.
	citation(c []byte)
	// serverBlock writes a complete server tool block: server_tool_use,
	// web_search_tool_result, web_fetch_tool_result (a JSON object).
	serverBlock(block []byte, input string)
}

// machine turns Gemini parts into content blocks and places their thought
// signatures (docs/thought-signatures.md). Both the non-streaming and the
// streaming translation run it, so they agree on every block and signature.
type machine struct {
	newID   func(prefix string) string // the request's Env.NewID
	hide    bool                       // thought parts are not content: keep-alives (Env.ThinkingPings)
	open    byte                       // 0 none, 't' thinking, 'x' text
	sig     string                     // signature for the open thinking block, already encoded
	pending string                     // Gemini signature seen with no thinking block open
	calls   int

	// g follows the grounding of web search and URL context; nil when the
	// request sent no built-in tool.
	g         *gemini.Grounding
	textStart int            // where the open text block starts in g's text
	wait      gemini.Pending // searches and URLs read, waiting for their blocks
	searchID  string         // the last web_search server_tool_use
}

func (m *machine) close(s sink) {
	if m.open == 'x' && m.g != nil {
		m.cite(s)
	}
	if m.open != 0 {
		s.stopBlock(m.sig)
		m.open, m.sig = 0, ""
	}
}

// event starts a candidate (a stream event, or the whole answer): its
// grounding is read, and server tool blocks already complete go out first
// when no block is open, so a complete answer shows its searches before the
// text, as Anthropic's do.
func (m *machine) event(s sink, cand gjson.Result) {
	if m.g != nil {
		m.wait.Add(m.g, cand, true)
		if m.open == 0 {
			m.serverBlocks(s, false)
		}
	}
}

// endEvent ends a candidate's event: the open text block gets the
// citations its text now allows, then the server tool blocks that became
// complete follow. Gemini's stream sends the grounding with the end of the
// answer, so in a stream the searches come after the text they informed.
func (m *machine) endEvent(s sink) {
	if m.open == 'x' && m.g != nil {
		m.cite(s)
	}
	m.serverBlocks(s, false)
}

// finish closes the answer: the open block, then every server tool block
// still waiting (queries whose sources never came).
func (m *machine) finish(s sink) {
	m.close(s)
	m.serverBlocks(s, true)
}

// serverBlocks writes the searches and fetches Gemini reported, when any
// is ready to be shown (the open block is closed for them): a
// server_tool_use per query, then one web_search_tool_result with the
// sources (Gemini does not say which query found which source); and for
// each URL read, a web_fetch server_tool_use and its result. Sources of a
// grounding without queries (URL context) are only cited.
func (m *machine) serverBlocks(s sink, final bool) {
	w := &m.wait
	if !w.Ready(final) {
		return
	}
	m.close(s)
	if len(w.Queries) > 0 || len(w.Sources) > 0 && w.Searched {
		for _, q := range w.Queries {
			m.searchID = m.newID("srvtoolu_")
			in := append([]byte(`{"query":`), nil...)
			in = append(jsonw.String(in, q), '}')
			s.serverBlock(serverToolUse(m.searchID, "web_search"), string(in))
		}
		s.serverBlock(m.searchResult(), "")
		w.SearchShown()
	}
	for _, u := range w.URLs {
		id := m.newID("srvtoolu_")
		in := append([]byte(`{"url":`), nil...)
		in = append(jsonw.String(in, u.URL), '}')
		s.serverBlock(serverToolUse(id, "web_fetch"), string(in))
		s.serverBlock(fetchResult(id, u), "")
	}
	w.URLs = w.URLs[:0]
}

func serverToolUse(id, name string) []byte {
	b := append(make([]byte, 0, 96), `{"type":"server_tool_use","id":`...)
	b = jsonw.String(b, id)
	b = append(b, `,"name":`...)
	b = jsonw.String(b, name)
	return append(b, `,"input":{}}`...)
}

// searchResult is a web_search_tool_result with the waiting sources. Gemini
// gives no page age and no page content: page_age is null and
// encrypted_content an opaque token of the gateway (base64url, as
// Anthropic's), which it accepts back and does not need.
func (m *machine) searchResult() []byte {
	b := append(make([]byte, 0, 256), `{"type":"web_search_tool_result","tool_use_id":`...)
	b = jsonw.String(b, m.searchID)
	b = append(b, `,"content":[`...)
	for i, k := range m.wait.Sources {
		src := m.g.Sources[k]
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"type":"web_search_result","url":`...)
		b = jsonw.String(b, src.URI)
		b = append(b, `,"title":`...)
		b = jsonw.String(b, sourceTitle(src))
		b = append(b, `,"encrypted_content":`...)
		b = jsonw.String(b, opaque("gws1_", src.URI))
		b = append(b, `,"page_age":null}`...)
	}
	return append(b, "]}"...)
}

// fetchResult is a web_fetch_tool_result: Gemini reads the page itself and
// returns only whether it could, so a page read is a document without
// text, and a page it could not read an error.
func fetchResult(id string, u gemini.URLRead) []byte {
	b := append(make([]byte, 0, 256), `{"type":"web_fetch_tool_result","tool_use_id":`...)
	b = jsonw.String(b, id)
	code := ""
	switch u.Status {
	case "URL_RETRIEVAL_STATUS_SUCCESS":
	case "URL_RETRIEVAL_STATUS_UNSAFE":
		code = "url_not_allowed"
	case "URL_RETRIEVAL_STATUS_ERROR", "URL_RETRIEVAL_STATUS_PAYWALL":
		code = "url_not_accessible"
	default:
		code = "unavailable"
	}
	if code != "" {
		b = append(b, `,"content":{"type":"web_fetch_tool_error","error_code":`...)
		b = jsonw.String(b, code)
		return append(b, "}}"...)
	}
	b = append(b, `,"content":{"type":"web_fetch_result","url":`...)
	b = jsonw.String(b, u.URL)
	b = append(b, `,"retrieved_at":null,"content":{"type":"document","source":{"type":"text","media_type":"text/plain","data":""},"title":null,"citations":null}}}`...)
	return b
}

// sourceTitle is a source's title, its URL when Gemini gave none.
func sourceTitle(src gemini.Source) string {
	if src.Title != "" {
		return src.Title
	}
	return src.URI
}

// opaque makes the gateway's opaque tokens: prefix + base64url of v, only
// [A-Za-z0-9_-], which clients treat as encrypted data (Claude Code reads
// a search result's encrypted_content as page text when it is not).
func opaque(prefix, v string) string {
	return prefix + base64.RawURLEncoding.EncodeToString([]byte(v))
}

// maxCitedText is the length of Anthropic's cited_text: "up to 150
// characters" of the cited content.
const maxCitedText = 150

// cite gives the open text block the citations of the supports whose text
// lies in it. A support of text already closed in another block (a stream
// whose grounding came after a tool call) cannot be attached any more and
// is dropped. Not inlined: its two callers each held a copy of its
// closure (2.6 KB of Wasm each).
//
//go:noinline
func (m *machine) cite(s sink) {
	m.g.Cite(func(c gemini.Citation) {
		if c.Start < m.textStart {
			return
		}
		src := m.g.Sources[c.Source]
		b := append(make([]byte, 0, 256), `{"type":"web_search_result_location","cited_text":`...)
		b = jsonw.String(b, gemini.Truncate(c.Text, maxCitedText))
		b = append(b, `,"url":`...)
		b = jsonw.String(b, src.URI)
		b = append(b, `,"title":`...)
		b = jsonw.String(b, sourceTitle(src))
		b = append(b, `,"encrypted_index":`...)
		b = jsonw.String(b, opaque("gwi1_", strconv.Itoa(c.Source)))
		s.citation(append(b, '}'))
	})
}

// readPart feeds a part read by gemini.EachPart or the scan.
func (m *machine) readPart(s sink, k int, p *gemini.Part) {
	sig := p.Signature
	if p.Call {
		if m.open == 't' && sig != "" {
			// The signature sits on the call: the thinking block says so,
			// and the id below carries it too (clients drop thinking blocks).
			m.sig = encodeSignature('f', sig)
		}
		m.close(s)
		if sig == "" {
			sig, m.pending = m.pending, ""
		}
		args := "{}"
		if p.CallArgs != "" {
			args = p.CallArgs
		}
		s.toolUse(gemini.IDWithSignature(m.newID("toolu_"), sig), p.CallName, args)
		m.calls++
		return
	}
	if !p.IsText {
		if sig != "" && m.open != 't' && p.ToolRecord {
			// A built-in tool's call or response (Gemini 3 mixing Google
			// Search with functions) may hold the step's signature: the
			// next tool_use id carries it, as a text part's.
			m.pending = strings.Clone(sig)
		}
		return // executableCode, inlineData, server tool records: shown from the grounding, or not at all
	}
	if p.Thought && m.hide {
		if sig != "" && m.open != 't' {
			m.pending = strings.Clone(sig) // for the next call's id
		}
		s.keepAlive()
		return
	}
	if p.Thought {
		if p.Text != "" && m.open != 't' {
			m.close(s)
			m.open = 't'
			s.startBlock(true)
		}
		if sig != "" {
			if m.open == 't' && m.sig == "" {
				m.sig = encodeSignature('t', sig) // fallback; a later part's wins
			} else if m.open != 't' {
				m.pending = strings.Clone(sig) // kept past the event
			}
		}
		if p.Text != "" {
			s.delta(p.Text)
		}
		return
	}
	if p.Text == "" { // a signature carrier, not content
		if sig != "" {
			if m.open == 't' {
				m.sig = encodeSignature('t', sig)
			} else {
				m.pending = strings.Clone(sig) // kept past the event
			}
		}
		return
	}
	if m.open == 't' {
		if sig != "" {
			m.sig = encodeSignature('t', sig)
			sig = ""
		}
		m.close(s)
	}
	if sig != "" {
		// Text signature with no thinking block to hold it (includeThoughts
		// off): the next tool_use id can still carry it. Cloned: it is
		// kept past the event, whose bytes the next one reuses.
		m.pending = strings.Clone(sig)
	}
	if m.open != 'x' {
		m.open = 'x'
		if m.g != nil {
			m.textStart = m.g.Len()
		}
		s.startBlock(false)
	}
	if m.g != nil {
		m.g.AddText(k, p.Text)
	}
	s.delta(p.Text)
}

// collector builds the `content` array of a non-streaming message.
type collector struct {
	out   []byte
	n     int
	kind  bool   // thinking
	text  []byte // the open block's text
	cites []byte // the open block's citations, comma-separated
}

func (c *collector) sep() {
	if c.n > 0 {
		c.out = append(c.out, ',')
	}
	c.n++
}

func (c *collector) keepAlive() {}

func (c *collector) startBlock(thinking bool) {
	c.kind, c.text, c.cites = thinking, c.text[:0], c.cites[:0]
}

func (c *collector) citation(b []byte) {
	if len(c.cites) > 0 {
		c.cites = append(c.cites, ',')
	}
	c.cites = append(c.cites, b...)
}

func (c *collector) serverBlock(block []byte, input string) {
	c.sep()
	if input != "" { // a server_tool_use: its input goes in place of {}
		block = append(block[:len(block)-len(`{}}`)], input...)
		block = append(block, '}')
	}
	c.out = append(c.out, block...)
}
func (c *collector) delta(text string) { c.text = append(c.text, text...) }

func (c *collector) stopBlock(signature string) {
	c.sep()
	if c.kind {
		c.out = append(c.out, `{"type":"thinking","thinking":`...)
		c.out = jsonw.Bytes(c.out, c.text)
		c.out = append(c.out, `,"signature":`...)
		c.out = jsonw.String(c.out, signature)
	} else {
		c.out = append(c.out, `{"type":"text","text":`...)
		c.out = jsonw.Bytes(c.out, c.text)
		if len(c.cites) > 0 {
			c.out = append(c.out, `,"citations":[`...)
			c.out = append(c.out, c.cites...)
			c.out = append(c.out, ']')
		}
	}
	c.out = append(c.out, '}')
}

func (c *collector) toolUse(id, name, args string) {
	c.sep()
	c.out = append(c.out, `{"type":"tool_use","id":`...)
	c.out = jsonw.String(c.out, id)
	c.out = append(c.out, `,"name":`...)
	c.out = jsonw.String(c.out, name)
	c.out = append(c.out, `,"input":`...)
	c.out = append(c.out, args...)
	c.out = append(c.out, '}')
}

// candidate0 is the candidate Anthropic can represent: index 0 (it has no
// `n`).
func candidate0(resp gjson.Result) gjson.Result { return candidate0Of(resp.Get("candidates")) }

func candidate0Of(cands gjson.Result) gjson.Result {
	var found gjson.Result
	cands.ForEach(func(k, c gjson.Result) bool {
		i := k.Int()
		if v := c.Get("index"); v.Exists() {
			i = v.Int()
		}
		if i == 0 {
			found = c
			return false
		}
		return true
	})
	return found
}

// Response translates a complete Gemini GenerateContentResponse, on the
// scan's fast path where it can (gemini.Answer).
func (r *MessagesRequest) Response(body []byte) ([]byte, *apierror.Error) {
	return gemini.Answer(body, r.fastResponse, r.slowResponse)
}

// fastResponse is slowResponse for an answer the scan read (sc); it takes
// every such answer (ok).
func (r *MessagesRequest) fastResponse(sc *gemini.Scan, body []byte) (out []byte, ok bool, e *apierror.Error) {
	cand := scanCandidate0(sc)
	finish := gemini.FinishFiltered // no candidate: the prompt was blocked
	if cand != nil {
		if finish = gemini.ClassifyFinish(cand.Finish); finish == gemini.FinishMalformed {
			return nil, true, gemini.MalformedCallError(cand.Finish) // never a silent empty success
		}
	}
	c := collector{out: r.appendHead(make([]byte, 0, len(body)+256), gemini.ResponseIDOf(sc.ResponseID, "msg_", r.Env.NewID))}
	m := r.newMachine()
	if cand == nil {
		m.event(&c, gjson.Result{})
	} else {
		m.event(&c, cand.Result())
		for k := cand.First; k < cand.Last; k++ {
			m.readPart(&c, k-cand.First, &sc.Parts[k])
		}
	}
	m.endEvent(&c)
	m.finish(&c)
	r.Answered = sc.Usage
	return appendTail(c.out, finish, &m, sc.Usage), true, nil
}

// slowResponse is Response through gjson: the fallback of fastResponse and
// the reference of its differential tests.
func (r *MessagesRequest) slowResponse(body []byte) ([]byte, *apierror.Error) {
	resp, e := gemini.ReadAnswer(body)
	if e != nil {
		return nil, e
	}
	if resp.IsArray() {
		return nil, apierror.FromGemini(0, body) // an error, maybe array-wrapped
	}
	cand := candidate0(resp)
	finish := gemini.FinishFiltered // no candidate: the prompt was blocked
	if cand.Exists() {
		reason := cand.Get("finishReason").String()
		if finish = gemini.ClassifyFinish(reason); finish == gemini.FinishMalformed {
			return nil, gemini.MalformedCallError(reason) // never a silent empty success
		}
	}
	c := collector{out: r.appendHead(make([]byte, 0, len(body)+256), gemini.ResponseID(resp, "msg_", r.Env.NewID))}
	m := r.newMachine()
	m.event(&c, cand)
	if e := gemini.EachPart(cand, func(k int, p *gemini.Part) { m.readPart(&c, k, p) }); e != nil {
		return nil, e
	}
	m.endEvent(&c)
	m.finish(&c)
	r.Answered = gemini.ReadUsage(resp)
	return appendTail(c.out, finish, &m, r.Answered), nil
}

// appendHead writes a message up to the '[' of its content.
func (r *MessagesRequest) appendHead(out []byte, id string) []byte {
	out = append(out, `{"id":`...)
	out = jsonw.String(out, id)
	out = append(out, `,"type":"message","role":"assistant","model":`...)
	out = jsonw.String(out, r.Model)
	return append(out, `,"content":[`...)
}

// appendTail ends a message after its content: how it stopped (finish,
// and whether m wrote calls) and its usage.
func appendTail(out []byte, finish gemini.Finish, m *machine, u gemini.Usage) []byte {
	out = append(out, `],"stop_reason":`...)
	out = jsonw.String(out, stopReasons.Name(finish, m.calls > 0))
	out = append(out, `,"stop_sequence":null,"usage":`...)
	out = appendUsage(out, u, m.g)
	return append(out, '}')
}

// newMachine starts the part machine for an answer to the request.
func (r *MessagesRequest) newMachine() machine {
	m := machine{newID: r.Env.NewID, hide: r.hideThoughts}
	if r.builtins.Any() {
		m.g = new(gemini.Grounding)
	}
	return m
}
