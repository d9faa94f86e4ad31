package gemini

import "strings"

// MaxTools is the most tools (function declarations) one request may
// declare. Claude Code with several MCP servers declares a few hundred;
// 512 leaves room for that while bounding the work, and the size of the
// Gemini request, that one client request can ask for.
const MaxTools = 512

// MaxStopSequences is the most stop sequences Gemini takes in one request;
// more would only earn the client Gemini's own 400.
const MaxStopSequences = 5

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
