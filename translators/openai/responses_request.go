package openai

// The Responses API (POST /v1/responses), the only API Codex CLI speaks.
//
// It lives in package openai, next to chat completions, because it is the
// same protocol family: the same error shape and status map (ErrorBody,
// Status), the same media handling (mediaPart), the same effort levels and
// the same thought-signature carriers (call ids). Sharing the package lets
// these files reuse those unexported pieces without exporting or editing
// them.
//
// The gateway is stateless. A request carries the whole conversation in
// `input`, including the output items of earlier responses (Codex sends
// store:false and replays every item, as OpenAI's stateless mode requires);
// nothing is stored, so previous_response_id, item_reference, conversation
// and background are refused with a 400 that says so, instead of answering
// without the context the client thinks it gave.

import (
	"strconv"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/gemini-code-api/gemini-code-api/translators/translator"
	"github.com/tidwall/gjson"
)

// ResponsesRequest is a parsed Responses API request.
type ResponsesRequest struct {
	translator.Call

	// summaries: the client asked for reasoning summaries, so Gemini's
	// thought summaries become reasoning items.
	summaries bool
	// encrypted: include has reasoning.encrypted_content. Text signatures
	// then ride in reasoning items (a client that did not ask for them could
	// not replay them anyway).
	encrypted bool
	// tools maps the Gemini function names of custom and namespaced tools to
	// the client's names, so calls are answered in the client's terms.
	tools map[string]toolRef
	// echo holds the request fields a Response object repeats, as JSON
	// members starting with a comma.
	echo []byte
	// builtins are the built-in tools sent: answers then carry
	// web_search_call items and url_citation annotations.
	builtins gemini.Builtins
	hint     string // search settings for the system instruction (gemini.SearchHint)
}

// toolRef is how the client declared a tool Gemini knows by another name or
// shape.
type toolRef struct {
	custom    bool   // a custom (free-form input) tool: answered as custom_tool_call
	namespace string // the namespace of a tool declared inside a namespace tool
	name      string // the client's name of the tool (within its namespace)
}

// NewAnswer starts translating Gemini's answer (Response).
func (r *ResponsesRequest) NewAnswer() translator.Answer { return translator.Single(r) }

// statelessFields are request fields that refer to state kept by OpenAI.
// The gateway keeps none, so answering without it would silently drop
// context the client relies on.
var statelessFields = [...]struct{ name, why string }{
	{"previous_response_id", "this gateway does not store responses, so `previous_response_id` cannot be resolved. Send the whole conversation in `input`, including the output items of earlier responses (with `store: false`, as Codex does)."},
	{"conversation", "this gateway does not store conversations. Send the whole conversation in `input`."},
	{"prompt", "stored prompt templates are not available through this gateway; send `instructions` and `input` instead."},
}

// ParseResponses validates a Responses API request and translates it to a
// Gemini GenerateContentRequest. Every rejection names the field at fault.
func ParseResponses(body []byte, env *translator.Env) (*ResponsesRequest, *apierror.Error) {
	r := &ResponsesRequest{}
	root, e := r.Start(body, env, resolveModel, &fields)
	if e != nil {
		return nil, e
	}
	for _, f := range statelessFields {
		if v := root.Get(f.name); v.Exists() && v.Type != gjson.Null && v.Raw != `""` {
			return nil, apierror.Invalid(f.name, "Unsupported parameter '"+f.name+"': "+f.why)
		}
	}
	if root.Get("background").Type == gjson.True {
		return nil, apierror.Invalid("background", "Unsupported parameter 'background': this gateway does not store responses to poll later; send the request without `background` (streaming keeps long answers alive).")
	}
	if inc := root.Get("include"); inc.Exists() && inc.Type != gjson.Null {
		if !inc.IsArray() {
			return nil, apierror.Invalid("include", "Invalid type for 'include': expected an array of strings.")
		}
		// Other values (logprobs, search sources...) ask for data Gemini
		// does not give; they are accepted and ignored.
		if e := jsonidx.Each(inc, func(i int, v gjson.Result) *apierror.Error {
			if i >= MaxIncludes {
				return apierror.Invalid("include", "Invalid 'include': at most "+apierror.Itoa(MaxIncludes)+" entries are accepted.")
			}
			if v.Str == "reasoning.encrypted_content" {
				r.encrypted = true
			}
			return nil
		}); e != nil {
			return nil, e
		}
	}

	out := make([]byte, 0, len(body)+256)
	out = append(out, '{')
	b := respBuilder{model: r.GeminiModel, gemini3: gemini.IsGemini3OrLater(r.GeminiModel)}
	var tools responsesToolsOut
	names, e := r.parseTools(root, &tools)
	if e != nil {
		return nil, e
	}
	b.names = names
	b.contents.Start(out) // written in place: the contents are most of a request
	if in := root.Raw("instructions"); in.Exists() && in.Type != gjson.Null {
		if e := b.instructions(in); e != nil {
			return nil, e
		}
	}
	if e := b.input(root.Raw("input")); e != nil {
		return nil, e
	}
	out = b.contents.End()
	b.system.Add(r.hint)
	out = b.system.AppendTo(out)
	out = tools.appendTo(out)
	if out, e = r.appendGenerationConfig(out, root); e != nil {
		return nil, e
	}
	r.Body = append(out, '}')
	r.echo = responsesEcho(root)
	return r, nil
}

