package gemini

import "strings"

// What the gateway needs to know of a Gemini model, told by its name. Every
// translator asks here rather than matching names itself.

// modelName is what a Gemini model's name tells: its generation (gemini-3.1-…
// is 3.1; gemini-4-argon is 4.0) and its tier. The "-latest" aliases
// (gemini-pro-latest, gemini-flash-latest, gemini-flash-lite-latest) follow
// Google's newest models, so they count as the current generation.
type modelName struct {
	major, minor int
	pro, lite    bool
}

func parseName(model string) modelName {
	n := modelName{pro: IsPro(model), lite: strings.Contains(model, "lite")}
	rest, ok := strings.CutPrefix(model, "gemini-")
	if !ok {
		return n
	}
	if strings.HasSuffix(rest, "-latest") {
		n.major = 99
		return n
	}
	n.major, rest = leadingInt(rest)
	if strings.HasPrefix(rest, ".") {
		n.minor, _ = leadingInt(rest[1:])
	}
	return n
}

// leadingInt reads the decimal number s starts with (0 when none, and
// small: a model's version).
func leadingInt(s string) (int, string) {
	v, i := 0, 0
	for ; i < len(s) && i < 4 && '0' <= s[i] && s[i] <= '9'; i++ {
		v = v*10 + int(s[i]-'0')
	}
	return v, s[i:]
}

// IsGemini3OrLater reports a model of Gemini 3 or a later generation:
// thinking levels instead of budgets (Gemini 4 answers 400 to any budget),
// thought signatures validated, a single candidate, built-in tools that
// combine with functions.
func IsGemini3OrLater(model string) bool { return parseName(model).major >= 3 }

// IsPro reports a Pro model: 2.5 Pro cannot turn thinking off and takes
// larger budgets (Gemini 3 Pro's levels are ThinkingLevel's).
func IsPro(model string) bool { return strings.Contains(model, "pro") }

// The thinking levels of Gemini 3 and later, lowest first.
const (
	Minimal = "MINIMAL"
	Low     = "LOW"
	Medium  = "MEDIUM"
	High    = "HIGH"
	XHigh   = "XHIGH"
)

// ThinkingLevel returns the level closest to want (one of the constants
// above) that model accepts; Gemini answers 400 to a level a model does
// not know, and thinking cannot be turned off below the lowest one.
//   - MINIMAL is known only to the Flash-Lite models and Gemini 3 Flash;
//     Gemini 3.1 Pro, 3.7 and 3.8 Flash and the Gemini 4 models refuse it
//     ("'minimal' is not a supported thinking level for this model"), so
//     it becomes LOW elsewhere.
//   - MEDIUM is unknown to Gemini 3 Pro (LOW and HIGH only): HIGH.
//   - XHIGH is known only to Gemini 4 Neon and Hydrogen: HIGH elsewhere.
func ThinkingLevel(model, want string) string {
	n := parseName(model)
	switch want {
	case Minimal:
		if !n.lite && !(n.major == 3 && n.minor == 0 && !n.pro) {
			return Low
		}
	case Medium:
		if n.major == 3 && n.minor == 0 && n.pro {
			return High
		}
	case XHigh:
		if !strings.HasPrefix(model, "gemini-4-neon") && !strings.HasPrefix(model, "gemini-4-hydrogen") {
			return High
		}
	}
	return want
}

// CanThink reports whether a model accepts a thinkingConfig; Gemini
// answers 400 "Thinking is not enabled for this model" on the others.
func CanThink(model string) bool {
	for _, p := range [...]string{"gemini-1.", "gemini-2.0", "gemma-"} {
		if strings.HasPrefix(model, p) {
			return false
		}
	}
	return true
}

// CanSearch reports whether a model takes the googleSearch and urlContext
// tools: the Gemini 2.x and 3 families. Gemma and embedding models have no
// built-in tools, and Gemini 1.5 knew only the older googleSearchRetrieval.
func CanSearch(model string) bool {
	return strings.HasPrefix(model, "gemini-") && !strings.HasPrefix(model, "gemini-1.") &&
		!strings.HasPrefix(model, "gemini-embedding")
}

// CanCombine reports whether a model accepts built-in tools together with
// function declarations in one request. Gemini 3 and later do, when the
// request sets toolConfig.includeServerSideToolInvocations; Gemini 2.x
// answers 400 "Tool use with function calling is unsupported by the model".
func CanCombine(model string) bool { return IsGemini3OrLater(model) }

// OutputLimit is the largest maxOutputTokens a model accepts, 0 when
// unknown. Gemini rejects a larger value with a 400 ("the supported range
// is from 1 (inclusive) to 65537 (exclusive)") instead of clamping, while
// clients ask for their own models' limits: Claude Code 2.1.3xx sends
// max_tokens 128000. The 2.5 and 3 models take 65,536 tokens, 2.0 and 1.5
// 8,192 (Gemini's model list, outputTokenLimit).
func OutputLimit(model string) int64 {
	switch {
	case strings.HasPrefix(model, "gemini-2.0"), strings.HasPrefix(model, "gemini-1.5"):
		return 8192
	case strings.HasPrefix(model, "gemini-"):
		return 65536
	}
	return 0
}

// ClampOutput returns maxTokens limited to the model's output limit.
func ClampOutput(model string, maxTokens int64) int64 {
	if l := OutputLimit(model); l > 0 && maxTokens > l {
		return l
	}
	return maxTokens
}
