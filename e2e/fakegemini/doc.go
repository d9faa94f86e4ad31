// Package fakegemini is a strict fake of the Gemini Developer API
// (generativelanguage.googleapis.com, /v1beta and /v1) for end-to-end tests
// of the gateway.
//
// The server answers the endpoints of protocol-mapping.md §1.1
// (generateContent, streamGenerateContent with and without alt=sse,
// countTokens, embedContent, batchEmbedContents, models.list, models.get)
// and rejects, with Google's own error bodies (§1.11), every request the real
// service is known to reject: the schema keywords of §1.6 / P1, the turn
// rules of P2–P8, the Gemini 3 thought-signature rules of P11 / §4.12, the
// generation-config rules of §1.5 / P16 / P26 and the auth mistakes of P20.
//
// Files are split by concern:
//
//	server.go          Server, lifecycle, request log, routing
//	auth.go            API-key extraction (P20)
//	errors.go          Google error bodies and detail helpers (§1.11)
//	script.go          Reply / Usage, per-key reply queues and defaults
//	protojson.go       strict proto-JSON walker (unknown names, types, oneofs)
//	specs.go           the message descriptors the walker checks against
//	validate.go        semantic checks of GenerateContentRequest (contents, parts)
//	validate_tools.go  tools, Schema subset (§1.6, P1, P1b), built-in tools with functions
//	validate_config.go generationConfig, toolConfig, safety, model-level rules
//	turns.go           turn order (P5, P6) and thought signatures (P11)
//	synth.go           synthesized GenerateContentResponse bodies
//	stream.go          SSE (CRLF, P22) and JSON-array streaming, cut streams
//	tokens.go          token estimate and countTokens
//	embed.go           embedContent / batchEmbedContents
//	models.go          model catalogue, models.list / models.get
package fakegemini