// MaxIncludes bounds `include` of a Responses request: the API defines
// about ten values, so a longer list can only be repetition.
const MaxIncludes = 32

// respBuilder turns Responses input items into Gemini contents.
//
// Items arrive one by one (a model turn is several items: reasoning,
// message, function calls), so a step of tool use — the model content and
// the results that answer it — is held until it ends: a reasoning item's
// signature belongs on a part that comes after it, Gemini 3 wants a
// signature on the first call of every model content, and clients often put
// each output right after its call (call, output, call, output) where Gemini
// needs the calls of one step together and their results in the next
// content (docs/thought-signatures.md#grouping-responses-calls).
type respBuilder struct {
	model    string
	gemini3  bool
	contents gemini.Contents
	system   gemini.System
	names    map[string]string // client tool name ("ns.name" for namespaced) -> Gemini name
	calls    map[string]string // call_id -> Gemini function name
	pending  gemini.Calls      // calls of the open step, answered or not
	results  [][]byte          // functionResponse parts of the open step
	extra    [][]byte          // media of tool results, sent after the step's responses
	turn     []modelPart       // the open model content
	sigTx    string            // a text signature recovered from a reasoning item of this turn
	phase    byte              // 'm': model items open; 'r': tool results open; 0: neither
}

type modelPart struct {
	raw  []byte // the part without its closing brace, so a signature can be added
	call bool
	text bool
	sig  string
}

func (b *respBuilder) instructions(in gjson.Result) *apierror.Error {
	switch {
	case in.Type == gjson.String:
		b.system.AddQuoted(jsonidx.Text(in))
	case in.IsArray():
		// The API also takes instructions as a list of input items.
		return b.items(in, "instructions")
	default:
		return apierror.Invalid("instructions", "Invalid type for 'instructions': expected a string.")
	}
	return nil
}

func (b *respBuilder) input(in gjson.Result) *apierror.Error {
	switch {
	case in.Type == gjson.String:
		t := jsonidx.Text(in)
		if t.Empty() {
			return apierror.Invalid("input", "Invalid 'input': empty string.")
		}
		b.contents.AddQuoted("user", t)
	case in.IsArray():
		if e := b.items(in, "input"); e != nil {
			return e
		}
	case !in.Exists() || in.Type == gjson.Null:
		return apierror.Invalid("input", "Missing required parameter: 'input'.")
	default:
		return apierror.Invalid("input", "Invalid type for 'input': expected a string or an array of input items.")
	}
	b.closeStep()
	if b.contents.Len() == 0 {
		return apierror.Invalid("input", "`input` has no user or assistant content to send (only empty or system messages).")
	}
	return nil
}

