// Package openai translates the OpenAI Chat Completions, Embeddings and
// Models APIs to Gemini and back.
package openai

import (
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
	"github.com/gemini-code-api/gemini-code-api/translators/translator"
	"github.com/tidwall/gjson"
)

// MaxModalities is the most entries `modalities` may hold. Only "text" is
// served, so a longer list can only be repetition; the bound ends the
// reading of a hostile one early.
const MaxModalities = 4

// ChatRequest is a parsed chat completion request: its translator.
type ChatRequest struct {
	translator.Call
	IncludeUsage bool
	N            int
	// builtins are the built-in tools sent: answers then carry url_citation
	// annotations.
	builtins gemini.Builtins
}

// NewAnswer starts translating Gemini's answer (Response).
func (r *ChatRequest) NewAnswer() translator.Answer { return translator.Single(r) }

// ParseChat validates an OpenAI chat completion request and translates it to
// a Gemini GenerateContentRequest. Every rejection names the field at fault.
func ParseChat(body []byte, env *translator.Env) (*ChatRequest, *apierror.Error) {
	r := &ChatRequest{N: 1}
	root, e := r.Start(body, env, resolveModel, &fields)
	if e != nil {
		return nil, e
	}
	if so := root.Get("stream_options"); !gemini.Unset(so) {
		if !so.IsObject() {
			return nil, apierror.Invalid("stream_options", "stream_options must be an object.")
		}
		if e := fields.Bool(so.Get("include_usage"), "include_usage", &r.IncludeUsage); e != nil {
			return nil, e
		}
	}
	for _, f := range [...]string{"logit_bias", "audio"} {
		if v := root.Get(f); v.Exists() && v.Type != gjson.Null && (!v.IsObject() || jsonidx.HasMembers(v)) {
			return nil, apierror.Invalid(f, "`"+f+"` is not supported by the Gemini backend of this gateway; remove it.")
		}
	}
	if e := jsonidx.Each(root.Get("modalities"), func(i int, m gjson.Result) *apierror.Error {
		if i >= MaxModalities {
			return apierror.Invalid("modalities", "Invalid 'modalities': at most "+apierror.Itoa(MaxModalities)+" entries are accepted.")
		}
		if m.String() != "text" {
			return apierror.Invalid("modalities", "Only the `text` output modality is supported by this gateway.")
		}
		return nil
	}); e != nil {
		return nil, e
	}

	out := make([]byte, 0, len(body)+256)
	out = append(out, '{')
	b := builder{model: r.GeminiModel}
	b.contents.Start(out)
	if e := b.messages(root.Get("messages")); e != nil {
		return nil, e
	}
	out = b.contents.End()
	want, location, e := chatBuiltins(root, r.Model)
	if e != nil {
		return nil, e
	}
	send, combine, notice := gemini.PlanBuiltins(r.GeminiModel, want, hasTools(root.Get("tools")))
	r.builtins, r.NoticeText = send, notice
	if send.Search {
		b.system.Add(gemini.SearchHint(nil, nil, location))
	}
	out = b.system.AppendTo(out)
	if out, e = appendTools(out, root, send, combine, r.Env.Decls); e != nil {
		return nil, e
	}
	if out, e = r.appendGenerationConfig(out, root); e != nil {
		return nil, e
	}
	r.Body = append(out, '}')
	return r, nil
}

// builder turns OpenAI messages into Gemini contents.
type builder struct {
	model    string
	contents gemini.Contents
	system   gemini.System
	calls    map[string]string // tool call id -> function name
	pending  gemini.Calls      // calls of the last assistant message, until their results
}

func (b *builder) messages(msgs gjson.Result) *apierror.Error {
	if e := gemini.NonEmpty(msgs, "messages", "`messages` is required and must be an array of message objects.", "`messages` must contain at least one message."); e != nil {
		return e
	}
	var msg message // a message's members, read by the walk that finds its end
	if e := jsonidx.EachObject(msgs, messageKeys, 1<<mContent, msg[:], func(i int, m gjson.Result) *apierror.Error {
		return b.message(i, m, &msg)
	}); e != nil {
		return e
	}
	if b.contents.Len() == 0 {
		return apierror.Invalid("messages", "`messages` has no user or assistant content to send (only empty or system messages).")
	}
	return nil
}

