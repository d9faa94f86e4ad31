package anthropic

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/gemini-code-api/gemini-code-api/translators/translator"
	"github.com/tidwall/gjson"
)

// CountTokensRequest is a parsed POST /v1/messages/count_tokens request:
// its translator, one countTokens call.
type CountTokensRequest struct {
	translator.Call // Body: {"generateContentRequest":{...}}
}

// UpstreamPath is the Gemini countTokens path.
func (r *CountTokensRequest) UpstreamPath() string {
	return "/v1beta/models/" + r.GeminiModel + ":countTokens"
}

// NewAnswer starts translating Gemini's answer (Response).
func (r *CountTokensRequest) NewAnswer() translator.Answer { return translator.Single(r) }

// NewStream is nil: token counts are never streamed.
func (r *CountTokensRequest) NewStream() translator.Stream { return nil }

// ParseCountTokens translates a count_tokens request: the same history,
// system and tools as ParseMessages (max_tokens is not required there),
// wrapped in countTokens' generateContentRequest so system and tools count.
func ParseCountTokens(body []byte, env *translator.Env) (*CountTokensRequest, *apierror.Error) {
	r := &CountTokensRequest{}
	root, e := r.Start(body, env, resolveModel, nil)
	if e != nil {
		return nil, e
	}
	out := make([]byte, 0, len(body)+128)
	out = append(out, `{"generateContentRequest":{"model":"models/`...)
	out = append(out, r.GeminiModel...) // ValidName: nothing to escape
	out = append(out, `",`...)
	if out, _, e = appendCommon(out, root, r.GeminiModel, false, r.Env.Decls); e != nil {
		return nil, e
	}
	r.Body = append(out, "}}"...)
	return r, nil
}

// Response translates Gemini's countTokens answer to {"input_tokens":N}.
func (r *CountTokensRequest) Response(body []byte) ([]byte, *apierror.Error) {
	resp, e := gemini.ReadAnswer(body)
	if e != nil {
		return nil, e
	}
	if resp.IsArray() {
		return nil, apierror.FromGemini(0, body)
	}
	total := resp.Get("totalTokens")
	if total.Exists() && total.Type != gjson.Number && total.Type != gjson.String {
		return nil, apierror.New(apierror.BadGateway, "Gemini's countTokens answer has no usable totalTokens.")
	}
	out := append(make([]byte, 0, 32), `{"input_tokens":`...)
	out = jsonw.Int(out, total.Int())
	return append(out, '}'), nil
}