// items reads a list of input items. Not inlined: its two callers each held
// a copy of its closure (4.2 KB of Wasm).
//
//go:noinline
func (b *respBuilder) items(list gjson.Result, field string) *apierror.Error {
	var v item
	return jsonidx.EachObject(list, itemKeys, 1<<iContent|1<<iOutput, v[:], func(i int, it gjson.Result) *apierror.Error {
		param := field + "[" + apierror.Itoa(i) + "]"
		if !it.IsObject() {
			return apierror.Invalid(param, "Invalid '"+param+"': expected an object.")
		}
		typ := v[iType].String()
		if typ == "" && v[iRole].Exists() {
			typ = "message" // EasyInputMessage: {role, content}
		}
		var e *apierror.Error
		switch typ {
		case "message":
			e = b.message(&v, param)
		case "function_call", "custom_tool_call":
			e = b.call(&v, param, typ == "custom_tool_call")
		case "function_call_output", "custom_tool_call_output":
			e = b.callOutput(&v, param)
		case "reasoning":
			b.reasoning(&v)
		case "item_reference":
			return apierror.Invalid(param, "Invalid '"+param+"': this gateway does not store items, so `item_reference` cannot be resolved; send the item itself.")
		case "web_search_call":
			b.searchNote(it)
		case "tool_search_call", "tool_search_output", "image_generation_call", "file_search_call", "compaction":
			// Records of hosted tools (and OpenAI's encrypted compaction)
			// the gateway never produced and Gemini cannot read: dropped.
		default:
			return apierror.Invalid(param+".type", "Invalid '"+param+".type': unsupported input item type `"+typ+"`; use message, function_call, function_call_output, custom_tool_call, custom_tool_call_output or reasoning.")
		}
		return e
	})
}

// item holds the members of an input item the translation reads
// (itemKeys), by the indexes below: read by the walk that finds the
// item's end, a message's content and a call's output as the body holds
// them. A Get per member would read the item from its start each time,
// and to its end for a member it does not have.
type item [10]gjson.Result

var itemKeys = []string{"type", "role", "content", "call_id", "name", "namespace", "arguments", "input", "output", "encrypted_content"}

const (
	iType = iota
	iRole
	iContent
	iCallID
	iName
	iNamespace
	iArguments
	iInput
	iOutput
	iEncrypted
)

// searchNote turns a web_search_call item sent back as history into a text
// of the model's turn: Gemini has no part for a search it ran (its
// grounding exists only in answers), and the queries and sources are what
// the model learnt from it. The note is never signed.
func (b *respBuilder) searchNote(it gjson.Result) {
	b.modelSide()
	var note jsonw.Builder
	note.WriteString("Web search")
	action := it.Get("action")
	queries := action.Get("queries")
	if !queries.IsArray() || len(queries.Array()) == 0 {
		queries = action.Get("query")
	}
	n := 0
	add := func(q gjson.Result) bool {
		if q.String() == "" {
			return true
		}
		if n == 0 {
			note.WriteString(" for ")
		} else {
			note.WriteString(", ")
		}
		n++
		note.WriteString(strconv.Quote(q.String()))
		return true
	}
	if queries.IsArray() {
		queries.ForEach(func(_, q gjson.Result) bool { return add(q) })
	} else {
		add(queries)
	}
	if u := action.Get("url").String(); u != "" {
		note.WriteString(" opened " + u)
	}
	if sources := action.Get("sources"); sources.IsArray() {
		note.WriteString(", sources:")
		sources.ForEach(func(_, src gjson.Result) bool {
			note.WriteString("\n- " + src.Get("url").String())
			return true
		})
	}
	b.turn = append(b.turn, modelPart{raw: gemini.QuotedPartOpen(nil, note.Quoted())})
}

func (b *respBuilder) message(m *item, param string) *apierror.Error {
	role := m[iRole].String()
	c := m[iContent]
	param += ".content"
	switch role {
	case "system", "developer":
		// Hoisted to systemInstruction, in order (as for chat): Gemini has
		// no system turns, and hoisting does not disturb tool turns.
		return eachContent(c, named(param), b.system.AddQuoted, textOnly(b.system.AddQuoted, "only text parts are allowed in "+role+" messages."))
	case "user":
		b.closeStep()
		return eachContent(c, named(param), b.userText, func(p gjson.Result, pp apierror.Path) *apierror.Error {
			part, e := inputPart(p, pp.At(""))
			if e == nil && part != nil {
				b.contents.Add("user", part)
			}
			return e
		})
	case "assistant":
		b.modelSide()
		return eachContent(c, named(param), b.addModelText, textOnly(b.addModelText, "assistant messages take output_text or refusal parts."))
	}
	return apierror.Invalid(param[:len(param)-len(".content")]+".role", "Invalid role `"+role+"`: expected user, assistant, system or developer.")
}

