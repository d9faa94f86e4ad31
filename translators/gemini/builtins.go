package gemini

// Builtins are Gemini's built-in (server-side) tools a request asks for:
// Google Search (the clients' web search tools) and URL context (reading
// the URLs of the conversation: Anthropic's web_fetch).
type Builtins struct {
	Search, URLContext bool
}

// MaxDomains bounds the domain lists of a client's web search or fetch tool:
// each domain becomes instruction text (SearchHint), and Anthropic's own
// limits are far lower.
const MaxDomains = 256

// Any reports whether any built-in tool is asked for.
func (b Builtins) Any() bool { return b.Search || b.URLContext }

// PlanBuiltins decides which of the asked built-in tools go to model, given
// whether the request also declares functions. Where the model cannot mix
// them with function calling the functions win (an agent's tools keep
// working) and the built-ins are left out; notice then says so, for the
// client (the filter puts it in a response header). combine reports that
// the request must set includeServerSideToolInvocations.
func PlanBuiltins(model string, want Builtins, functions bool) (send Builtins, combine bool, notice string) {
	if !want.Any() {
		return Builtins{}, false, ""
	}
	if !CanSearch(model) {
		return Builtins{}, false, "web search and URL reading were not sent: " + model + " has no Google Search or URL context tool"
	}
	if !functions {
		return want, false, ""
	}
	if !CanCombine(model) {
		return Builtins{}, false, "web search and URL reading were not sent: " + model + " cannot combine Google Search or URL context with function calling (Gemini 3 models can); the function tools were kept"
	}
	return want, true, ""
}

// CloseTools ends the `tools` array of a request: opened says whether the
// caller already wrote `,"tools":[` and a closed functionDeclarations tool;
// the built-ins follow as tools of their own, and the array is closed when
// anything was written.
func CloseTools(out []byte, opened bool, b Builtins) []byte {
	for _, t := range [...]struct {
		on   bool
		tool string
	}{{b.Search, `{"googleSearch":{}}`}, {b.URLContext, `{"urlContext":{}}`}} {
		if !t.on {
			continue
		}
		if opened {
			out = append(out, ',')
		} else {
			out = append(out, `,"tools":[`...)
			opened = true
		}
		out = append(out, t.tool...)
	}
	if opened {
		out = append(out, ']')
	}
	return out
}

// AppendToolConfig writes `,"toolConfig":{…}`: the function-calling mode
// (with its allowed names, raw comma-separated JSON strings) when mode is
// set, and includeServerSideToolInvocations when built-in tools are mixed
// with functions (Gemini 3 refuses the mix without it). Nothing is written
// when neither applies.
func AppendToolConfig(out []byte, mode, allowed string, combine bool) []byte {
	if mode == "" && !combine {
		return out
	}
	out = append(out, `,"toolConfig":{`...)
	if mode != "" {
		out = append(out, `"functionCallingConfig":{"mode":"`...)
		out = append(out, mode...)
		out = append(out, '"')
		if allowed != "" {
			out = append(out, `,"allowedFunctionNames":[`...)
			out = append(out, allowed...)
			out = append(out, ']')
		}
		out = append(out, '}')
		if combine {
			out = append(out, ',')
		}
	}
	if combine {
		out = append(out, `"includeServerSideToolInvocations":true`...)
	}
	return append(out, '}')
}
