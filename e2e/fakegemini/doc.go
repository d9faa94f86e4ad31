// Package fakegemini is a strict fake of the Gemini Developer API
// (generativelanguage.googleapis.com, /v1beta and /v1) for end-to-end tests
// of the gateway.
//
// The server answers the endpoints the gateway uses (generateContent,
// streamGenerateContent with and without alt=sse, countTokens, embedContent,
// batchEmbedContents, models.list, models.get) and rejects, with Google's own
// error bodies (google.rpc.Status), every request the real service is known
// to reject: schema keywords outside the Schema proto, empty parts and
// contents, invalid roles, tool turns out of order or with unmatched
// responses, missing Gemini 3 thought signatures, conflicting or unsupported
// generation settings, and credentials Gemini does not take as a key. The
// rules and the reasons the gateway follows them are in
// docs/gemini-wire-notes.md and docs/thought-signatures.md.
//
// Files are split by concern:
//
//	server.go          Server, lifecycle, request log, routing
//	auth.go            API-key extraction; Authorization is an OAuth token
//	errors.go          Google error bodies and detail helpers
//	script.go          Reply / Usage, per-key reply queues and defaults
//	protojson.go       strict proto-JSON walker (unknown names, types, oneofs)
//	specs.go           the message descriptors the walker checks against
//	validate.go        semantic checks of GenerateContentRequest (contents, parts)
//	validate_tools.go  tools, Schema subset, built-in tools with functions
//	validate_config.go generationConfig, toolConfig, safety, model-level rules
//	turns.go           turn order of tool calls and thought signatures
//	synth.go           synthesized GenerateContentResponse bodies
//	stream.go          SSE (CRLF framing) and JSON-array streaming, cut streams
//	tokens.go          token estimate and countTokens
//	embed.go           embedContent / batchEmbedContents
//	models.go          model catalogue, models.list / models.get
package fakegemini
