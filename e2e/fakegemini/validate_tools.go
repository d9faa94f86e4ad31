package fakegemini

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
)

type gcTool struct {
	FunctionDeclarations []gcFuncDecl    `json:"functionDeclarations"`
	GoogleSearch         json.RawMessage `json:"googleSearch"`
	URLContext           json.RawMessage `json:"urlContext"`
}

type gcFuncDecl struct {
	Name                 string          `json:"name"`
	Parameters           *gcSchema       `json:"parameters"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema"`
	Response             *gcSchema       `json:"response"`
	ResponseJSONSchema   json.RawMessage `json:"responseJsonSchema"`
}

type gcSchema struct {
	Type       string               `json:"type"`
	Format     string               `json:"format"`
	Enum       []string             `json:"enum"`
	Properties map[string]*gcSchema `json:"properties"`
	Required   []string             `json:"required"`
	Items      *gcSchema            `json:"items"`
	AnyOf      []*gcSchema          `json:"anyOf"`
}

type gcToolConfig struct {
	FunctionCallingConfig *struct {
		Mode                 string   `json:"mode"`
		AllowedFunctionNames []string `json:"allowedFunctionNames"`
	} `json:"functionCallingConfig"`
	IncludeServerSideToolInvocations bool `json:"includeServerSideToolInvocations"`
}

// Messages of the real service for built-in tools mixed with function
// calling (quoted in SDK and gateway issue trackers).
const (
	msgBuiltinWithFunctions  = "Tool use with function calling is unsupported by the model."
	msgEnableServerSideTools = "Please enable tool_config.include_server_side_tool_invocations to use Built-in tools with Function calling."
	msgConfigWithoutDecls    = "Function calling config is set without function_declarations."
)

// builtins reports which built-in tools a request enables.
func (req *gcRequest) builtins() (search, urlContext bool) {
	for _, t := range req.Tools {
		search = search || t.GoogleSearch != nil
		urlContext = urlContext || t.URLContext != nil
	}
	return search, urlContext
}

func (req *gcRequest) declarations() int {
	n := 0
	for _, t := range req.Tools {
		n += len(t.FunctionDeclarations)
	}
	return n
}

// checkToolRules are the model-level tool rules: a function-calling config
// needs declarations, and built-in tools (googleSearch, urlContext) go with
// function declarations only on Gemini 3, and there only when the request
// asks for the server-side tool invocations to be returned.
func checkToolRules(req *gcRequest, mi *modelInfo) *apiError {
	decls := req.declarations()
	if tc := req.ToolConfig; tc != nil && tc.FunctionCallingConfig != nil && decls == 0 {
		return invalidArgument(msgConfigWithoutDecls)
	}
	search, urlContext := req.builtins()
	if !(search || urlContext) || decls == 0 {
		return nil
	}
	if !isGemini3(mi.id) {
		return invalidArgument(msgBuiltinWithFunctions)
	}
	if req.ToolConfig == nil || !req.ToolConfig.IncludeServerSideToolInvocations {
		return invalidArgument(msgEnableServerSideTools)
	}
	return nil
}

// Function names: start with a letter or '_', then [a-zA-Z0-9_.:-], at
// most 128 characters.
var functionNameRE = regexp.MustCompile(`^[a-zA-Z_][a-zA-Z0-9_.:-]{0,127}$`)

func checkTools(fe *fieldErrors, tools []gcTool) {
	seen := map[string]bool{}
	total := 0
	for ti, t := range tools {
		for di, d := range t.FunctionDeclarations {
			total++
			p := fmt.Sprintf("tools[%d].function_declarations[%d]", ti, di)
			switch {
			case d.Name == "":
				fe.add(p+".name", "Name cannot be empty.")
			case !functionNameRE.MatchString(d.Name):
				fe.add(p+".name", "Invalid function name. Must start with a letter or an underscore. Must be a-z, A-Z, 0-9, or contain underscores, dots, colons, or dashes, with a maximum length of 128.")
			case seen[d.Name]:
				fe.add(p+".name", "Duplicate function declaration found: %s", d.Name)
			}
			seen[d.Name] = true
			// parameters and parametersJsonSchema are mutually exclusive.
			if d.Parameters != nil && d.ParametersJSONSchema != nil {
				fe.add(p, "parameters and parameters_json_schema are mutually exclusive; set only one of them")
			}
			if d.Response != nil && d.ResponseJSONSchema != nil {
				fe.add(p, "response and response_json_schema are mutually exclusive; set only one of them")
			}
			if d.Parameters != nil {
				checkSchema(fe, p+".parameters", d.Parameters, true)
			}
			if d.Response != nil {
				checkSchema(fe, p+".response", d.Response, false)
			}
			if d.ParametersJSONSchema != nil {
				checkJSONSchemaRoot(fe, p+".parameters_json_schema", d.ParametersJSONSchema, true)
			}
			if d.ResponseJSONSchema != nil {
				checkJSONSchemaRoot(fe, p+".response_json_schema", d.ResponseJSONSchema, false)
			}
		}
	}
	if total > 512 {
		fe.add("tools", "at most 512 function declarations can be specified")
	}
}

