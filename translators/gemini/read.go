package gemini

import "github.com/tidwall/gjson"

// Usage is Gemini's usageMetadata.
type Usage struct {
	Prompt, Candidates, Thoughts, Cached, ToolUsePrompt, Total int64
	Present                                                    bool
}

// ReadUsage reads usageMetadata from a GenerateContentResponse.
func ReadUsage(resp gjson.Result) Usage { return UsageOf(resp.Get("usageMetadata")) }

// UsageOf reads a usageMetadata object itself, in one pass (it is read on
// every stream event).
func UsageOf(u gjson.Result) Usage {
	if !u.IsObject() {
		return Usage{}
	}
	us := Usage{Present: true}
	u.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "promptTokenCount":
			us.Prompt = v.Int()
		case "candidatesTokenCount":
			us.Candidates = v.Int()
		case "thoughtsTokenCount":
			us.Thoughts = v.Int()
		case "cachedContentTokenCount":
			us.Cached = v.Int()
		case "toolUsePromptTokenCount":
			us.ToolUsePrompt = v.Int()
		case "totalTokenCount":
			us.Total = v.Int()
		}
		return true
	})
	return us
}

// Output is the output token count as OpenAI and Anthropic define it:
// visible output plus thoughts (Gemini's candidatesTokenCount excludes them).
func (u Usage) Output() int64 { return u.Candidates + u.Thoughts }

// Input is the prompt including server-side tool results.
func (u Usage) Input() int64 { return u.Prompt + u.ToolUsePrompt }

// Finish classifies a finishReason into what every client protocol can
// express; see docs/answer-mapping.md#finish-reasons.
type Finish uint8

const (
	FinishNone      Finish = iota // no finish reason yet
	FinishStop                    // natural end or stop sequence
	FinishLength                  // MAX_TOKENS
	FinishFiltered                // safety, recitation, blocklist...
	FinishMalformed               // MALFORMED_FUNCTION_CALL, UNEXPECTED_TOOL_CALL: an error, never a silent stop
)

// ClassifyFinish maps Gemini's finishReason.
func ClassifyFinish(reason string) Finish {
	switch reason {
	case "":
		return FinishNone
	case "MAX_TOKENS":
		return FinishLength
	case "SAFETY", "RECITATION", "BLOCKLIST", "PROHIBITED_CONTENT", "SPII", "LANGUAGE",
		"IMAGE_SAFETY", "IMAGE_PROHIBITED_CONTENT", "IMAGE_RECITATION":
		return FinishFiltered
	case "MALFORMED_FUNCTION_CALL", "UNEXPECTED_TOOL_CALL":
		return FinishMalformed
	}
	// STOP, TOO_MANY_TOOL_CALLS, OTHER, NO_IMAGE, IMAGE_OTHER, unspecified.
	return FinishStop
}

// IsThought reports whether a part is a thought summary (never content).
func IsThought(part gjson.Result) bool { return part.Get("thought").Bool() }

// ReadUsageBytes is ReadUsage on a raw response body.
func ReadUsageBytes(body []byte) Usage { return ReadUsage(gjson.ParseBytes(body)) }
