package anthropic

import (
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// messageID is "msg_" + Gemini's responseId, or random.
func messageID(resp gjson.Result) string { return gemini.ResponseID(resp, "msg_") }

// stopReason maps a finish class (§4.9). Tool use is derived from the calls:
// Gemini says STOP (P14).
func stopReason(f gemini.Finish, sawCall bool) string {
	switch f {
	case gemini.FinishLength:
		return "max_tokens"
	case gemini.FinishFiltered:
		return "refusal"
	}
	if sawCall {
		return "tool_use"
	}
	return "end_turn"
}

// inputTokens is Anthropic's input_tokens: uncached input only (§4.10).
func inputTokens(u gemini.Usage) int64 { return max(u.Input()-u.Cached, 0) }

// appendUsage writes the usage object of a message (§4.10).
func appendUsage(out []byte, u gemini.Usage) []byte {
	out = append(out, `{"input_tokens":`...)
	out = jsonw.Int(out, inputTokens(u))
	out = append(out, `,"output_tokens":`...)
	out = jsonw.Int(out, u.Output())
	out = append(out, `,"cache_creation_input_tokens":0,"cache_read_input_tokens":`...)
	out = jsonw.Int(out, u.Cached)
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
}

// machine turns Gemini parts into content blocks (§4.6, §4.7). Both the
// non-streaming and the streaming translation run it, so they agree on
// every block and signature.
type machine struct {
	hide    bool   // thought parts are not content: keep-alives (Options.ThinkingPings)
	open    byte   // 0 none, 't' thinking, 'x' text
	sig     string // signature for the open thinking block, already encoded
	pending string // Gemini signature seen with no thinking block open
	calls   int
}

func (m *machine) close(s sink) {
	if m.open != 0 {
		s.stopBlock(m.sig)
		m.open, m.sig = 0, ""
	}
}

// part feeds one part to the machine; a malformed functionCall ends the
// answer with the error it returns.
func (m *machine) part(s sink, p gjson.Result) *apierror.Error {
	sig := p.Get("thoughtSignature").String()
	if fc := p.Get("functionCall"); fc.Exists() {
		if e := gemini.CheckFunctionCall(fc); e != nil {
			return e
		}
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
		if a := fc.Get("args"); a.IsObject() {
			args = a.Raw
		}
		s.toolUse(gemini.IDWithSignature(gemini.RandomID("toolu_", 24), sig), fc.Get("name").String(), args)
		m.calls++
		return nil
	}
	t := p.Get("text")
	if t.Type != gjson.String {
		return nil // executableCode, inlineData…: nothing Anthropic can show
	}
	if gemini.IsThought(p) && m.hide {
		if sig != "" && m.open != 't' {
			m.pending = strings.Clone(sig) // for the next call's id
		}
		s.keepAlive()
		return nil
	}
	if gemini.IsThought(p) {
		if t.Str != "" && m.open != 't' {
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
		if t.Str != "" {
			s.delta(t.Str)
		}
		return nil
	}
	if t.Str == "" { // a signature carrier, not content (§4.8)
		if sig != "" {
			if m.open == 't' {
				m.sig = encodeSignature('t', sig)
			} else {
				m.pending = strings.Clone(sig) // kept past the event
			}
		}
		return nil
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
		// off): the next tool_use id can still carry it (§4.7 step 3).
		m.pending = sig
	}
	if m.open != 'x' {
		m.open = 'x'
		s.startBlock(false)
	}
	s.delta(t.Str)
	return nil
}

// collector builds the `content` array of a non-streaming message.
type collector struct {
	out  []byte
	n    int
	kind bool   // thinking
	text []byte // the open block's text
}

func (c *collector) sep() {
	if c.n > 0 {
		c.out = append(c.out, ',')
	}
	c.n++
}

func (c *collector) keepAlive() {}

func (c *collector) startBlock(thinking bool) { c.kind, c.text = thinking, c.text[:0] }
func (c *collector) delta(text string)        { c.text = append(c.text, text...) }

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
// `n`, P16).
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

// Response translates a complete Gemini GenerateContentResponse (§4.6).
func (r *MessagesRequest) Response(body []byte) ([]byte, *apierror.Error) {
	if e := jsondepth.CheckAnswer(body); e != nil {
		return nil, e
	}
	if !gjson.ValidBytes(body) {
		return nil, apierror.New(apierror.BadGateway, "Gemini answered with a body that is not JSON.")
	}
	resp := gjson.ParseBytes(body)
	if resp.IsArray() || resp.Get("error").Exists() {
		return nil, apierror.FromGemini(0, body) // P23
	}
	cand := candidate0(resp)
	finish := gemini.FinishFiltered // no candidate: the prompt was blocked (P17)
	if cand.Exists() {
		reason := cand.Get("finishReason").String()
		if finish = gemini.ClassifyFinish(reason); finish == gemini.FinishMalformed {
			return nil, gemini.MalformedCallError(reason) // never a silent empty success (P15)
		}
	}
	c := collector{out: make([]byte, 0, len(body)+256)}
	c.out = append(c.out, `{"id":`...)
	c.out = jsonw.String(c.out, messageID(resp))
	c.out = append(c.out, `,"type":"message","role":"assistant","model":`...)
	c.out = jsonw.String(c.out, r.Model)
	c.out = append(c.out, `,"content":[`...)
	var m machine
	var failure *apierror.Error
	cand.Get("content.parts").ForEach(func(_, p gjson.Result) bool {
		failure = m.part(&c, p)
		return failure == nil
	})
	if failure != nil {
		return nil, failure
	}
	m.close(&c)
	out := append(c.out, `],"stop_reason":`...)
	out = jsonw.String(out, stopReason(finish, m.calls > 0))
	out = append(out, `,"stop_sequence":null,"usage":`...)
	out = appendUsage(out, gemini.ReadUsage(resp))
	return append(out, '}'), nil
}

// Response translates Gemini's countTokens answer to {"input_tokens":N}.
func (r *CountTokensRequest) Response(body []byte) ([]byte, *apierror.Error) {
	if e := jsondepth.CheckAnswer(body); e != nil {
		return nil, e
	}
	if !gjson.ValidBytes(body) {
		return nil, apierror.New(apierror.BadGateway, "Gemini answered with a body that is not JSON.")
	}
	resp := gjson.ParseBytes(body)
	if resp.IsArray() || resp.Get("error").Exists() {
		return nil, apierror.FromGemini(0, body)
	}
	total := resp.Get("totalTokens")
	if total.Exists() && total.Type != gjson.Number && total.Type != gjson.String {
		return nil, apierror.New(apierror.BadGateway, "Gemini's countTokens answer has no usable totalTokens.")
	}
	out := append(make([]byte, 0, 32), `{"input_tokens":`...)
	out = jsonw.Int(out, total.Int())
	return append(out, '}'), nil
}
