package gemini

import (
	"strings"

	"github.com/tidwall/gjson"
)

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
		return Builtins{}, false, "web search and URL reading were not sent: " + model + " cannot combine Google Search or URL context with function calling (Gemini 3 and later models can); the function tools were kept"
	}
	return want, true, ""
}

// Location joins the fields of a client's approximate user location
// (OpenAI's user_location.approximate and Responses tool user_location,
// Anthropic's web search user_location) for SearchHint.
func Location(loc gjson.Result) string {
	var parts []string
	for _, f := range [...]string{"city", "region", "country"} {
		if s := loc.Get(f).String(); s != "" {
			parts = append(parts, s)
		}
	}
	if tz := loc.Get("timezone").String(); tz != "" {
		parts = append(parts, "time zone "+tz)
	}
	return strings.Join(parts, ", ")
}