// Formats the Developer API accepts per type (Vertex AI takes more; the
// Schema.format doc of the proto lists these).
var allowedFormats = map[string]map[string]bool{
	"STRING":  {"enum": true, "date-time": true},
	"NUMBER":  {"float": true, "double": true},
	"INTEGER": {"int32": true, "int64": true},
}

var formatHelp = map[string]string{
	"STRING":  "only 'enum' and 'date-time' are supported for STRING type",
	"NUMBER":  "only 'float' and 'double' are supported for NUMBER type",
	"INTEGER": "only 'int32' and 'int64' are supported for INTEGER type",
}

// checkSchema walks a Schema proto (`parameters`, `response`,
// `responseSchema`) for the semantic rules the parser does not cover: the
// root must be OBJECT, an OBJECT's properties non-empty, formats, enum only
// on STRING, ARRAY needs items, required names must be properties.
func checkSchema(fe *fieldErrors, p string, s *gcSchema, mustBeObject bool) {
	if mustBeObject && s.Type != "OBJECT" {
		fe.add(p+".type", "should be of type OBJECT")
	}
	if s.Type == "OBJECT" && s.Properties != nil && len(s.Properties) == 0 {
		fe.add(p+".properties", "should be non-empty for OBJECT type")
	}
	if s.Type == "ARRAY" && s.Items == nil {
		fe.add(p+".items", "missing field.")
	}
	if len(s.Enum) > 0 && s.Type != "STRING" && s.Type != "" {
		fe.add(p+".enum", "only allowed for STRING type")
	}
	if s.Format != "" {
		if ok, known := allowedFormats[s.Type]; known && !ok[s.Format] {
			fe.add(p+".format", "%s", formatHelp[s.Type])
		}
	}
	for i, r := range s.Required {
		if _, ok := s.Properties[r]; !ok {
			fe.add(fmt.Sprintf("%s.required[%d]", p, i), "property is not defined")
		}
	}
	names := make([]string, 0, len(s.Properties))
	for k := range s.Properties {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if sub := s.Properties[k]; sub != nil {
			checkSchema(fe, fmt.Sprintf("%s.properties[%s]", p, k), sub, false)
		}
	}
	if s.Items != nil {
		checkSchema(fe, p+".items", s.Items, false)
	}
	for i, a := range s.AnyOf {
		if a != nil {
			checkSchema(fe, fmt.Sprintf("%s.any_of[%d]", p, i), a, false)
		}
	}
}

// checkJSONSchemaRoot: parametersJsonSchema / responseJsonSchema take a free
// JSON Schema; the fake rejects nothing but a non-object root (and,
// for parameters, a root whose "type" is not "object").
func checkJSONSchemaRoot(fe *fieldErrors, p string, raw json.RawMessage, mustBeObject bool) {
	if jsonKind(raw) != '{' {
		fe.add(p, "must be a JSON object")
		return
	}
	if !mustBeObject {
		return
	}
	var root struct {
		Type json.RawMessage `json:"type"`
	}
	_ = json.Unmarshal(raw, &root)
	if root.Type != nil && string(compactBytes(root.Type)) != `"object"` {
		fe.add(p+".type", "the root schema of function parameters must be of type object")
	}
}

func checkToolConfig(fe *fieldErrors, tc *gcToolConfig) {
	if tc == nil || tc.FunctionCallingConfig == nil {
		return
	}
	fc := tc.FunctionCallingConfig
	if len(fc.AllowedFunctionNames) > 0 && fc.Mode != "ANY" && fc.Mode != "VALIDATED" {
		fe.add("tool_config.function_calling_config.allowed_function_names",
			"allowed_function_names can only be set when mode is ANY or VALIDATED")
	}
}
