// Package anthropic translates the Anthropic Messages API to Gemini and back.
//
// Everything here is bytes in, bytes out: requests are read with gjson and
// Gemini bodies and client answers are written by appending (jsonw), so the
// package has no proxy-wasm dependency and is tested as plain Go.
package anthropic

import (
	"strconv"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
	"github.com/gemini-code-api/gemini-code-api/translators/translator"
	"github.com/tidwall/gjson"
)

// MessagesRequest is a parsed POST /v1/messages request: its translator.
type MessagesRequest struct {
	translator.Call
	// hideThoughts: thought summaries were requested only to keep the
	// stream alive (Env.ThinkingPings); they become pings.
	hideThoughts bool
	// builtins are the built-in tools sent (web search, URL context): the
	// answer then carries server tool blocks, citations and their usage.
	builtins gemini.Builtins
}

// NewAnswer starts translating Gemini's answer (Response).
func (r *MessagesRequest) NewAnswer() translator.Answer { return translator.Single(r) }

// ParseMessages validates an Anthropic Messages request and translates it to
// a Gemini GenerateContentRequest. Every rejection
// names the field at fault, in Anthropic's "<path>: <problem>" wording.
func ParseMessages(body []byte, env *translator.Env) (*MessagesRequest, *apierror.Error) {
	r := &MessagesRequest{}
	root, e := r.Start(body, env, resolveModel, &fields)
	if e != nil {
		return nil, e
	}
	maxTok := root.Get("max_tokens")
	if gemini.Unset(maxTok) {
		return nil, apierror.Invalid("max_tokens", "max_tokens: Field required")
	}
	out := make([]byte, 0, len(body)+256)
	out = append(out, '{')
	choiceNone := root.Get("tool_choice").Get("type").String() == "none"
	out, tools, e := appendCommon(out, root, r.GeminiModel, choiceNone, r.Env.Decls)
	if e != nil {
		return nil, e
	}
	if out, e = appendToolConfig(out, root, &tools); e != nil {
		return nil, e
	}
	r.builtins, r.NoticeText = tools.send, tools.notice
	th := root.Get("thinking")
	r.hideThoughts = env.ThinkingPings && r.Stream && gemini.Unset(th) && gemini.CanThink(r.GeminiModel)
	if out, e = appendGenerationConfig(out, root, r.GeminiModel, r.hideThoughts); e != nil {
		return nil, e
	}
	r.Body = append(out, '}')
	return r, nil
}

// resolveModel reads the client's `model` and the Gemini model that serves
// it.
func resolveModel(model gjson.Result, mm *models.Map) (client, upstream string, e *apierror.Error) {
	switch {
	case gemini.Unset(model):
		return "", "", apierror.Invalid("model", "model: Field required")
	case model.Type != gjson.String || model.Str == "":
		return "", "", apierror.Invalid("model", "model: Input should be a non-empty string")
	}
	if client, upstream, e = mm.ResolveClient(model.Str); e != nil {
		e.Message = "model: " + e.Message
		return "", "", e
	}
	if upstream == "" {
		return "", "", apierror.Invalid("model", "model: `"+model.Str+"` is not a valid model name")
	}
	return client, upstream, nil
}

// appendCommon writes contents, systemInstruction and tools — what both
// generateContent and countTokens carry. It returns the request's tools.
// choiceNone (tool_choice none) sends no built-in tool.
func appendCommon(out []byte, root jsonidx.Object, model string, choiceNone bool, cache *gemini.DeclCache) ([]byte, tools, *apierror.Error) {
	b := newBuilder(model)
	b.contents.Start(out)
	if e := b.messages(root.Get("messages")); e != nil {
		return nil, tools{}, e
	}
	out = b.contents.End()
	var system gemini.System
	if e := systemParts(&system, root.Raw("system")); e != nil {
		return nil, tools{}, e
	}
	system.Extend(&b.system)
	ts, e := parseTools(cache, root.Get("tools"), b.lateTools...)
	if e != nil {
		return nil, tools{}, e
	}
	t := ts.plan(model, choiceNone)
	system.Add(t.hint())
	out = system.AppendTo(out)
	return t.appendTo(out), t, nil
}

