package filter

import "strings"

// protocol is the client protocol of a request: it decides the error shape.
type protocol uint8

const (
	protoOpenAI protocol = iota
	protoAnthropic
	protoGemini
	protocolCount
)

func (p protocol) String() string {
	switch p {
	case protoAnthropic:
		return "anthropic"
	case protoGemini:
		return "gemini"
	}
	return "openai"
}

// endpointKind is what a path serves.
type endpointKind uint8

const (
	epUnknown endpointKind = iota
	epHealth
	epChatCompletions
	epEmbeddings
	epModels // list, or one model when route.model is set
	epMessages
	epCountTokens
	epNative // Gemini's own API, passed through
	epResponses
	epCount // the number of kinds
)

type route struct {
	kind   endpointKind
	proto  protocol
	method string // the method the endpoint takes ("" = any, for native)
	model  string // models/{id} of GET /v1/models/{id}; the model of a native path
	// nativeAction is the method suffix of a native path (generateContent,
	// streamGenerateContent...), "" for models list/get and unknown shapes.
	nativeAction string
}

// hints are request facts beyond the path that tell protocols apart.
type hints struct {
	anthropic bool // anthropic-version or x-api-key header
	google    bool // x-goog-api-key header or ?key= (Gemini's own clients)
}

// routeFor classifies a request path (without query). OpenAI paths are
// matched with and without the /v1 prefix, since OpenAI-compatible clients
// differ in whether their base URL ends in /v1.
func routeFor(path string, h hints) route {
	switch path {
	case "/health", "/healthz":
		return route{kind: epHealth, method: "GET"}
	case "/v1/chat/completions", "/chat/completions":
		return route{kind: epChatCompletions, proto: protoOpenAI, method: "POST"}
	case "/v1/responses", "/responses":
		return route{kind: epResponses, proto: protoOpenAI, method: "POST"}
	case "/v1/embeddings", "/embeddings":
		return route{kind: epEmbeddings, proto: protoOpenAI, method: "POST"}
	case "/v1/messages":
		return route{kind: epMessages, proto: protoAnthropic, method: "POST"}
	case "/v1/messages/count_tokens":
		return route{kind: epCountTokens, proto: protoAnthropic, method: "POST"}
	}
	if strings.HasPrefix(path, "/v1beta/") || strings.HasPrefix(path, "/v1alpha/") {
		return nativeRoute(path)
	}
	// /v1/models is both OpenAI's model list and Gemini's stable API; a
	// method suffix (":generateContent") or Gemini-style credentials make it
	// Gemini's.
	if rest, ok := strings.CutPrefix(path, "/v1/models"); ok && (rest == "" || rest[0] == '/') {
		if strings.Contains(rest, ":") || h.google {
			return nativeRoute(path)
		}
		id := strings.TrimPrefix(rest, "/")
		if strings.Contains(id, "/") {
			return route{proto: protoOpenAI}
		}
		if h.anthropic {
			return route{kind: epModels, proto: protoAnthropic, method: "GET", model: id}
		}
		return route{kind: epModels, proto: protoOpenAI, method: "GET", model: id}
	}
	if path == "/models" {
		return route{kind: epModels, proto: protoOpenAI, method: "GET"}
	}
	if strings.HasPrefix(path, "/v1/") && h.google {
		return nativeRoute(path)
	}
	// Unknown path: answer in the protocol the client most likely speaks.
	if h.anthropic || strings.HasPrefix(path, "/v1/messages") {
		return route{proto: protoAnthropic}
	}
	return route{proto: protoOpenAI}
}

// nativeRoute parses /{version}/models/{model}[:{action}] and anything else
// under the Gemini API versions. The model is the segment after models/;
// deeper paths (a long-running operation, models/{model}/operations/{id})
// name it too but have no action. checkNativePath decides whether the path
// may be forwarded at all.
func nativeRoute(path string) route {
	r := route{kind: epNative, proto: protoGemini}
	_, rest, _ := strings.Cut(path[1:], "/") // drop the version
	if m, ok := strings.CutPrefix(rest, "models/"); ok {
		seg, _, nested := strings.Cut(m, "/")
		model, action, _ := strings.Cut(seg, ":")
		r.model = model
		if !nested {
			r.nativeAction = action
		}
	}
	return r
}