// textOnly reads the text parts of a content that takes nothing else
// (wrong, what a refusal says of the others).
func textOnly(add func(jsonw.Quoted), wrong string) func(p gjson.Result, pp apierror.Path) *apierror.Error {
	return func(p gjson.Result, pp apierror.Path) *apierror.Error {
		t, ok := textPart(p)
		if !ok {
			param := pp.At(".type")
			return apierror.Invalid(param, "Invalid '"+param+"': "+wrong)
		}
		add(t)
		return nil
	}
}

func (b *respBuilder) userText(t jsonw.Quoted) { b.contents.AddQuoted("user", t) }

// textPart reads a text-only content part of any of the API's text types
// (a value that is not a string stands as its JSON text).
func textPart(p gjson.Result) (jsonw.Quoted, bool) {
	key := "text"
	switch p.Get("type").String() {
	case "input_text", "output_text", "text", "summary_text":
	case "refusal":
		key = "refusal"
	default:
		return "", false
	}
	t := jsonidx.RawMember(p, key)
	if t.Type != gjson.String {
		return jsonw.Quote(t.String()), true
	}
	return jsonidx.Text(t), true
}

// inputPart translates one part of a user message; nil means nothing to
// send.
func inputPart(p gjson.Result, param string) ([]byte, *apierror.Error) {
	switch typ := p.Get("type").String(); typ {
	case "input_text", "output_text", "text":
		return textInput(p, named(param))
	case "input_image":
		if p.Get("file_id").String() != "" {
			return nil, apierror.Invalid(param+".file_id", "OpenAI file ids cannot be read by the Gemini backend; send the image as a data URL or an http(s) URL in `image_url`.")
		}
		u := p.Get("image_url")
		if u.IsObject() {
			u = u.Get("url")
		}
		if u.Type != gjson.String || u.Str == "" {
			return nil, apierror.Invalid(param+".image_url", "Invalid '"+param+".image_url': expected a URL string.")
		}
		return mediaPart(u.Str, "", named(param), ".image_url")
	case "input_file":
		if p.Get("file_id").String() != "" {
			return nil, apierror.Invalid(param+".file_id", "OpenAI file ids cannot be read by the Gemini backend; send the file inline as `file_data` or by `file_url`.")
		}
		mime := gemini.MimeFromName(p.Get("filename").String())
		if d := p.Get("file_data").String(); d != "" {
			return mediaPart(d, mime, named(param), ".file_data")
		}
		if u := p.Get("file_url").String(); u != "" {
			if !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
				return nil, apierror.Invalid(param+".file_url", "Invalid '"+param+".file_url': expected an http(s) URL.")
			}
			if mime == "" {
				mime = gemini.MimeFromName(strings.SplitN(u, "?", 2)[0])
			}
			if mime == "" {
				mime = "application/pdf" // the API's documented file input
			}
			return gemini.FileDataPart(mime, u), nil
		}
		return nil, apierror.Invalid(param, "Invalid '"+param+"': an input_file needs `file_data` or `file_url`.")
	case "":
		return nil, apierror.Invalid(param+".type", "Invalid '"+param+"': a content part needs a `type`.")
	default:
		return nil, apierror.Invalid(param+".type", "Invalid '"+param+".type': unsupported content part type `"+typ+"`; use input_text, input_image or input_file.")
	}
}

// modelSide is called before a model item (assistant text, call,
// reasoning): after results, a model item starts the next step.
func (b *respBuilder) modelSide() {
	if b.phase == 'r' {
		b.closeStep()
	}
	b.phase = 'm'
}

// addModelText is not inlined: it is also passed as a function, whose
// wrapper would hold a second copy.
//
//go:noinline
func (b *respBuilder) addModelText(t jsonw.Quoted) {
	if t.Empty() {
		return // Gemini rejects empty text parts
	}
	b.turn = append(b.turn, modelPart{raw: gemini.QuotedPartOpen(nil, t), text: true})
}

// reasoning reads what a reasoning item carries for Gemini: only our own
// signature. Summaries are never sent back as text (they were never answer
// text), and foreign
// encrypted_content (OpenAI's) means nothing to Gemini.
func (b *respBuilder) reasoning(it *item) {
	b.modelSide()
	if kind, sig := gemini.CarriedSignature(it[iEncrypted].String()); kind == 't' {
		b.sigTx = sig
	} else if kind == 'f' {
		// Never produced by this translator (calls carry their own), but a
		// call signature must go on a call: keep it for one without.
		b.turn = append(b.turn, modelPart{sig: sig})
	}
}