// message translates messages[i], whose members msg holds (a content
// string as the body holds it, jsonidx.Text). The names of its parameters
// are built only for an error (apierror.Path).
func (b *builder) message(i int, m gjson.Result, msg *message) *apierror.Error {
	at := apierror.Path{Base: "messages", I: i, J: -1}
	if !m.IsObject() {
		param := at.At("")
		return apierror.Invalid(param, "Invalid '"+param+"': expected an object.")
	}
	role := msg[mRole].String()
	if role != "tool" {
		b.closeToolStep()
	}
	content := apierror.Path{Base: "messages", I: i, Mid: ".content", J: -1}
	switch role {
	case "system", "developer":
		return textOf(msg[mContent], content, b.system.AddQuoted)
	case "user":
		return b.userMessage(msg, content)
	case "assistant":
		return b.assistantMessage(msg, i)
	case "tool":
		return b.toolMessage(msg, i)
	case "function":
		return apierror.Invalid(at.At(".role"), "The deprecated `function` role is not supported; use `tool` messages with `tool_call_id`.")
	}
	param := at.At(".role")
	return apierror.Invalid(param, "Invalid '"+param+"': expected one of system, developer, user, assistant, tool.")
}

// message holds the members of a message the translation reads, read in
// the pass that finds the message's end (jsonidx.EachObject): role,
// content, tool_calls, tool_call_id.
type message [4]gjson.Result

const (
	mRole = iota
	mContent
	mToolCalls
	mToolCallID
)

var messageKeys = []string{"role", "content", "tool_calls", "tool_call_id"}

// closeToolStep answers calls the client never answered, so Gemini sees one
// functionResponse per functionCall, as it requires
// (docs/gemini-wire-notes.md#tool-turns).
func (b *builder) closeToolStep() { b.pending.Close(&b.contents) }

// textOf reads a content that must be a string or text parts (at names
// it), calling add with each text in order. On an error some texts may
// have been added: the request is refused then.
func textOf(c gjson.Result, at apierror.Path, add func(jsonw.Quoted)) *apierror.Error {
	switch {
	case c.Type == gjson.String:
		add(jsonidx.Text(c))
		return nil
	case c.Type == gjson.Null || !c.Exists():
		return nil
	case c.IsArray():
		return jsonidx.Each(c, func(j int, p gjson.Result) *apierror.Error {
			switch p.Get("type").String() {
			case "text":
				t := jsonidx.RawMember(p, "text")
				if t.Type != gjson.String {
					pp := at.Elem(j).At(".text")
					return apierror.Invalid(pp, "Invalid '"+pp+"': expected a string.")
				}
				add(jsonidx.Text(t))
			case "refusal":
				add(jsonw.Quote(p.Get("refusal").String()))
			default:
				pp := at.Elem(j).At(".type")
				return apierror.Invalid(pp, "Invalid '"+pp+"': only text parts are allowed here.")
			}
			return nil
		})
	}
	param := at.At("")
	return apierror.Invalid(param, "Invalid '"+param+"': expected a string or an array of content parts.")
}

// hasTools reports whether `tools` declares anything (the built-in tools
// then have to be combined with functions).
func hasTools(tools gjson.Result) bool {
	n := false
	jsonidx.Each(tools, func(int, gjson.Result) *apierror.Error { n = true; return errStop })
	return n
}

// errStop ends a jsonidx.Each walk early.
var errStop = &apierror.Error{}

func (b *builder) userMessage(m *message, content apierror.Path) *apierror.Error {
	return eachContent(m[mContent], content, b.userText, func(p gjson.Result, pp apierror.Path) *apierror.Error {
		part, e := userPart(p, pp)
		if e == nil && part != nil {
			b.contents.Add("user", part)
		}
		return e
	})
}

func (b *builder) userText(t jsonw.Quoted) { b.contents.AddQuoted("user", t) }

func (b *builder) modelText(t jsonw.Quoted) { b.contents.AddQuoted("model", t) }

// assistantMessage translates messages[i], an assistant message.
func (b *builder) assistantMessage(m *message, i int) *apierror.Error {
	if e := textOf(m[mContent], apierror.Path{Base: "messages", I: i, Mid: ".content", J: -1}, b.modelText); e != nil {
		return e
	}
	calls := m[mToolCalls]
	if !calls.Exists() || calls.Type == gjson.Null {
		return nil
	}
	at := apierror.Path{Base: "messages", I: i, Mid: ".tool_calls", J: -1}
	if !calls.IsArray() {
		param := at.At("")
		return apierror.Invalid(param, "Invalid '"+param+"': expected an array.")
	}
	if b.calls == nil {
		b.calls = make(map[string]string)
	}
	return jsonidx.Each(calls, func(j int, tc gjson.Result) *apierror.Error {
		return b.toolCall(j, tc, at.Elem(j))
	})
}

var (
	toolCallKeys     = []string{"id", "function", "extra_content"}
	functionCallKeys = []string{"name", "arguments"}
)

