package fakegemini

// Message descriptors of the v1beta request messages (from the
// generativelanguage v1beta protos and go-genai's types.go). Only fields
// listed here are accepted; anything else is `Unknown name "x" … Cannot find
// field.`, as for JSON Schema keywords in `parameters` or a thoughtSignature
// put inside functionCall.

func enumOf(name string, values ...string) *enumType { return &enumType{name, values} }

func str() *field                     { return &field{kind: kString} }
func strs() *field                    { return &field{kind: kString, repeated: true} }
func boolean() *field                 { return &field{kind: kBool} }
func i32() *field                     { return &field{kind: kInt32} }
func i64() *field                     { return &field{kind: kInt64} }
func f32() *field                     { return &field{kind: kFloat} }
func f64() *field                     { return &field{kind: kDouble} }
func structF() *field                 { return &field{kind: kStruct} }
func valueF() *field                  { return &field{kind: kValue} }
func msgF(m *message) *field          { return &field{kind: kMsg, msg: m} }
func msgs(m *message) *field          { return &field{kind: kMsg, msg: m, repeated: true} }
func enumF(e *enumType) *field        { return &field{kind: kEnum, enum: e} }
func oneof(g string, f *field) *field { f.oneof = g; return f }

var (
	typeEnum = enumOf("Type", "TYPE_UNSPECIFIED", "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL")

	blobMsg = &message{"Blob", map[string]*field{
		"mimeType": str(), "data": {kind: kBytes},
	}}
	fileDataMsg = &message{"FileData", map[string]*field{
		"mimeType": str(), "fileUri": str(),
	}}
	functionCallMsg = &message{"FunctionCall", map[string]*field{
		"id": str(), "name": str(), "args": structF(),
	}}
	functionResponsePartMsg = &message{"FunctionResponsePart", map[string]*field{
		"inlineData": oneof("data", msgF(&message{"FunctionResponseBlob", map[string]*field{
			"mimeType": str(), "data": {kind: kBytes}, "displayName": str(),
		}})),
		"fileData": oneof("data", msgF(fileDataMsg)),
	}}
	functionResponseMsg = &message{"FunctionResponse", map[string]*field{
		"id": str(), "name": str(), "response": structF(), // a Struct: a list or a string is refused
		"parts":        msgs(functionResponsePartMsg),
		"willContinue": boolean(),
		"scheduling":   enumF(enumOf("Scheduling", "SCHEDULING_UNSPECIFIED", "SILENT", "WHEN_IDLE", "INTERRUPT")),
	}}
	executableCodeMsg = &message{"ExecutableCode", map[string]*field{
		"id": str(), "language": enumF(enumOf("Language", "LANGUAGE_UNSPECIFIED", "PYTHON")), "code": str(),
	}}
	codeExecutionResultMsg = &message{"CodeExecutionResult", map[string]*field{
		"id":      str(),
		"outcome": enumF(enumOf("Outcome", "OUTCOME_UNSPECIFIED", "OUTCOME_OK", "OUTCOME_FAILED", "OUTCOME_DEADLINE_EXCEEDED")),
		"output":  str(),
	}}
	videoMetadataMsg = &message{"VideoMetadata", map[string]*field{
		"startOffset": {kind: kDuration}, "endOffset": {kind: kDuration}, "fps": f64(),
	}}

	// Part: exactly one member of the "data" oneof.
	partMsg = &message{"Part", map[string]*field{
		"text":                oneof("data", str()),
		"inlineData":          oneof("data", msgF(blobMsg)),
		"fileData":            oneof("data", msgF(fileDataMsg)),
		"functionCall":        oneof("data", msgF(functionCallMsg)),
		"functionResponse":    oneof("data", msgF(functionResponseMsg)),
		"executableCode":      oneof("data", msgF(executableCodeMsg)),
		"codeExecutionResult": oneof("data", msgF(codeExecutionResultMsg)),
		"toolCall": oneof("data", msgF(&message{"ToolCall", map[string]*field{
			"id": str(), "toolType": enumF(toolTypeEnum), "args": structF(),
		}})),
		"toolResponse": oneof("data", msgF(&message{"ToolResponse", map[string]*field{
			"id": str(), "toolType": enumF(toolTypeEnum), "response": structF(),
		}})),
		"thought":          boolean(),
		"thoughtSignature": {kind: kBytes},
		"videoMetadata":    msgF(videoMetadataMsg),
		"mediaResolution":  valueF(),
		"partMetadata":     structF(),
	}}
	contentMsg = &message{"Content", map[string]*field{
		"role": str(), "parts": msgs(partMsg),
	}}

	// schemaMsg is the OpenAPI-subset Schema proto of `parameters` and
	// `responseSchema`: the fields set in init below and nothing else.
	schemaMsg = &message{"Schema", map[string]*field{}}

	functionDeclarationMsg = &message{"FunctionDeclaration", map[string]*field{
		"name": str(), "description": str(),
		"parameters":           msgF(schemaMsg),
		"parametersJsonSchema": valueF(),
		"response":             msgF(schemaMsg),
		"responseJsonSchema":   valueF(),
		"behavior":             enumF(enumOf("Behavior", "UNSPECIFIED", "BLOCKING", "NON_BLOCKING")),
	}}
	// GoogleSearch of the Gemini API: a time range and the search types.
	// excludeDomains and blockingConfidence exist only on Vertex AI ("not
	// supported in Gemini API"): unknown names here.
	googleSearchMsg = &message{"GoogleSearch", map[string]*field{
		"timeRangeFilter": msgF(&message{"Interval", map[string]*field{"startTime": str(), "endTime": str()}}),
		"searchTypes": msgF(&message{"SearchTypes", map[string]*field{
			"webSearch": msgF(&message{"WebSearch", map[string]*field{}}), "imageSearch": msgF(&message{"ImageSearch", map[string]*field{}}),
		}}),
	}}
	toolTypeEnum = enumOf("ToolType", "TOOL_TYPE_UNSPECIFIED", "GOOGLE_SEARCH_WEB", "GOOGLE_SEARCH_IMAGE", "URL_CONTEXT", "GOOGLE_MAPS", "FILE_SEARCH")
	toolMsg      = &message{"Tool", map[string]*field{
		"functionDeclarations":  msgs(functionDeclarationMsg),
		"googleSearchRetrieval": structF(),
		"codeExecution":         structF(),
		"googleSearch":          msgF(googleSearchMsg),
		"urlContext":            msgF(&message{"UrlContext", map[string]*field{}}),
		"computerUse":           structF(),
		"fileSearch":            structF(),
		"googleMaps":            structF(),
	}}
	toolConfigMsg = &message{"ToolConfig", map[string]*field{
		"functionCallingConfig": msgF(&message{"FunctionCallingConfig", map[string]*field{
			"mode":                 enumF(enumOf("Mode", "MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED")),
			"allowedFunctionNames": strs(),
		}}),
		"retrievalConfig": structF(),
		// Gemini 3: built-in tools mixed with function calling return
		// their calls and responses as parts (toolCall, toolResponse).
		"includeServerSideToolInvocations": boolean(),
	}}
	harmCategory = enumOf("HarmCategory", "HARM_CATEGORY_UNSPECIFIED", "HARM_CATEGORY_DEROGATORY",
		"HARM_CATEGORY_TOXICITY", "HARM_CATEGORY_VIOLENCE", "HARM_CATEGORY_SEXUAL", "HARM_CATEGORY_MEDICAL",
		"HARM_CATEGORY_DANGEROUS", "HARM_CATEGORY_HARASSMENT", "HARM_CATEGORY_HATE_SPEECH",
		"HARM_CATEGORY_SEXUALLY_EXPLICIT", "HARM_CATEGORY_DANGEROUS_CONTENT", "HARM_CATEGORY_CIVIC_INTEGRITY")
	safetySettingMsg = &message{"SafetySetting", map[string]*field{
		"category": enumF(harmCategory),
		"threshold": enumF(enumOf("HarmBlockThreshold", "HARM_BLOCK_THRESHOLD_UNSPECIFIED",
			"BLOCK_LOW_AND_ABOVE", "BLOCK_MEDIUM_AND_ABOVE", "BLOCK_ONLY_HIGH", "BLOCK_NONE", "OFF")),
	}}
	thinkingConfigMsg = &message{"ThinkingConfig", map[string]*field{
		"includeThoughts": boolean(),
		"thinkingBudget":  i32(),
		"thinkingLevel":   enumF(enumOf("ThinkingLevel", "THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH", "XHIGH")),
	}}
	generationConfigMsg = &message{"GenerationConfig", map[string]*field{
		"stopSequences":              strs(),
		"responseMimeType":           str(),
		"responseSchema":             msgF(schemaMsg),
		"responseJsonSchema":         valueF(),
		"responseModalities":         {kind: kEnum, repeated: true, enum: enumOf("Modality", "MODALITY_UNSPECIFIED", "TEXT", "IMAGE", "AUDIO")},
		"candidateCount":             i32(),
		"maxOutputTokens":            i32(),
		"temperature":                f32(),
		"topP":                       f32(),
		"topK":                       i32(),
		"seed":                       i32(),
		"presencePenalty":            f32(),
		"frequencyPenalty":           f32(),
		"responseLogprobs":           boolean(),
		"logprobs":                   i32(),
		"enableEnhancedCivicAnswers": boolean(),
		"speechConfig":               structF(),
		"imageConfig":                structF(),
		"thinkingConfig":             msgF(thinkingConfigMsg),
		"mediaResolution":            enumF(enumOf("MediaResolution", "MEDIA_RESOLUTION_UNSPECIFIED", "MEDIA_RESOLUTION_LOW", "MEDIA_RESOLUTION_MEDIUM", "MEDIA_RESOLUTION_HIGH")),
	}}

	generateContentRequestMsg = &message{"GenerateContentRequest", map[string]*field{
		"model":             str(),
		"contents":          msgs(contentMsg),
		"systemInstruction": msgF(contentMsg),
		"tools":             msgs(toolMsg),
		"toolConfig":        msgF(toolConfigMsg),
		"safetySettings":    msgs(safetySettingMsg),
		"generationConfig":  msgF(generationConfigMsg),
		"cachedContent":     str(),
	}}
	countTokensRequestMsg = &message{"CountTokensRequest", map[string]*field{
		"contents":               msgs(contentMsg),
		"generateContentRequest": msgF(generateContentRequestMsg),
	}}
	embedContentRequestMsg = &message{"EmbedContentRequest", map[string]*field{
		"model":   str(),
		"content": msgF(contentMsg),
		"taskType": enumF(enumOf("TaskType", "TASK_TYPE_UNSPECIFIED", "RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT",
			"SEMANTIC_SIMILARITY", "CLASSIFICATION", "CLUSTERING", "QUESTION_ANSWERING", "FACT_VERIFICATION",
			"CODE_RETRIEVAL_QUERY")),
		"title":                str(),
		"outputDimensionality": i32(),
	}}
	batchEmbedContentsRequestMsg = &message{"BatchEmbedContentsRequest", map[string]*field{
		"requests": msgs(embedContentRequestMsg),
	}}
)

func init() {
	f := schemaMsg.fields
	f["type"] = enumF(typeEnum)
	f["format"] = str()
	f["title"] = str()
	f["description"] = str()
	f["nullable"] = boolean()
	f["enum"] = strs() // integer enum values → Invalid value (TYPE_STRING)
	f["maxItems"] = i64()
	f["minItems"] = i64()
	f["properties"] = &field{kind: kMsg, msg: schemaMsg, isMap: true}
	f["required"] = strs()
	f["minProperties"] = i64()
	f["maxProperties"] = i64()
	f["minLength"] = i64()
	f["maxLength"] = i64()
	f["pattern"] = str()
	f["example"] = valueF()
	f["anyOf"] = msgs(schemaMsg)
	f["propertyOrdering"] = strs()
	f["default"] = valueF()
	f["items"] = msgF(schemaMsg)
	f["minimum"] = f64()
	f["maximum"] = f64()
}
