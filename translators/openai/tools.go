package openai

import (
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/tidwall/gjson"
)

var functionKeys = []string{"name", "description", "parameters", "strict"}

// responsesToolKeys are the members of a Responses API tool read in one
// pass (a namespace's name is its `name`).
var responsesToolKeys = []string{"type", "name", "description", "parameters", "strict"}

// appendTools writes a chat request's tools and toolConfig: the function
// tools, then the built-in tools send; combine says that they mix
// (gemini.PlanBuiltins).
func appendTools(out []byte, root jsonidx.Object, send gemini.Builtins, combine bool, cache *gemini.DeclCache) ([]byte, *apierror.Error) {
	tools := root.Get("tools")
	if tools.Exists() && tools.Type != gjson.Null && !tools.IsArray() {
		return nil, apierror.Invalid("tools", "Invalid 'tools': expected an array.")
	}
	decls := gemini.Declarations{Cache: cache}
	decls.Start(out)
	// A list seen before (a chat-based coding agent's, every turn) is
	// declared as it was then, with its names and strictness, without
	// reading it again.
	st, ok := gemini.DeclareList[*chatTools](&decls, tools.Raw)
	switch {
	case ok:
	case !tools.IsArray():
		st = &noChatTools
	default:
		var e *apierror.Error
		if st, e = declareChatTools(&decls, tools); e != nil {
			return nil, e
		}
		decls.KeepList(tools.Raw, st)
	}
	out = decls.Tools(send)

	cfg, e := chatToolChoice(root.Get("tool_choice"), st.names)
	if e != nil {
		return nil, e
	}
	if cfg.Mode != "" && cfg.Mode != "NONE" && decls.Len() == 0 {
		return nil, apierror.Invalid("tool_choice", "'tool_choice' requires 'tools' to be set.")
	}
	if cfg.Mode == "AUTO" && st.strict {
		cfg.Mode = "VALIDATED" // strict schemas: constrained decoding of the calls
	}
	cfg.Combine = combine
	return decls.AppendToolConfig(out, cfg), nil
}

// chatTools is what a chat request's tools say beyond their declarations,
// kept with them for a list seen again (gemini.DeclareList): nothing in it
// views the request body, and it is only read.
type chatTools struct {
	names  map[string]bool // the functions declared, for tool_choice
	strict bool            // a function asks for strict schemas
}

// noChatTools is what a request without tools says (nothing).
var noChatTools chatTools

// declareChatTools declares the function tools of a chat request.
func declareChatTools(decls *gemini.Declarations, tools gjson.Result) (*chatTools, *apierror.Error) {
	st := &chatTools{names: map[string]bool{}}
	e := jsonidx.Each(tools, func(i int, t gjson.Result) *apierror.Error {
		if i >= gemini.MaxTools {
			return fields.TooMany("tools", gemini.MaxTools, "tools")
		}
		at := apierror.Path{Base: "tools", I: i, J: -1} // built for an error only
		if typ := t.Get("type").String(); typ != "function" {
			param := at.At(".type")
			return apierror.Invalid(param, "Invalid '"+param+"': only `function` tools are supported by this gateway.")
		}
		var fn [4]gjson.Result // in one pass (strict is mostly absent), the description as the body holds it
		jsonidx.MembersRaw(t.Get("function"), functionKeys, fn[:], 1<<1)
		name := fn[0]
		if name.Type != gjson.String || name.Str == "" {
			param := at.At(".function.name")
			return apierror.Invalid(param, "Invalid '"+param+"': expected a non-empty string.")
		}
		st.names[strings.Clone(name.Str)] = true // copied: kept with the list (KeepList)
		if depth, ok := decls.Declare(name.Str, jsonidx.Text(fn[1]), fn[2]); !ok {
			return fields.TooDeep(at.At(".function.parameters"), depth)
		}
		st.strict = st.strict || fn[3].Bool()
		return nil
	})
	return st, e
}