// systemParts adds the text parts of `system` (a string or text blocks;
// cache_control and citations are dropped) to the system instruction.
var textBlockKeys = []string{"type", "text"}

func systemParts(system *gemini.System, sys gjson.Result) *apierror.Error {
	switch {
	case gemini.Unset(sys):
	case sys.Type == gjson.String:
		system.AddQuoted(jsonidx.Text(sys))
	case sys.IsArray():
		var v [2]gjson.Result // type and text, read by the walk that finds the block's end; the text as the body holds it
		return jsonidx.EachObject(sys, textBlockKeys, 1<<1, v[:], func(i int, blk gjson.Result) *apierror.Error {
			p := func() string { return "system." + apierror.Itoa(i) } // for an error only
			if !blk.IsObject() {
				return apierror.Invalid(p(), p()+": Input should be a valid dictionary")
			}
			if v[0].String() != "text" {
				return apierror.Invalid(p()+".type", p()+".type: Input should be 'text'")
			}
			if v[1].Type != gjson.String {
				return apierror.Invalid(p()+".text", p()+".text: Input should be a valid string")
			}
			system.AddQuoted(jsonidx.Text(v[1]))
			return nil
		})
	default:
		return apierror.Invalid("system", "system: Input should be a valid string or a list of text blocks")
	}
	return nil
}

// modelPart is one part of the model turn being built. The turn is kept
// until it ends so that a thinking block's signature can be attached to the
// right part whatever the block order.
type modelPart struct {
	raw  []byte       // a functionCall part without its closing '}'
	text jsonw.Quoted // else the text of a text part
	call bool         // a functionCall part (else text)
	note bool         // text standing for server tool blocks: never signed
	sig  string       // signature already known for this part (from the id marker)
}

// builder turns Anthropic messages into Gemini contents.
type builder struct {
	model    string
	contents gemini.Contents
	// The open model turn: consecutive assistant messages merge into one
	// Gemini content, so signatures are tracked per turn, not per message.
	turn         []modelPart
	sigTx, sigFc string // Gemini signatures recovered from our thinking blocks
	// Calls of the open/last model turn still waiting for their results;
	// calls sharing an id are answered in order.
	pending gemini.Calls
	// system holds the text of `system` messages inside `messages` (Claude
	// Code's per-turn system messages), hoisted after the top-level system;
	// lateTools the tool definitions they add.
	system    gemini.System
	lateTools []gjson.Result
	// searched holds the queries (web_search) and URLs (web_fetch) of the
	// server_tool_use blocks waiting for their result block.
	searched, fetched []string
}

// newBuilder starts the contents of a request to model.
func newBuilder(model string) builder {
	return builder{model: model, pending: gemini.Calls{InOrder: true}}
}

func (b *builder) messages(msgs gjson.Result) *apierror.Error {
	if gemini.Unset(msgs) {
		return apierror.Invalid("messages", "messages: Field required")
	}
	if e := gemini.NonEmpty(msgs, "messages", "messages: Input should be a valid list", "messages: at least one message is required"); e != nil {
		return e
	}
	var v [2]gjson.Result // role and content, read by the walk that finds the message's end; a content string as the body holds it
	if e := jsonidx.EachObject(msgs, messageKeys, 1<<1, v[:], func(i int, m gjson.Result) *apierror.Error {
		return b.message(i, m, v[0], v[1])
	}); e != nil {
		return e
	}
	b.flushTurn()
	// A history ending on tool calls gets error results too: Gemini must
	// see one response per call, and the model then explains or retries.
	b.answerPending()
	if b.contents.Len() == 0 {
		return apierror.Invalid("messages", "messages: no message has content to send (only empty text or thinking blocks)")
	}
	return nil
}

