package fakegemini

import (
	"fmt"
	"slices"
	"strings"
)

type gcGenConfig struct {
	StopSequences      []string    `json:"stopSequences"`
	ResponseMimeType   string      `json:"responseMimeType"`
	ResponseSchema     *gcSchema   `json:"responseSchema"`
	ResponseJSONSchema any         `json:"responseJsonSchema"`
	CandidateCount     *int        `json:"candidateCount"`
	MaxOutputTokens    *int        `json:"maxOutputTokens"`
	Temperature        *float64    `json:"temperature"`
	PresencePenalty    *float64    `json:"presencePenalty"`
	FrequencyPenalty   *float64    `json:"frequencyPenalty"`
	TopP               *float64    `json:"topP"`
	ResponseLogprobs   bool        `json:"responseLogprobs"`
	Logprobs           *int        `json:"logprobs"`
	ThinkingConfig     *gcThinking `json:"thinkingConfig"`
}

type gcThinking struct {
	IncludeThoughts bool   `json:"includeThoughts"`
	ThinkingBudget  *int   `json:"thinkingBudget"`
	ThinkingLevel   string `json:"thinkingLevel"`
}

type gcSafety struct {
	Category  string `json:"category"`
	Threshold string `json:"threshold"`
}

var allowedMimeTypes = map[string]bool{
	"": true, "text/plain": true, "application/json": true, "application/xml": true,
	"application/yaml": true, "text/x.enum": true,
}

// checkGenerationConfig: the field rules of generationConfig (ranges,
// combinations, MIME types). Unknown fields were already
// rejected by the proto-JSON walk.
func checkGenerationConfig(fe *fieldErrors, gc *gcGenConfig) {
	const p = "generation_config"
	if !allowedMimeTypes[gc.ResponseMimeType] {
		fe.add(p+".response_mime_type", "allowed mimetypes are `text/plain`, `application/json`, `application/xml`, `application/yaml` and `text/x.enum`.")
	}
	if gc.ResponseSchema != nil && gc.ResponseJSONSchema != nil {
		fe.add(p+".response_schema", "response_schema and response_json_schema are mutually exclusive; set only one of them")
	}
	if gc.ResponseSchema != nil {
		if gc.ResponseMimeType != "application/json" && gc.ResponseMimeType != "text/x.enum" {
			fe.add(p+".response_mime_type", "When using response_schema, response_mime_type must be `application/json` or `text/x.enum`.")
		}
		checkSchema(fe, p+".response_schema", gc.ResponseSchema, false)
	}
	if gc.ResponseJSONSchema != nil && gc.ResponseMimeType != "application/json" {
		fe.add(p+".response_mime_type", "When using response_json_schema, response_mime_type must be `application/json`.")
	}
	if t := gc.Temperature; t != nil && (*t < 0 || *t > 2) {
		fe.add(p+".temperature", "temperature must be in the range [0.0, 2.0]")
	}
	if t := gc.TopP; t != nil && (*t < 0 || *t > 1) {
		fe.add(p+".top_p", "top_p must be in the range [0.0, 1.0]")
	}
	if c := gc.CandidateCount; c != nil && *c < 0 {
		fe.add(p+".candidate_count", "candidate_count must be positive")
	}
	if m := gc.MaxOutputTokens; m != nil && *m < 0 {
		fe.add(p+".max_output_tokens", "max_output_tokens must be positive")
	}
	if len(gc.StopSequences) > 5 {
		fe.add(p+".stop_sequences", "the number of stop sequences must not exceed 5")
	}
	if l := gc.Logprobs; l != nil {
		if !gc.ResponseLogprobs {
			fe.add(p+".logprobs", "logprobs can only be set when response_logprobs is true")
		} else if *l < 0 || *l > 20 {
			fe.add(p+".logprobs", "logprobs must be in the range [0, 20]")
		}
	}
}

func checkSafety(fe *fieldErrors, settings []gcSafety) {
	seen := map[string]bool{}
	for i, s := range settings {
		if seen[s.Category] {
			fe.add(fmt.Sprintf("safety_settings[%d].category", i), "duplicate category %s", s.Category)
		}
		seen[s.Category] = true
	}
}

// checkModelRules are the model-dependent rules (plain messages, after the
// field checks): several candidates on Gemini 3 and later, penalties on a
// model without them (even 0), thinking budget and level together,
// thinking support, the levels a model knows, budgets on Gemini 4 and
// budget ranges.
func checkModelRules(req *gcRequest, mi *modelInfo) *apiError {
	gc := req.GenerationConfig
	if gc == nil {
		return nil
	}
	if c := gc.CandidateCount; c != nil && *c > 1 {
		if isGemini3(mi.id) {
			return invalidArgument("Multiple candidates is not enabled for this model")
		}
		if *c > 8 {
			return invalidArgument(fmt.Sprintf("* GenerateContentRequest.generation_config.candidate_count: must be in the range [1, 8], got %d\n", *c))
		}
	}
	if mi.noPenalty && (gc.PresencePenalty != nil || gc.FrequencyPenalty != nil) {
		return invalidArgument("Penalty is not enabled for models/" + mi.id)
	}
	if m := gc.MaxOutputTokens; m != nil && mi.OutputTokenLimit > 0 && *m > mi.OutputTokenLimit {
		// Gemini does not clamp an oversized limit (Vertex and the Gemini
		// API answer with this message).
		return invalidArgument(fmt.Sprintf("Unable to submit request because it has a maxOutputTokens value of %d but the supported range is from 1 (inclusive) to %d (exclusive). Update the value and try again.", *m, mi.OutputTokenLimit+1))
	}
	tc := gc.ThinkingConfig
	if tc == nil {
		return nil
	}
	if tc.ThinkingBudget != nil && tc.ThinkingLevel != "" {
		return invalidArgument("Thinking budget and thinking level cannot be set at the same time. Please set only one of them.")
	}
	if !mi.Thinking {
		if tc.IncludeThoughts || tc.ThinkingLevel != "" || (tc.ThinkingBudget != nil && *tc.ThinkingBudget != 0) {
			return invalidArgument("Thinking is not enabled for this model.")
		}
		return nil
	}
	if tc.ThinkingLevel != "" && !isGemini3(mi.id) {
		return invalidArgument("Thinking level is not supported for this model.")
	}
	if l := tc.ThinkingLevel; l != "" && !slices.Contains(levelsOf(mi), l) {
		return invalidArgument(fmt.Sprintf("'%s' is not a supported thinking level for this model. Allowed values are: %s.",
			strings.ToLower(l), strings.ToLower(strings.Join(levelsOf(mi), ", "))))
	}
	if tc.ThinkingBudget != nil && mi.noBudget {
		return invalidArgument("Thinking budget is not supported for this model.")
	}
	if b := tc.ThinkingBudget; b != nil && *b != -1 {
		switch {
		case *b == 0 && !mi.budgetZeroOK:
			return invalidArgument("Budget 0 is invalid. This model only works in thinking mode.")
		case *b != 0 && (*b < mi.budgetMin || *b > mi.budgetMax):
			return invalidArgument(fmt.Sprintf("The thinking budget %d is invalid. Please choose a value between %d and %d.", *b, mi.budgetMin, mi.budgetMax))
		}
	}
	return nil
}

// levelsOf are the thinking levels mi takes; a model without its own list
// takes every level but XHIGH (Gemini 3 Pro and Flash Preview, as this fake
// always had them).
func levelsOf(mi *modelInfo) []string {
	if mi.levels == nil {
		return []string{"MINIMAL", "LOW", "MEDIUM", "HIGH"}
	}
	return mi.levels
}
