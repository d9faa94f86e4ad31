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
)

type route struct {
	kind   endpointKind
	proto  protocol
	method string // the one method the endpoint takes
}

// routeFor classifies a request path (without query). Paths are matched
// with and without the /v1 prefix, since OpenAI-compatible clients differ
// in whether their base URL ends in /v1.
func routeFor(path string, anthropicHeaders bool) route {
	switch path {
	case "/health", "/healthz":
		return route{kind: epHealth, method: "GET"}
	case "/v1/chat/completions", "/chat/completions":
		return route{kind: epChatCompletions, proto: protoOpenAI, method: "POST"}
	}
	// Unknown path: answer in the protocol the client most likely speaks.
	switch {
	case strings.HasPrefix(path, "/v1beta/") || strings.HasPrefix(path, "/v1alpha/"):
		return route{proto: protoGemini}
	case anthropicHeaders || strings.HasPrefix(path, "/v1/messages"):
		return route{proto: protoAnthropic}
	}
	return route{proto: protoOpenAI}
}