// message translates messages.i, with its role and content. The names of
// its parameters are built only for an error (apierror.Path).
func (b *builder) message(i int, m, role, c gjson.Result) *apierror.Error {
	if !m.IsObject() {
		param := apierror.Path{Base: "messages", I: i, J: -1, Dots: true}.At("")
		return apierror.Invalid(param, param+": Input should be a valid dictionary")
	}
	at := apierror.Path{Base: "messages", I: i, Mid: ".content", J: -1, Dots: true}
	if e := checkContent(c, at); e != nil {
		return e
	}
	switch role.String() {
	case "user":
		b.flushTurn()
		return b.userMessage(c, at)
	case "assistant":
		return b.assistantMessage(c, at)
	case "system":
		return b.systemMessage(c, at)
	}
	param := apierror.Path{Base: "messages", I: i, J: -1, Dots: true}.At(".role")
	return apierror.Invalid(param, param+": Input should be 'user', 'assistant' or 'system'")
}

var messageKeys = []string{"role", "content"}

// named is the Path of a parameter whose name is already built.
func named(param string) apierror.Path {
	return apierror.Path{Base: param, I: -1, J: -1, Dots: true}
}

// systemMessage reads a `system` message inside `messages` (Claude Code
// 2.1.3xx, beta per-turn-control): system text at a point of the
// conversation, and tools added or removed mid-conversation. Gemini has one
// system instruction and no system turns, so the text is hoisted into it
// (as for OpenAI developer messages; a user turn here could split a tool
// call from its result). A tool_addition with a definition declares the
// tool; references name tools already declared, and removals are not
// applied (the declared tools are the request's `tools`).
func (b *builder) systemMessage(c gjson.Result, at apierror.Path) *apierror.Error {
	return eachBlock(c, func(j int, blk gjson.Result) *apierror.Error {
		switch typ := blk.Get("type").String(); {
		case blk.Type == gjson.String || typ == "text":
			t := blk
			if blk.IsObject() {
				t = jsonidx.RawMember(blk, "text")
			}
			b.system.AddQuoted(jsonidx.Text(t))
		case typ == "tool_addition":
			if def := blk.Get("tool.definition"); blk.Get("tool.type").String() == "tool_definition" && def.IsObject() {
				b.lateTools = append(b.lateTools, def)
			}
		case typ == "tool_removal":
		default:
			pp := at.Elem(j).At(".type")
			return apierror.Invalid(pp, pp+": Input tag '"+typ+"' found using 'type' does not match any of the expected tags for a system message: 'text', 'tool_addition', 'tool_removal'")
		}
		return nil
	})
}

// checkContent refuses a message content that is neither a string nor a
// list of blocks (at names it).
func checkContent(c gjson.Result, at apierror.Path) *apierror.Error {
	switch {
	case c.Type == gjson.String, c.IsArray():
		return nil
	case !c.Exists() || c.Type == gjson.Null:
		param := at.At("")
		return apierror.Invalid(param, param+": Field required")
	}
	param := at.At("")
	return apierror.Invalid(param, param+": Input should be a valid string or a list of content blocks")
}

// eachBlock calls fn for each block of a checked message content; the
// string shorthand is one block (a string Result).
func eachBlock(c gjson.Result, fn func(j int, blk gjson.Result) *apierror.Error) *apierror.Error {
	if c.Type == gjson.String {
		return fn(0, c)
	}
	return jsonidx.Each(c, fn)
}