func (b *respBuilder) call(v *item, param string, custom bool) *apierror.Error {
	id := v[iCallID].String()
	_, sig := gemini.SignatureFromID(id)
	if !(b.phase == 'r' && b.gemini3 && sig == "") {
		b.modelSide()
	}
	// Else: Gemini 3 signs the first call of every step, so an unsigned call
	// after results belongs to the open step: a parallel call whose output
	// the client put right after the first call's.
	name := v[iName]
	if name.Type != gjson.String || name.Str == "" {
		return apierror.Invalid(param+".name", "Invalid '"+param+".name': expected a non-empty string.")
	}
	if id == "" {
		return apierror.Invalid(param+".call_id", "Invalid '"+param+".call_id': a call needs the `call_id` its output refers to.")
	}
	gname := name.Str
	if ns := v[iNamespace].String(); ns != "" {
		gname = ns + "." + name.Str
	}
	if g, ok := b.names[gname]; ok {
		gname = g
	}
	var args string
	if custom {
		// Custom tools take free text; Gemini functions take an object:
		// the text travels as the one `input` argument (see parseTools).
		args = `{"input":` + string(jsonw.String(nil, v[iInput].String())) + `}`
	} else {
		var e *apierror.Error
		if args, e = callArgs(v[iArguments], named(param), ".arguments"); e != nil {
			return e
		}
	}
	b.turn = append(b.turn, modelPart{raw: gemini.FunctionCallOpen(gname, args), call: true, sig: sig})
	if b.calls == nil {
		b.calls = make(map[string]string)
	}
	b.calls[id] = gname
	b.pending.Add(id, gname)
	return nil
}

// flushTurn writes the held model content, putting signatures where Gemini
// wants them: each call's own (from its call id); the first call of the
// content gets one recovered from a reasoning item, or on Gemini 3 Google's
// documented placeholder, since Gemini 3 rejects a model content whose
// first call is unsigned; a text signature goes on the
// last text part, where Gemini put it.
func (b *respBuilder) flushTurn() {
	if len(b.turn) == 0 {
		b.sigTx = ""
		return
	}
	var fcSig string
	firstCall, lastText := -1, -1
	for i, p := range b.turn {
		switch {
		case p.raw == nil && fcSig == "":
			fcSig = p.sig
		case p.call && firstCall < 0:
			firstCall = i
		case p.text:
			lastText = i
		}
	}
	if firstCall >= 0 && b.turn[firstCall].sig == "" {
		b.turn[firstCall].sig = fcSig
		if fcSig == "" && b.gemini3 {
			b.turn[firstCall].sig = gemini.SkipSignature
		}
	}
	if lastText >= 0 && b.turn[lastText].sig == "" {
		b.turn[lastText].sig = b.sigTx
	}
	for _, p := range b.turn {
		if p.raw != nil {
			b.contents.Add("model", gemini.Signed(p.raw, p.sig))
		}
	}
	b.turn = b.turn[:0]
	b.sigTx = ""
}

// callOutput adds a function_call_output or custom_tool_call_output as a
// functionResponse, in the user content that follows the calls, where
// Gemini wants every result of the step.
func (b *respBuilder) callOutput(it *item, param string) *apierror.Error {
	id := it[iCallID]
	if id.Type != gjson.String || id.Str == "" {
		return apierror.Invalid(param+".call_id", "Invalid '"+param+".call_id': an output must name the call it answers.")
	}
	b.phase = 'r'
	name, ok := b.calls[id.Str]
	if !ok {
		// No call with that id in the history: no function name, and it
		// would break Gemini's one-response-per-call rule. Dropped.
		return nil
	}
	if b.pending.Answer(id.Str) < 0 {
		return nil // answers a call of an earlier step, or a second time
	}
	text, media, e := outputContent(it[iOutput], param+".output")
	if e != nil {
		return e
	}
	var inside [][]byte
	if b.gemini3 {
		// Gemini 3 takes images and documents inside the function response
		// (multimodal function responses); Codex's view_image needs it.
		inside, media = media, nil
	}
	b.results = append(b.results, gemini.FunctionResponse(name, text, false, inside))
	b.extra = append(b.extra, media...)
	return nil
}

