package openai

import (
	"strconv"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/tidwall/gjson"
)

// appendTools writes a chat request's tools and toolConfig: the function
// tools, then the built-in tools send; combine says that they mix
// (gemini.PlanBuiltins).
func appendTools(out []byte, root jsonidx.Object, send gemini.Builtins, combine bool) ([]byte, *apierror.Error) {
	tools := root.Get("tools")
	if tools.Exists() && tools.Type != gjson.Null && !tools.IsArray() {
		return nil, apierror.Invalid("tools", "Invalid 'tools': expected an array.")
	}
	var decls gemini.Declarations
	decls.Start(out)
	strict := false
	names := map[string]bool{}
	if e := jsonidx.Each(tools, func(i int, t gjson.Result) *apierror.Error {
		if i >= gemini.MaxTools {
			return apierror.Invalid("tools", "Invalid 'tools': at most "+strconv.Itoa(gemini.MaxTools)+" tools are accepted by this gateway.")
		}
		param := "tools[" + strconv.Itoa(i) + "]"
		if typ := t.Get("type").String(); typ != "function" {
			return apierror.Invalid(param+".type", "Invalid '"+param+".type': only `function` tools are supported by this gateway.")
		}
		fn := t.Get("function")
		name := fn.Get("name")
		if name.Type != gjson.String || name.Str == "" {
			return apierror.Invalid(param+".function.name", "Invalid '"+param+".function.name': expected a non-empty string.")
		}
		names[name.Str] = true
		if depth, ok := decls.Declare(name.Str, stringOf(fn.Get("description")), fn.Get("parameters")); !ok {
			return fields.TooDeep(param+".function.parameters", depth)
		}
		strict = strict || fn.Get("strict").Bool()
		return nil
	}); e != nil {
		return nil, e
	}
	out = decls.Tools(send)

	cfg, e := chatToolChoice(root.Get("tool_choice"), names)
	if e != nil {
		return nil, e
	}
	if cfg.Mode != "" && cfg.Mode != "NONE" && decls.Len() == 0 {
		return nil, apierror.Invalid("tool_choice", "'tool_choice' requires 'tools' to be set.")
	}
	if cfg.Mode == "AUTO" && strict {
		cfg.Mode = "VALIDATED" // strict schemas: constrained decoding of the calls
	}
	cfg.Combine = combine
	return decls.AppendToolConfig(out, cfg), nil
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
					return apierror.Invalid("tool_choice", "Invalid 'tool_choice': at most "+strconv.Itoa(gemini.MaxTools)+" allowed tools are accepted by this gateway.")
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

// stringOf is v's text when v is a string, "" otherwise.
func stringOf(v gjson.Result) string {
	if v.Type == gjson.String {
		return v.Str
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