// chatToolChoice maps tool_choice to Gemini's function-calling mode and
// allowed functions.
func chatToolChoice(choice gjson.Result, names map[string]bool) (gemini.ToolConfig, *apierror.Error) {
	var cfg gemini.ToolConfig
	switch {
	case gemini.Unset(choice):
	case choice.Type == gjson.String:
		if cfg.Mode = choiceMode(choice.Str); cfg.Mode == "" {
			return cfg, apierror.Invalid("tool_choice", "Invalid 'tool_choice': expected none, auto, required or a function object.")
		}
	case choice.IsObject():
		switch choice.Get("type").String() {
		case "function":
			name := choice.Get("function.name").String()
			if !names[name] {
				return cfg, apierror.Invalid("tool_choice", "Invalid 'tool_choice': function `"+name+"` is not among the declared tools.")
			}
			cfg.Mode, cfg.Allowed = "ANY", []string{name}
		case "allowed_tools":
			cfg.Mode = "AUTO"
			if choice.Get("allowed_tools.mode").String() == "required" {
				cfg.Mode = "ANY"
			}
			if e := jsonidx.Each(choice.Get("allowed_tools.tools"), func(i int, t gjson.Result) *apierror.Error {
				if i >= gemini.MaxTools {
					return fields.TooMany("tool_choice", gemini.MaxTools, "allowed tools")
				}
				n := t.Get("function.name").String()
				if !names[n] {
					return apierror.Invalid("tool_choice", "Invalid 'tool_choice': allowed tool `"+n+"` is not among the declared tools.")
				}
				cfg.Allowed = append(cfg.Allowed, n)
				return nil
			}); e != nil {
				return cfg, e
			}
		default:
			return cfg, apierror.Invalid("tool_choice", "Invalid 'tool_choice.type': expected `function` or `allowed_tools`.")
		}
	default:
		return cfg, apierror.Invalid("tool_choice", "Invalid 'tool_choice': expected a string or an object.")
	}
	return cfg, nil
}

// choiceMode maps OpenAI's string tool_choice (chat and Responses) to a
// function-calling mode; "" for an unknown one.
func choiceMode(s string) string {
	switch s {
	case "auto":
		return "AUTO"
	case "none":
		return "NONE"
	case "required":
		return "ANY"
	}
	return ""
}

// chatBuiltins reads web_search_options: OpenAI's search for chat
// completions becomes Google Search. OpenAI's search models (the
// *-search-preview and *-search-api names, when the model map maps them to
// Gemini) always search, as they do at OpenAI. search_context_size has no
// Gemini equivalent; user_location becomes an instruction to the model
// (gemini.SearchHint). It returns the tool asked for and the location.
func chatBuiltins(root jsonidx.Object, model string) (gemini.Builtins, string, *apierror.Error) {
	var want gemini.Builtins
	if strings.Contains(model, "-search-preview") || strings.Contains(model, "-search-api") {
		want.Search = true
	}
	o := root.Get("web_search_options")
	if gemini.Unset(o) {
		return want, "", nil
	}
	if !o.IsObject() {
		return want, "", apierror.Invalid("web_search_options", "Invalid type for 'web_search_options': expected an object.")
	}
	switch size := o.Get("search_context_size"); size.String() {
	case "", "low", "medium", "high":
	default:
		return want, "", apierror.Invalid("web_search_options.search_context_size", "Invalid 'web_search_options.search_context_size': expected low, medium or high.")
	}
	want.Search = true
	return want, gemini.Location(o.Get("user_location.approximate")), nil
}

// The Responses API.

// customInputSchema is the parameters schema of a custom tool. Custom tools
// take free text (Codex's apply_patch takes a patch); Gemini functions take
// a JSON object, so the text is the one string argument `input`.
const customInputSchema = `{"type":"object","properties":{"input":{"type":"string","description":"The raw input of the tool: free-form text in the format the tool description gives, not JSON."}},"required":["input"]}`

