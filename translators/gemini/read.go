package gemini

import (
	"slices"
	"strings"
	"unsafe"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/tidwall/gjson"
)

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
	if us, ok := usageFast(u.Raw); ok {
		return us
	}
	us := Usage{Present: true}
	u.ForEach(func(k, v gjson.Result) bool {
		us.set(k.Str, v.Int())
		return true
	})
	return us
}

// usageNames are the counts of usageMetadata Usage holds, in the order of
// counts.
var usageNames = [...]string{"promptTokenCount", "candidatesTokenCount", "thoughtsTokenCount",
	"cachedContentTokenCount", "toolUsePromptTokenCount", "totalTokenCount"}

func (us *Usage) counts() [len(usageNames)]*int64 {
	return [...]*int64{&us.Prompt, &us.Candidates, &us.Thoughts, &us.Cached, &us.ToolUsePrompt, &us.Total}
}

func (us *Usage) set(name string, n int64) {
	if i := slices.Index(usageNames[:], name); i >= 0 {
		*us.counts()[i] = n
	}
}

// usageFast reads a usageMetadata object (valid JSON) by its bytes: names
// without escapes and counts as plain integers, the shape Gemini sends on
// every stream event. Walking it with gjson made a Result per member and
// parsed every count as a float, a cost multiplied in the Wasm module
// (issue #13). ok is false for anything else (an escape, a count that is
// not a plain integer), which UsageOf then reads with gjson.
func usageFast(raw string) (us Usage, ok bool) {
	if strings.IndexByte(raw, '\\') >= 0 {
		return Usage{}, false
	}
	us.Present = true
	i := 1 // after '{'
	for {
		i = skipSpace(raw, i)
		if i >= len(raw) || raw[i] == '}' {
			return us, true
		}
		if raw[i] == ',' {
			i++
			continue
		}
		if raw[i] != '"' {
			return Usage{}, false
		}
		end := strings.IndexByte(raw[i+1:], '"')
		if end < 0 {
			return Usage{}, false
		}
		name := raw[i+1 : i+1+end]
		i = skipSpace(raw, i+2+end)
		if i >= len(raw) || raw[i] != ':' {
			return Usage{}, false
		}
		i = skipSpace(raw, i+1)
		start := i
		if i < len(raw) && raw[i] == '-' {
			i++
		}
		var n int64
		digits := 0
		for ; i < len(raw) && raw[i] >= '0' && raw[i] <= '9'; i++ {
			if digits++; digits > 15 {
				return Usage{}, false
			}
			n = n*10 + int64(raw[i]-'0')
		}
		if digits > 0 && (i == len(raw) || raw[i] == ',' || raw[i] == '}' || isSpace(raw[i])) {
			if raw[start] == '-' {
				n = -n
			}
			us.set(name, n)
			continue
		}
		// Not a plain count: one of the names read here must then go
		// through gjson; any other value (a details array) is skipped.
		if slices.Contains(usageNames[:], name) {
			return Usage{}, false
		}
		if i = skipValue(raw, start); i < 0 {
			return Usage{}, false
		}
	}
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// skipValue returns the index after the value at i (strings hold no
// escapes here), or -1.
func skipValue(s string, i int) int {
	depth := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case '"':
			end := strings.IndexByte(s[i+1:], '"')
			if end < 0 {
				return -1
			}
			i += 1 + end
			if depth == 0 {
				return i + 1
			}
		case '[', '{':
			depth++
		case ']', '}':
			if depth == 0 {
				return i // the end of the usage object itself
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case ',':
			if depth == 0 {
				return i
			}
		}
	}
	return -1
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
//
// Not inlined: its string switch, copied into each caller, cost 31 KB of
// Wasm; it runs once per candidate that finishes.
//
//go:noinline
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

// FinishNames are a client protocol's names of how an answer ended.
type FinishNames struct{ Stop, Length, Filtered, ToolCalls string }

// Name is the client's name of f. Tool use is derived from the calls
// (sawCall): Gemini ends a turn of function calls with a plain STOP.
func (n FinishNames) Name(f Finish, sawCall bool) string {
	switch {
	case f == FinishLength:
		return n.Length
	case f == FinishFiltered:
		return n.Filtered
	case sawCall:
		return n.ToolCalls
	}
	return n.Stop
}

// IsThought reports whether a part is a thought summary (never content).
func IsThought(part gjson.Result) bool { return part.Get("thought").Bool() }

// ReadUsageBytes is ReadUsage on a raw response body, viewed rather than
// copied (gjson.ParseBytes would copy it): Usage keeps no string of it.
func ReadUsageBytes(body []byte) Usage {
	return ReadUsage(gjson.Parse(unsafe.String(unsafe.SliceData(body), len(body))))
}

// Answer translates a complete answer body: with fast, the reading of the
// one-pass scan, where the scan reads body and fast takes it (ok); else
// with slow, the reading through gjson, which takes any answer and is the
// reference of fast's differential tests.
func Answer(body []byte, fast func(sc *Scan, body []byte) (out []byte, ok bool, e *apierror.Error), slow func(body []byte) ([]byte, *apierror.Error)) ([]byte, *apierror.Error) {
	var sc Scan
	if sc.Read(body) {
		if out, ok, e := fast(&sc, body); ok {
			return out, e
		}
	}
	return slow(body)
}

// ReadAnswer reads a complete Gemini answer before it is translated:
// nesting first, then JSON (one pass of jsondepth, before any of gjson's
// readers, which recurse per level); an error object sent with a 200 is
// the error it describes.
func ReadAnswer(body []byte) (gjson.Result, *apierror.Error) {
	valid, e := jsondepth.ReadAnswer(body)
	if e != nil {
		return gjson.Result{}, e
	}
	if !valid {
		return gjson.Result{}, apierror.New(apierror.BadGateway, "Gemini answered with a body that is not JSON.")
	}
	resp := gjson.ParseBytes(body)
	if resp.Get("error").Exists() {
		return gjson.Result{}, apierror.FromGemini(0, body)
	}
	return resp, nil
}

// EachPart reads each part of a candidate's content (PartOf) and calls fn
// with it and its index, in order; it stops at the first part PartOf
// refuses (a malformed functionCall), whose error it returns.
func EachPart(cand gjson.Result, fn func(k int, p *Part)) *apierror.Error {
	var failure *apierror.Error
	cand.Get("content.parts").ForEach(func(k, p gjson.Result) bool {
		var pt Part
		if pt, failure = PartOf(p); failure == nil {
			fn(int(k.Int()), &pt)
		}
		return failure == nil
	})
	return failure
}
