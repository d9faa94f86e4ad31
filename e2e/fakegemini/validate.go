package fakegemini

import (
	"encoding/json"
	"fmt"
	"strings"
)

// gcRequest is the canonical GenerateContentRequest after the proto-JSON
// walk (camelCase only, so plain encoding/json tags work).
type gcRequest struct {
	Model             string          `json:"model"`
	Contents          []gcContent     `json:"contents"`
	SystemInstruction *gcContent      `json:"systemInstruction"`
	Tools             []gcTool        `json:"tools"`
	ToolsRaw          json.RawMessage `json:"-"`
	ToolConfig        *gcToolConfig   `json:"toolConfig"`
	SafetySettings    []gcSafety      `json:"safetySettings"`
	GenerationConfig  *gcGenConfig    `json:"generationConfig"`
	CachedContent     string          `json:"cachedContent"`
}

type gcContent struct {
	Role  string   `json:"role"`
	Parts []gcPart `json:"parts"`
}

type gcPart struct {
	Text                *string             `json:"text"`
	InlineData          json.RawMessage     `json:"inlineData"`
	FileData            json.RawMessage     `json:"fileData"`
	FunctionCall        *gcFunctionCall     `json:"functionCall"`
	FunctionResponse    *gcFunctionResponse `json:"functionResponse"`
	ExecutableCode      json.RawMessage     `json:"executableCode"`
	CodeExecutionResult json.RawMessage     `json:"codeExecutionResult"`
	ToolCall            json.RawMessage     `json:"toolCall"`
	ToolResponse        json.RawMessage     `json:"toolResponse"`
	Thought             bool                `json:"thought"`
	ThoughtSignature    string              `json:"thoughtSignature"`
}

type gcFunctionCall struct {
	ID   string          `json:"id"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args"`
}

type gcFunctionResponse struct {
	ID       string          `json:"id"`
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

// dataFields counts the members of the "data" oneof that are set.
func (p gcPart) dataFields() int {
	n := 0
	for _, set := range []bool{p.Text != nil, p.InlineData != nil, p.FileData != nil, p.FunctionCall != nil,
		p.FunctionResponse != nil, p.ExecutableCode != nil, p.CodeExecutionResult != nil, p.ToolCall != nil, p.ToolResponse != nil} {
		if set {
			n++
		}
	}
	return n
}

func (c gcContent) count(pred func(gcPart) bool) int {
	n := 0
	for _, p := range c.Parts {
		if pred(p) {
			n++
		}
	}
	return n
}

func isCall(p gcPart) bool     { return p.FunctionCall != nil }
func isResponse(p gcPart) bool { return p.FunctionResponse != nil }

// fieldErrors collects the "* Root.path: message\n" lines the real service
// returns, all at once, for semantic field violations.
type fieldErrors struct {
	root  string
	lines []string
}

func (f *fieldErrors) add(path, format string, args ...any) {
	f.lines = append(f.lines, fmt.Sprintf("* %s.%s: %s\n", f.root, path, fmt.Sprintf(format, args...)))
}

func (f *fieldErrors) err() *apiError {
	if len(f.lines) == 0 {
		return nil
	}
	return invalidArgument(strings.Join(f.lines, ""))
}

// parseProto is phase 1 of every request check: the strict proto-JSON walk
// of body as a message m; it returns the canonical body.
func parseProto(body []byte, m *message) ([]byte, *apiError) {
	var w walker
	canon := w.root(body, m)
	if w.err != nil {
		return nil, w.err
	}
	return canon, nil
}

func decodeGenerate(canon []byte) *gcRequest {
	var req gcRequest
	_ = json.Unmarshal(canon, &req)
	var aux struct {
		Tools json.RawMessage `json:"tools"`
	}
	_ = json.Unmarshal(canon, &aux)
	req.ToolsRaw = aux.Tools
	return &req
}

// checkGenerateFields is phase 2: field-level semantic violations,
// reported together. root is "GenerateContentRequest" or, for countTokens,
// "CountTokensRequest.generate_content_request".
func checkGenerateFields(req *gcRequest, root string) *apiError {
	fe := &fieldErrors{root: root}
	if len(req.Contents) == 0 {
		fe.add("contents", "contents is not specified")
	}
	checkContents(fe, "contents", req.Contents)
	if si := req.SystemInstruction; si != nil {
		checkSystemInstruction(fe, si)
	}
	checkTools(fe, req.Tools)
	checkToolConfig(fe, req.ToolConfig)
	checkSafety(fe, req.SafetySettings)
	if req.GenerationConfig != nil {
		checkGenerationConfig(fe, req.GenerationConfig)
	}
	return fe.err()
}

func checkContents(fe *fieldErrors, path string, contents []gcContent) {
	for i, c := range contents {
		p := fmt.Sprintf("%s[%d]", path, i)
		if len(c.Parts) == 0 {
			fe.add(p+".parts", "contents.parts must not be empty.")
			continue
		}
		for j, part := range c.Parts {
			checkPart(fe, fmt.Sprintf("%s.parts[%d]", p, j), part)
		}
	}
}

func checkPart(fe *fieldErrors, p string, part gcPart) {
	// {"text":""} is "no data" unless it only carries a thoughtSignature
	// (Gemini 3 streams a trailing empty text part with the signature).
	if part.dataFields() == 0 || (part.Text != nil && *part.Text == "" && part.ThoughtSignature == "") {
		fe.add(p+".data", "required oneof field 'data' must have one initialized field")
	}
	if fc := part.FunctionCall; fc != nil && fc.Name == "" {
		fe.add(p+".function_call.name", "Name cannot be empty.") // e.g. a nameless streamed fragment replayed as a call
	}
	if fr := part.FunctionResponse; fr != nil && fr.Name == "" {
		fe.add(p+".function_response.name", "Name cannot be empty.")
	}
}

// checkSystemInstruction: text parts only.
func checkSystemInstruction(fe *fieldErrors, si *gcContent) {
	if len(si.Parts) == 0 {
		fe.add("system_instruction.parts", "contents.parts must not be empty.")
	}
	for j, part := range si.Parts {
		p := fmt.Sprintf("system_instruction.parts[%d]", j)
		checkPart(fe, p, part)
		if part.dataFields() > 0 && part.Text == nil {
			fe.add(p, "only text parts are supported in system_instruction")
		}
	}
}
