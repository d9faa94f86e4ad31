package fakegemini

import (
	"encoding/json"
	"strings"
	"unicode/utf8"
)

// EstimateTokens is the fake's deterministic tokenizer: one token per four
// characters (runes), rounded up. countTokens, promptTokenCount and
// candidatesTokenCount all use it, so a test can predict every number.
func EstimateTokens(text string) int {
	return (utf8.RuneCountInString(text) + 3) / 4
}

// mediaTokens is what one inline/file media part counts (258 = one image
// tile on the real service).
const mediaTokens = 258

func contentTokens(c gcContent) int {
	n := 0
	for _, p := range c.Parts {
		switch {
		case p.Text != nil:
			n += EstimateTokens(*p.Text)
		case p.FunctionCall != nil:
			n += EstimateTokens(p.FunctionCall.Name + string(p.FunctionCall.Args))
		case p.FunctionResponse != nil:
			n += EstimateTokens(p.FunctionResponse.Name + string(p.FunctionResponse.Response))
		case p.InlineData != nil, p.FileData != nil:
			n += mediaTokens
		case p.ExecutableCode != nil:
			n += EstimateTokens(string(p.ExecutableCode))
		case p.CodeExecutionResult != nil:
			n += EstimateTokens(string(p.CodeExecutionResult))
		}
	}
	return n
}

// requestTokens counts contents, the system instruction and the canonical
// JSON of the tools (the generateContentRequest wrapper of countTokens
// includes system and tools).
func requestTokens(req *gcRequest) int {
	n := 0
	for _, c := range req.Contents {
		n += contentTokens(c)
	}
	if req.SystemInstruction != nil {
		n += contentTokens(*req.SystemInstruction)
	}
	if len(req.ToolsRaw) > 0 {
		n += EstimateTokens(string(req.ToolsRaw))
	}
	return n
}

type modalityCount struct {
	Modality   string `json:"modality"`
	TokenCount int    `json:"tokenCount"`
}

type countTokensResponse struct {
	TotalTokens         int             `json:"totalTokens"`
	PromptTokensDetails []modalityCount `json:"promptTokensDetails,omitempty"`
}

// countTokens handles CountTokensRequest: either contents or a full
// generateContentRequest (with model "models/…"), not both.
func countTokens(body []byte) (any, *apiError) {
	canon, e := parseProto(body, countTokensRequestMsg)
	if e != nil {
		return nil, e
	}
	var ct struct {
		Contents []gcContent    `json:"contents"`
		GCR      map[string]any `json:"generateContentRequest"`
	}
	if err := json.Unmarshal(canon, &ct); err != nil {
		return nil, invalidArgument(err.Error())
	}
	fe := &fieldErrors{root: "CountTokensRequest"}
	var req *gcRequest
	switch {
	case ct.Contents != nil && ct.GCR != nil:
		fe.add("contents", "contents and generate_content_request are mutually exclusive")
	case ct.GCR != nil:
		var aux struct {
			GCR json.RawMessage `json:"generateContentRequest"`
		}
		_ = json.Unmarshal(canon, &aux)
		req = decodeGenerate(aux.GCR)
		if m, ok := ct.GCR["model"].(string); !ok || len(m) <= len("models/") || !strings.HasPrefix(m, "models/") {
			fe.add("generate_content_request.model", "unexpected model name format")
		}
		if e := checkGenerateFields(req, "CountTokensRequest.generate_content_request"); e != nil {
			return nil, e
		}
	default:
		if len(ct.Contents) == 0 {
			fe.add("contents", "contents is not specified")
		}
		checkContents(fe, "contents", ct.Contents)
		req = &gcRequest{Contents: ct.Contents}
	}
	if e := fe.err(); e != nil {
		return nil, e
	}
	if e := checkRoles(req.Contents); e != nil {
		return nil, e
	}
	n := requestTokens(req)
	return countTokensResponse{TotalTokens: n, PromptTokensDetails: []modalityCount{{"TEXT", n}}}, nil
}
