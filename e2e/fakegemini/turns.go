package fakegemini

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Model-level messages, worded exactly as the real service words them.
const (
	msgInvalidRole    = "Please use a valid role: user, model."
	msgCallPlacement  = "Please ensure that function call turn comes immediately after a user turn or after a function response turn."
	msgResponsePlace  = "Please ensure that function response turn comes immediately after a function call turn."
	msgResponseCount  = "Please ensure that the number of function response parts is equal to the number of function call parts of the function call turn."
	msgBadSignature   = "Thought signature is not valid."
	msgMissingSigFmt  = "Function call is missing a thought_signature in functionCall parts. This is required for tools to work correctly, and missing thought_signature may lead to degraded model performance. Additional data, function call `default_api:%s` , position %d. Please refer to https://ai.google.dev/gemini-api/docs/thought-signatures for more details."
	msgCachedConflict = "CachedContent can not be used with GenerateContent request setting system_instruction, tools or tool_config.\n\nProposed fix: move those values to CachedContent from GenerateContent request."
	msgCachedNotFound = "CachedContent not found (or permission denied)"
)

// checkRoles: only "user" and "model". A single content may omit the
// role (the cookbook does); in a multi-turn history it may not.
func checkRoles(contents []gcContent) *apiError {
	for _, c := range contents {
		switch c.Role {
		case "user", "model":
		case "":
			if len(contents) > 1 {
				return invalidArgument(msgInvalidRole)
			}
		default:
			return invalidArgument(msgInvalidRole)
		}
	}
	return nil
}

// checkTurns enforces the function-calling turn structure:
//   - a model content with functionCall parts comes right after a user
//     content (a user turn or a function-response turn);
//   - it is followed immediately by a user content with exactly as many
//     functionResponse parts (parallel results merged into one content);
//   - a content with functionResponse parts follows a function call turn.
func checkTurns(contents []gcContent) *apiError {
	for i, c := range contents {
		if c.count(isResponse) > 0 {
			if c.Role == "model" || i == 0 || contents[i-1].Role != "model" || contents[i-1].count(isCall) == 0 {
				return invalidArgument(msgResponsePlace)
			}
		}
		calls := c.count(isCall)
		if calls == 0 {
			continue
		}
		if i == 0 || contents[i-1].Role == "model" {
			return invalidArgument(msgCallPlacement)
		}
		if i+1 < len(contents) {
			next := contents[i+1]
			if next.Role == "model" || next.count(isResponse) != calls {
				return invalidArgument(msgResponseCount)
			}
		}
	}
	return nil
}

// checkCachedContent: the fake has no caches, so a reference is a 403 like
// an unknown cache; combining it with system/tools is a 400 first.
func checkCachedContent(req *gcRequest) *apiError {
	if req.CachedContent == "" {
		return nil
	}
	if req.SystemInstruction != nil || len(req.Tools) > 0 || req.ToolConfig != nil {
		return invalidArgument(msgCachedConflict)
	}
	return newError(http.StatusForbidden, msgCachedNotFound)
}

// Placeholders Google documents for history it did not produce.
var magicSignatures = map[string]bool{
	"skip_thought_signature_validator":     true,
	"context_engineering_is_the_way_to_go": true,
}

// currentTurnStart is the index of the first content after the last user
// content that holds ordinary (non-thought, non-empty) text: the running
// tool loop that Gemini 3 validates.
func currentTurnStart(contents []gcContent) int {
	for i := len(contents) - 1; i >= 0; i-- {
		c := contents[i]
		if c.Role != "user" && c.Role != "" {
			continue
		}
		if c.count(func(p gcPart) bool { return p.Text != nil && *p.Text != "" && !p.Thought }) > 0 {
			return i + 1
		}
	}
	return 0
}

// checkSignatures, Gemini 3's rules (docs/thought-signatures.md):
//   - every thoughtSignature sent back must be one this server issued (or a
//     documented placeholder): a gateway must echo signatures byte for byte;
//   - on gemini-3* models, in the current turn, the first functionCall part
//     of every model content must carry a signature.
func (s *Server) checkSignatures(model string, contents []gcContent) *apiError {
	for _, c := range contents {
		for _, p := range c.Parts {
			if sig := p.ThoughtSignature; sig != "" && !magicSignatures[sig] && !s.wasIssued(sig) {
				return invalidArgument(msgBadSignature)
			}
		}
	}
	if !isGemini3(model) {
		return nil
	}
	for i := currentTurnStart(contents); i < len(contents); i++ {
		c := contents[i]
		if c.Role != "model" {
			continue
		}
		for _, p := range c.Parts {
			if p.FunctionCall == nil {
				continue
			}
			if p.ThoughtSignature == "" {
				return invalidArgument(fmt.Sprintf(msgMissingSigFmt, p.FunctionCall.Name, i))
			}
			break // only the first call of a parallel batch is signed
		}
	}
	return nil
}

// isGemini3 reports a model of Gemini 3 or a later generation (the
// "-latest" aliases follow the newest models): Gemini 3's rules for thought
// signatures, thinking levels, candidates and built-in tools hold for all.
func isGemini3(model string) bool {
	rest, ok := strings.CutPrefix(model, "gemini-")
	if !ok || rest == "" {
		return false
	}
	if strings.HasSuffix(rest, "-latest") {
		return true
	}
	end := strings.IndexAny(rest, ".-")
	if end < 0 {
		end = len(rest)
	}
	major, err := strconv.Atoi(rest[:end])
	return err == nil && major >= 3
}

func (s *Server) wasIssued(sig string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.issuedSet[sig]
}

// IssuedSignatures returns every thoughtSignature the server has sent
// (synthesized or found in scripted bodies, events and parts), oldest first.
func (s *Server) IssuedSignatures() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

func (s *Server) noteSignature(sig string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if sig != "" && !s.issuedSet[sig] {
		s.issuedSet[sig] = true
		s.issued = append(s.issued, sig)
	}
}