// droppedTools are hosted tools that are not function tools. The web
// search tools run on Gemini's Google Search; the others the gateway does
// not run, and the model simply works without them: Codex declares
// tool_search with full model metadata, and refusing it would make the
// gateway unusable.
var droppedTools = map[string]bool{
	"web_search": true, "web_search_preview": true, "web_search_2025_08_26": true,
	"web_search_preview_2025_03_11": true, "tool_search": true, "image_generation": true,
}

// webSearchTool reports the hosted web search tools (every version).
func webSearchTool(typ string) bool { return strings.HasPrefix(typ, "web_search") }

// responsesToolsOut is a Responses request's tools and toolConfig as
// Gemini takes them, written at the end of the request (appendTo): the
// contents, which need the tools' names, come first.
type responsesToolsOut struct {
	decls gemini.Declarations
	send  gemini.Builtins
	cfg   gemini.ToolConfig
}

// appendTo writes the tools and the toolConfig. A list seen before is
// copied once, from the cache into the request.
func (t *responsesToolsOut) appendTo(out []byte) []byte {
	return t.decls.AppendToolConfig(t.decls.AppendTools(out, t.send), t.cfg)
}

// parseTools translates `tools` and `tool_choice` into Gemini's tools and
// toolConfig, into t: function tools are
// flat ({type, name, description, parameters, strict}), custom tools take
// text, and namespace tools group functions under a prefix. It returns the
// map from client names to Gemini names.
func (r *ResponsesRequest) parseTools(root jsonidx.Object, t *responsesToolsOut) (map[string]string, *apierror.Error) {
	tools := root.Get("tools")
	if tools.Exists() && tools.Type != gjson.Null && !tools.IsArray() {
		return nil, apierror.Invalid("tools", "Invalid type for 'tools': expected an array.")
	}
	decls := &t.decls
	decls.Cache = r.Env.Decls
	// A list seen before (a coding agent's, every turn) is declared as it
	// was then, with what was read from it, without reading it again.
	st, ok := gemini.DeclareList[*responsesTools](decls, tools.Raw)
	if !ok {
		// The declarations take about as many bytes as the tools: one
		// buffer rather than one per doubling, copied into the request
		// once (appendTo).
		if tools.IsArray() {
			decls.Start(make([]byte, 0, len(tools.Raw)+64))
		}
		var e *apierror.Error
		if st, e = r.readTools(decls, tools); e != nil {
			return nil, e
		}
		decls.KeepList(tools.Raw, st)
	}
	r.tools = st.tools
	names, want := st.names, st.want
	choice := root.Get("tool_choice")
	if choice.Type == gjson.String && choice.Str == "none" {
		want = gemini.Builtins{} // no tool at all, hosted ones included
	}
	send, combine, notice := gemini.PlanBuiltins(r.GeminiModel, want, decls.Len() > 0)
	t.send = send
	r.builtins, r.NoticeText = send, notice
	if send.Search {
		r.hint = gemini.SearchHint(st.allowedDomains, nil, st.location)
		if len(st.allowedDomains) > 0 {
			r.NoticeText = "web_search: filters.allowed_domains is given to the model as an instruction; Google Search cannot enforce it"
		}
	}

	cfg, e := toolChoice(choice, names)
	if e != nil {
		return nil, e
	}
	if (cfg.Mode == "AUTO" || cfg.Mode == "") && st.strict && decls.Len() > 0 {
		// Strict schemas (tool_choice defaults to auto): constrained
		// decoding of the calls.
		cfg.Mode = "VALIDATED"
	}
	if cfg.Mode == "ANY" && decls.Len() == 0 {
		return nil, apierror.Invalid("tool_choice", "'tool_choice' requires 'tools' to be set.")
	}
	cfg.Combine = combine
	t.cfg = cfg
	return names, nil
}