func (b *builder) userMessage(c gjson.Result, at apierror.Path) *apierror.Error {
	// Tool results go first, one per call of the previous step, in call
	// order: Gemini wants the content after a call turn to answer every
	// call (docs/gemini-wire-notes.md#tool-turns). Their attachments and the
	// rest follow.
	if c.Type == gjson.String {
		// The string shorthand: no results, so every call of the step
		// gets an error result, then the text.
		b.pending.Close(&b.contents)
		b.contents.AddQuoted("user", jsonidx.Text(c))
		return nil
	}
	var responses [][]byte
	if b.pending.Len() > 0 {
		responses = make([][]byte, b.pending.Len())
	}
	var rest []userPart
	// A block's members read by the walk that finds its end: its type,
	// and those of the two blocks that make up a coding agent's turns
	// (tool_result and text), texts as the body holds them.
	var v userBlockMembers
	if e := jsonidx.EachObject(c, userBlockKeys, 1<<uText|1<<uContent, v[:], func(j int, blk gjson.Result) *apierror.Error {
		pp := at.Elem(j)
		if blk.Type == gjson.String { // a string block
			if t := jsonidx.Text(blk); !t.Empty() {
				rest = append(rest, userPart{text: t})
			}
			return nil
		}
		if !blk.IsObject() {
			param := pp.At("")
			return apierror.Invalid(param, param+": Input should be a valid dictionary")
		}
		typ := v[uType].String()
		switch typ {
		case "tool_result":
			k, resp, extra, e := b.toolResult(&v, pp)
			if e != nil {
				return e
			}
			if k >= 0 {
				responses[k] = resp
				for _, p := range extra {
					rest = append(rest, userPart{raw: p})
				}
			}
			return nil
		case "text": // as userBlock reads it, the part written in place
			t := v[uText]
			if t.Type != gjson.String {
				param := pp.At(".text")
				return apierror.Invalid(param, param+": Input should be a valid string")
			}
			if q := jsonidx.Text(t); !q.Empty() { // Gemini rejects an empty text part
				rest = append(rest, userPart{text: q})
			}
			return nil
		}
		parts, e := userBlock(blk, typ, pp)
		for _, p := range parts {
			rest = append(rest, userPart{raw: p})
		}
		return e
	}); e != nil {
		return e
	}
	for k, resp := range responses {
		if resp == nil {
			resp = gemini.NoResult(b.pending.Name(k))
		}
		b.contents.Add("user", resp)
	}
	b.pending.Reset()
	for _, p := range rest {
		if p.raw != nil {
			b.contents.Add("user", p.raw)
		} else {
			b.contents.AddQuoted("user", p.text)
		}
	}
	return nil
}

// userPart is a part of a user message: raw, or else the text of a text
// part (written in place).
type userPart struct {
	raw  []byte
	text jsonw.Quoted
}

// userBlockMembers holds the members of a user block that userMessage
// reads (userBlockKeys), by the indexes below.
type userBlockMembers [5]gjson.Result

var userBlockKeys = []string{"type", "text", "tool_use_id", "is_error", "content"}

const (
	uType = iota
	uText
	uToolUseID
	uIsError
	uContent
)

// toolResult translates a tool_result block, whose members v holds. k is
// the index of the pending call it answers, -1 when it answers nothing we
// know (dropped: it has no function name and would break Gemini's
// one-response-per-call rule).
func (b *builder) toolResult(v *userBlockMembers, at apierror.Path) (k int, resp []byte, extra [][]byte, e *apierror.Error) {
	id := v[uToolUseID]
	if id.Type != gjson.String || id.Str == "" {
		param := at.At(".tool_use_id")
		return -1, nil, nil, apierror.Invalid(param, param+": Field required")
	}
	isErr := false
	switch v := v[uIsError]; v.Type { // fields.Bool, with the name built for an error only
	case gjson.True:
		isErr = true
	case gjson.False, gjson.Null:
	default:
		if v.Exists() {
			return -1, nil, nil, fields.NotBool(at.At(".is_error"))
		}
	}
	text, extra, e := toolResultContent(v[uContent], at)
	if e != nil {
		return -1, nil, nil, e
	}
	if k = b.pending.Answer(id.Str); k < 0 {
		return -1, nil, nil, nil
	}
	return k, gemini.FunctionResponse(b.pending.Name(k), text, isErr, nil), extra, nil
}

func (b *builder) assistantMessage(c gjson.Result, at apierror.Path) *apierror.Error {
	var v assistantBlockMembers
	if c.Type == gjson.String {
		return b.assistantBlock(c, &v, at.Elem(0))
	}
	return jsonidx.EachObject(c, assistantBlockKeys, 1<<aText|1<<aThinking, v[:], func(j int, blk gjson.Result) *apierror.Error {
		return b.assistantBlock(blk, &v, at.Elem(j))
	})
}

