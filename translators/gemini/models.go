package gemini

import "strings"

// What the gateway needs to know of a Gemini model, told by its name. Every
// translator asks here rather than matching names itself.

// IsGemini3 reports a Gemini 3 model: thinking levels instead of budgets,
// thought signatures validated, a single candidate.
func IsGemini3(model string) bool { return strings.HasPrefix(model, "gemini-3") }

// IsPro reports a Pro model: Gemini 3 Pro knows only the LOW and HIGH
// thinking levels, and 2.5 Pro cannot turn thinking off.
func IsPro(model string) bool { return strings.Contains(model, "pro") }

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
// function declarations in one request. Gemini 3 does, when the request
// sets toolConfig.includeServerSideToolInvocations; Gemini 2.x answers 400
// "Tool use with function calling is unsupported by the model".
func CanCombine(model string) bool { return IsGemini3(model) }

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