// responsesTools is what a Responses API request's tools say beyond their
// declarations, kept with them for a list seen again (gemini.DeclareList):
// nothing in it views the request body, and it is only read.
type responsesTools struct {
	names          map[string]string  // client name ("ns.name" inside a namespace) -> Gemini name
	tools          map[string]toolRef // custom and namespaced tools, by Gemini name
	strict         bool               // a function tool asks for strict schemas
	want           gemini.Builtins    // the hosted tools asked for
	allowedDomains []string           // web search's filters
	location       string             // web search's user location
}

// readTools declares the tools of a Responses API request and reads what
// else they say.
func (r *ResponsesRequest) readTools(decls *gemini.Declarations, tools gjson.Result) (*responsesTools, *apierror.Error) {
	st := &responsesTools{names: map[string]string{}}
	declared := map[string]bool{}
	var declare func(t gjson.Result, param, ns string) *apierror.Error
	declare = func(t gjson.Result, param, ns string) *apierror.Error {
		// A function tool's members in one pass, the description as the
		// body holds it: a Get per member would scan past the long
		// description each time, and decode it twice.
		var v [5]gjson.Result
		jsonidx.MembersRaw(t, responsesToolKeys, v[:], 1<<2)
		typ := v[0].String()
		switch {
		case typ == "namespace":
			if ns != "" {
				return apierror.Invalid(param+".type", "Invalid '"+param+"': namespaces cannot be nested.")
			}
			nsName := v[1].String()
			if nsName == "" {
				return badTool(param, ".name", "a namespace needs a name.")
			}
			return jsonidx.Each(t.Get("tools"), func(j int, inner gjson.Result) *apierror.Error {
				return declare(inner, param+".tools["+apierror.Itoa(j)+"]", nsName)
			})
		case webSearchTool(typ):
			// Google Search runs the search. Its settings have no Gemini
			// parameter: allowed domains and the user's location go to
			// the model as an instruction, search_context_size and
			// external_web_access (Codex's cached-only mode) are not
			// expressible; Google Search answers from Google's index.
			st.want.Search = true
			if e := jsonidx.Each(t.Get("filters.allowed_domains"), func(j int, d gjson.Result) *apierror.Error {
				if j >= gemini.MaxDomains {
					return fields.TooMany(param+".filters.allowed_domains", gemini.MaxDomains, "domains")
				}
				st.allowedDomains = append(st.allowedDomains, strings.Clone(d.String()))
				return nil
			}); e != nil {
				return e
			}
			if l := gemini.Location(t.Get("user_location")); l != "" {
				st.location = strings.Clone(l)
			}
			return nil
		case droppedTools[typ]:
			return nil
		case typ != "function" && typ != "custom":
			return badTool(param, ".type", "tool type `"+typ+"` is not supported by this gateway (it serves function, custom and namespace tools; web_search is accepted and ignored).")
		}
		name := v[1]
		if name.Type != gjson.String || name.Str == "" {
			return badTool(param, ".name", "expected a non-empty string.")
		}
		client, gname := name.Str, name.Str
		if ns != "" {
			// Gemini has no namespaces; the qualified name is a valid
			// function name (letters, digits, _ . : -).
			client = ns + "." + name.Str
			gname = client
		}
		if declared[gname] {
			return badTool(param, ".name", "tool `"+client+"` is declared twice.")
		}
		if len(declared) >= gemini.MaxTools {
			return fields.TooMany("tools", gemini.MaxTools, "tools")
		}
		// Kept for the answer, which outlives the request body.
		client, gname = strings.Clone(client), strings.Clone(gname)
		declared[gname] = true
		st.names[client] = gname
		if typ == "custom" || ns != "" {
			if st.tools == nil {
				st.tools = make(map[string]toolRef)
			}
			st.tools[gname] = toolRef{custom: typ == "custom", namespace: strings.Clone(ns), name: strings.Clone(name.Str)}
		}
		if typ == "custom" {
			desc := t.Get("description").String()
			if f := t.Get("format"); f.Get("type").String() == "grammar" && f.Get("definition").String() != "" {
				// The grammar is the contract of the input text; Gemini
				// cannot constrain decoding to it, so the model reads it.
				desc += "\n\nThe `input` argument must follow this " + f.Get("syntax").String() + " grammar:\n" + f.Get("definition").String()
			}
			decls.DeclareSchema(gname, desc, customInputSchema)
			return nil
		}
		if depth, ok := decls.Declare(gname, jsonidx.Text(v[2]), v[3]); !ok {
			return fields.TooDeep(param+".parameters", depth)
		}
		if v[3].IsObject() {
			st.strict = st.strict || v[4].Bool()
		}
		return nil
	}
	return st, jsonidx.Each(tools, func(i int, t gjson.Result) *apierror.Error {
		return declare(t, "tools["+apierror.Itoa(i)+"]", "")
	})
}