// assistantBlockMembers holds the members of an assistant block that
// assistantBlock reads (assistantBlockKeys), by the indexes below: read by
// the walk that finds the block's end, texts as the body holds them (a
// thinking block's text is only checked, never decoded).
type assistantBlockMembers [7]gjson.Result

var assistantBlockKeys = []string{"type", "text", "thinking", "signature", "id", "name", "input"}

const (
	aType = iota
	aText
	aThinking
	aSignature
	aID
	aName
	aInput
)

func (b *builder) assistantBlock(blk gjson.Result, v *assistantBlockMembers, at apierror.Path) *apierror.Error {
	if blk.Type == gjson.String {
		if t := jsonidx.Text(blk); !t.Empty() {
			b.turn = append(b.turn, modelPart{text: t})
		}
		return nil
	}
	if !blk.IsObject() {
		pp := at.At("")
		return apierror.Invalid(pp, pp+": Input should be a valid dictionary")
	}
	switch typ := v[aType].String(); typ {
	case "text":
		t := v[aText]
		if t.Type != gjson.String {
			pp := at.At(".text")
			return apierror.Invalid(pp, pp+": Input should be a valid string")
		}
		if q := jsonidx.Text(t); !q.Empty() { // Claude Code sends empty text blocks; Gemini refuses empty text
			b.turn = append(b.turn, modelPart{text: q})
		}
	case "thinking":
		// Thoughts are never sent back as text; only our own signature
		// matters (foreign, real-Claude signatures are dropped).
		sig := v[aSignature]
		if t := v[aThinking]; t.Exists() && t.Type != gjson.String {
			pp := at.At(".thinking")
			return apierror.Invalid(pp, pp+": Input should be a valid string")
		}
		if sig.Exists() && sig.Type != gjson.String && sig.Type != gjson.Null {
			pp := at.At(".signature")
			return apierror.Invalid(pp, pp+": Input should be a valid string")
		}
		if kind, s := gemini.CarriedSignature(sig.Str); s != "" {
			if kind == 't' && b.sigTx == "" {
				b.sigTx = s
			} else if kind == 'f' && b.sigFc == "" {
				b.sigFc = s
			}
		}
	case "redacted_thinking":
		// Opaque data of another model: nothing Gemini can use.
	case "tool_use":
		if e := b.toolUse(v, at); e != nil {
			return e
		}
	case "server_tool_use", "web_search_tool_result", "web_fetch_tool_result":
		b.serverBlock(blk, typ)
	case "":
		pp := at.At(".type")
		return apierror.Invalid(pp, pp+": Field required")
	default:
		pp := at.At(".type")
		return apierror.Invalid(pp, pp+": Input tag '"+typ+"' found using 'type' does not match any of the expected tags for an assistant message: 'text', 'thinking', 'redacted_thinking', 'tool_use', 'server_tool_use', 'web_search_tool_result', 'web_fetch_tool_result'")
	}
	return nil
}