// toolCall translates the j-th call of an assistant message (at names it).
func (b *builder) toolCall(j int, tc gjson.Result, at apierror.Path) *apierror.Error {
	// The call's members, then its function's, each in one pass: a Get
	// per member would read the call from its start each time.
	var call [3]gjson.Result
	var fn [2]gjson.Result
	jsonidx.Members(tc, toolCallKeys, call[:])
	jsonidx.Members(call[1], functionCallKeys, fn[:])
	id := call[0].String()
	name := fn[0]
	if name.Type != gjson.String || name.Str == "" {
		pp := at.At(".function.name")
		return apierror.Invalid(pp, "Invalid '"+pp+"': expected a non-empty string.")
	}
	args, e := callArgs(fn[1], at, ".function.arguments")
	if e != nil {
		return e
	}
	_, sig := gemini.SignatureFromID(id)
	if sig == "" {
		sig = call[2].Get("google.thought_signature").String()
	}
	if sig == "" && j == 0 && gemini.IsGemini3OrLater(b.model) {
		// Gemini 3 validates the first call of every step in the current
		// turn; history we cannot sign gets Google's documented
		// placeholder instead of a 400.
		sig = gemini.SkipSignature
	}
	if j > 0 {
		sig = "" // the step's signature goes on its first call
	}
	b.contents.Add("model", gemini.Signed(gemini.FunctionCallOpen(name.Str, args), sig))
	if id != "" {
		b.calls[id] = name.Str
	}
	b.pending.Add(id, name.Str)
	return nil
}

// tooDeep refuses JSON in param nested depth levels deep, beyond what the
// gateway reads; what says what nests ("the schema nests").
func tooDeep(param, what string, depth int) *apierror.Error {
	return apierror.Invalid(param, "Invalid '"+param+"': "+what+" JSON "+apierror.Itoa(depth)+" levels deep; the gateway accepts at most "+apierror.Itoa(jsondepth.MaxDepth)+".")
}

// callArgs reads a call's arguments (field sub of at): a JSON object, or
// one encoded as a string (OpenAI's form); "{}" when there are none.
func callArgs(args gjson.Result, at apierror.Path, sub string) (string, *apierror.Error) {
	switch {
	case args.Type == gjson.String && strings.TrimSpace(args.Str) != "":
		// JSON inside a string escaped the body's depth check.
		d, valid := jsondepth.ValidString(args.Str)
		if d > jsondepth.MaxDepth {
			return "", tooDeep(at.At(sub), "the arguments nest", d)
		}
		a := gjson.Parse(args.Str)
		if !valid || !a.IsObject() {
			param := at.At(sub)
			return "", apierror.Invalid(param, "Invalid '"+param+"': expected a JSON object encoded as a string.")
		}
		return a.Raw, nil
	case args.IsObject():
		return args.Raw, nil
	}
	return "{}", nil
}

// toolMessage translates messages[i], a tool message.
func (b *builder) toolMessage(m *message, i int) *apierror.Error {
	id := m[mToolCallID]
	if id.Type != gjson.String || id.Str == "" {
		param := apierror.Path{Base: "messages", I: i, J: -1}.At(".tool_call_id")
		return apierror.Invalid(param, "Invalid '"+param+"': a tool message must name the tool call it answers.")
	}
	name, ok := b.calls[id.Str]
	if !ok {
		// A result for a call that is not in the history has no function
		// name and would break Gemini's one-response-per-call rule: drop it.
		return nil
	}
	if b.pending.Answer(id.Str) < 0 {
		return nil // answers a call of an earlier step, or answers one twice: out of place, drop
	}
	var text jsonw.Joined // with nothing between, as OpenAI joins a tool message's parts
	if e := textOf(m[mContent], apierror.Path{Base: "messages", I: i, Mid: ".content", J: -1}, text.Add); e != nil {
		return e
	}
	b.contents.Add("user", gemini.FunctionResponse(name, text.Quoted(), false, nil))
	return nil
}

// resolveModel reads the client's `model` and the Gemini model that serves
// it.
func resolveModel(model gjson.Result, mm *models.Map) (client, upstream string, e *apierror.Error) {
	if model.Type != gjson.String || model.Str == "" {
		return "", "", apierror.Invalid("model", "you must provide a model parameter (a string).")
	}
	if client, upstream, e = mm.ResolveClient(model.Str); e != nil {
		return "", "", e
	}
	if upstream == "" {
		return "", "", apierror.Invalid("model", "The model `"+model.Str+"` is not a valid model name.")
	}
	return client, upstream, nil
}

// The translators of the package.
var (
	_ translator.Translator = (*ChatRequest)(nil)
	_ translator.Translator = (*ResponsesRequest)(nil)
	_ translator.Translator = (*EmbeddingsRequest)(nil)
)