// outputContent reads a call output: a string, or a list of content parts
// whose text is joined and whose images and files are returned as Gemini
// parts. o is read as jsonidx.RawMember leaves it.
func outputContent(o gjson.Result, param string) (jsonw.Quoted, [][]byte, *apierror.Error) {
	switch {
	case o.Type == gjson.String:
		return jsonidx.Text(o), nil, nil
	case !o.Exists() || o.Type == gjson.Null:
		return "", nil, nil
	case o.IsObject() && o.Get("content").Exists():
		// The older {content, success} shape of some clients.
		return outputContent(jsonidx.RawMember(o, "content"), param+".content")
	case o.IsArray():
		var text jsonw.Joined
		var media [][]byte
		e := jsonidx.Each(o, func(j int, p gjson.Result) *apierror.Error {
			if t, ok := textPart(p); ok {
				text.Add(t)
				return nil
			}
			part, e := inputPart(p, param+"["+apierror.Itoa(j)+"]")
			if part != nil {
				media = append(media, part)
			}
			return e
		})
		return text.Quoted(), media, e
	}
	return jsonw.Quote(o.Raw), nil, nil
}

// closeStep writes the open step: the model content, then the results in
// one user content. Calls the client never answered get an error result,
// so Gemini sees one functionResponse per functionCall, as it requires;
// media of the results follow the responses.
func (b *respBuilder) closeStep() {
	b.flushTurn()
	for _, r := range b.results {
		b.contents.Add("user", r)
	}
	b.pending.Close(&b.contents)
	for _, m := range b.extra {
		b.contents.Add("user", m)
	}
	b.results, b.extra = b.results[:0], b.extra[:0]
	b.phase = 0
}

// responsesEcho copies the request fields a Response object repeats
// (instructions, tools, sampling...) as JSON members.
func responsesEcho(root jsonidx.Object) []byte {
	// The tools and the instructions are most of it (a coding agent's are
	// tens of kilobytes): one buffer rather than one per doubling.
	out := make([]byte, 0, len(root.Raw("tools").Raw)+len(root.Raw("instructions").Raw)+512)
	for _, f := range echoFields {
		if f.def != "" {
			out = echoField(out, root, f.name, f.def)
			continue
		}
		switch f.name {
		case "previous_response_id":
			out = append(out, `,"previous_response_id":null`...)
		case "reasoning":
			reasoning := root.Raw("reasoning")
			out = append(out, `,"reasoning":{"effort":`...)
			out = echoRaw(out, jsonidx.RawMember(reasoning, "effort"), "null")
			out = append(out, `,"summary":`...)
			out = append(echoRaw(out, jsonidx.RawMember(reasoning, "summary"), "null"), '}')
		case "text":
			out = append(out, `,"text":{"format":`...)
			if f := jsonidx.RawMember(root.Raw("text"), "format"); f.IsObject() {
				out = append(out, f.Raw...)
			} else {
				out = append(out, `{"type":"text"}`...)
			}
			out = append(out, '}')
		}
	}
	return out
}

// echoFields are the members a Response repeats from its request, in
// order, each with the value a request without it gets; the three without
// one are written by responsesEcho itself. (One call of echoField in a
// loop: each of eleven calls in a row cost the module hundreds of bytes.)
var echoFields = [...]struct{ name, def string }{
	{"instructions", "null"}, {"max_output_tokens", "null"}, {"metadata", "{}"},
	{"parallel_tool_calls", "true"}, {"previous_response_id", ""}, {"reasoning", ""},
	{"store", "false"}, {"temperature", "1"}, {"text", ""}, {"tool_choice", `"auto"`},
	{"tools", "[]"}, {"top_p", "1"}, {"truncation", `"disabled"`}, {"user", "null"},
}

// echoRaw appends v as the request holds it, or def when it is absent.
func echoRaw(out []byte, v gjson.Result, def string) []byte {
	if v.Exists() {
		return append(out, v.Raw...)
	}
	return append(out, def...)
}

// echoField appends `,"name":` and the request's value of name, or def when
// the request has none (or null). Not inlined: an inlined copy cost 2 KB of
// Wasm.
//
//go:noinline
func echoField(out []byte, root jsonidx.Object, name, def string) []byte {
	out = jsonw.Key(append(out, ','), name)
	if v := root.Get(name); v.Exists() && v.Type != gjson.Null {
		return append(out, v.Raw...)
	}
	return append(out, def...)
}