// toolChoice maps tool_choice to a function-calling mode and the allowed
// Gemini function names.
func toolChoice(choice gjson.Result, names map[string]string) (cfg gemini.ToolConfig, e *apierror.Error) {
	lookup := func(t gjson.Result) (string, *apierror.Error) {
		n := t.Get("name").String()
		if ns := t.Get("namespace").String(); ns != "" {
			n = ns + "." + n
		}
		g, ok := names[n]
		if !ok {
			return "", apierror.Invalid("tool_choice", "Invalid 'tool_choice': tool `"+n+"` is not among the declared tools.")
		}
		return g, nil
	}
	switch {
	case gemini.Unset(choice):
		return cfg, nil
	case choice.Type == gjson.String:
		if cfg.Mode = choiceMode(choice.Str); cfg.Mode == "" {
			return cfg, apierror.Invalid("tool_choice", "Invalid 'tool_choice': expected none, auto, required or a tool object.")
		}
		return cfg, nil
	case choice.IsObject():
		switch typ := choice.Get("type").String(); typ {
		case "function", "custom":
			g, e := lookup(choice)
			if e != nil {
				return cfg, e
			}
			return gemini.ToolConfig{Mode: "ANY", Allowed: []string{g}}, nil
		case "allowed_tools":
			if e := jsonidx.Each(choice.Get("tools"), func(i int, t gjson.Result) *apierror.Error {
				if i >= gemini.MaxTools {
					return fields.TooMany("tool_choice", gemini.MaxTools, "allowed tools")
				}
				if droppedTools[t.Get("type").String()] {
					return nil
				}
				g, e := lookup(t)
				cfg.Allowed = append(cfg.Allowed, g)
				return e
			}); e != nil {
				return cfg, e
			}
			if choice.Get("mode").String() == "required" {
				cfg.Mode = "ANY"
				return cfg, nil
			}
			// The model chooses among the allowed tools: Gemini takes a
			// list of names only with ANY or VALIDATED.
			if len(cfg.Allowed) == 0 {
				return gemini.ToolConfig{Mode: "NONE"}, nil
			}
			cfg.Mode = "VALIDATED"
			return cfg, nil
		default:
			if droppedTools[typ] {
				return gemini.ToolConfig{Mode: "AUTO"}, nil // a hosted tool the gateway does not run
			}
			return cfg, apierror.Invalid("tool_choice.type", "Invalid 'tool_choice.type': `"+typ+"` is not supported; use function, custom or allowed_tools.")
		}
	}
	return cfg, apierror.Invalid("tool_choice", "Invalid type for 'tool_choice': expected a string or an object.")
}

// badTool refuses field of the tool at param (tools[2], say) with msg,
// as OpenAI words it. Not inlined: an error path.
//
//go:noinline
func badTool(param, field, msg string) *apierror.Error {
	p := param + field
	return apierror.Invalid(p, "Invalid '"+p+"': "+msg)
}