// serverBlock reads the web search and web fetch blocks of an answer sent
// back as history. Gemini has no part for a search it ran (its grounding
// metadata exists only in answers), so what the model learnt goes back as
// a short text in its own turn: the queries or URL and the sources found,
// or the error; Anthropic's encrypted_content and the gateway's own are
// opaque and not needed for that. A fetched document's text, when the
// history holds one, goes with it.
func (b *builder) serverBlock(blk gjson.Result, typ string) {
	var note jsonw.Builder
	switch typ {
	case "server_tool_use":
		switch blk.Get("name").String() {
		case "web_search":
			b.searched = append(b.searched, blk.Get("input.query").String())
		case "web_fetch":
			b.fetched = append(b.fetched, blk.Get("input.url").String())
		}
		return
	case "web_search_tool_result":
		note.WriteString("Web search")
		for i, q := range b.searched {
			if i == 0 {
				note.WriteString(" for ")
			} else {
				note.WriteString(", ")
			}
			note.WriteString(strconv.Quote(q))
		}
		b.searched = b.searched[:0]
		c := blk.Get("content")
		if !c.IsArray() {
			note.WriteString(" failed: " + c.Get("error_code").String())
			break
		}
		note.WriteString(", results:")
		c.ForEach(func(_, r gjson.Result) bool {
			note.WriteString("\n- " + r.Get("title").String() + " " + r.Get("url").String())
			if age := r.Get("page_age").String(); age != "" {
				note.WriteString(" (" + age + ")")
			}
			return true
		})
	case "web_fetch_tool_result":
		c := blk.Get("content")
		url := c.Get("url").String()
		if url == "" && len(b.fetched) > 0 {
			url = b.fetched[0]
		}
		if url == "" {
			url = "a page"
		}
		b.fetched = b.fetched[:0]
		if c.Get("type").String() != "web_fetch_result" {
			note.WriteString("Fetching " + url + " failed: " + c.Get("error_code").String())
			break
		}
		note.WriteString("Fetched " + url)
		if title := c.Get("content.title").String(); title != "" {
			note.WriteString(" (" + title + ")")
		}
		if data := c.Get("content.source.data"); c.Get("content.source.type").String() == "text" && data.Str != "" {
			note.WriteString(":\n" + data.Str)
		}
	}
	b.turn = append(b.turn, modelPart{text: note.Quoted(), note: true})
}

func (b *builder) toolUse(v *assistantBlockMembers, at apierror.Path) *apierror.Error {
	id := v[aID]
	if id.Type != gjson.String || id.Str == "" {
		param := at.At(".id")
		return apierror.Invalid(param, param+": Field required")
	}
	name := v[aName]
	if name.Type != gjson.String || name.Str == "" {
		param := at.At(".name")
		return apierror.Invalid(param, param+": Field required")
	}
	input := v[aInput]
	args := "{}"
	switch {
	case input.IsObject():
		args = input.Raw
	case !input.Exists() || input.Type == gjson.Null:
	default:
		param := at.At(".input")
		return apierror.Invalid(param, param+": Input should be a valid dictionary")
	}
	_, sig := gemini.SignatureFromID(id.Str)
	b.turn = append(b.turn, modelPart{raw: gemini.FunctionCallOpen(name.Str, args), call: true, sig: sig})
	b.pending.Add(id.Str, name.Str)
	return nil
}

// flushTurn writes the buffered model turn, re-attaching signatures: the
// thinking block's `tx` signature to the first text part, its `fc` signature
// (or the id marker) to the first functionCall: Gemini wants each back on
// the kind of part it came on (docs/thought-signatures.md).
func (b *builder) flushTurn() {
	firstText, firstCall := true, true
	for _, p := range b.turn {
		sig := p.sig
		if p.call {
			if firstCall {
				if sig == "" {
					sig = b.sigFc
				}
				if sig == "" && gemini.IsGemini3OrLater(b.model) {
					// Gemini 3 validates the first call of every step of the
					// current turn; history we cannot sign gets Google's
					// documented placeholder instead of a 400.
					sig = gemini.SkipSignature
				}
			}
			firstCall = false
		} else if !p.note {
			if firstText && sig == "" {
				sig = b.sigTx
			}
			firstText = false
		}
		if p.call {
			b.contents.Add("model", gemini.Signed(p.raw, sig))
		} else {
			b.contents.AddSignedQuoted("model", p.text, sig)
		}
	}
	b.turn = b.turn[:0]
	b.sigTx, b.sigFc = "", ""
	b.searched, b.fetched = b.searched[:0], b.fetched[:0]
}

// answerPending synthesizes error results for calls nobody answered.
func (b *builder) answerPending() { b.pending.Close(&b.contents) }

// The translators of the package.
var (
	_ translator.Translator = (*MessagesRequest)(nil)
	_ translator.Translator = (*CountTokensRequest)(nil)
)
