package anthropic

import (
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
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
	root, e := jsonidx.ParseRequest(body)
	if e != nil {
		return nil, e
	}
	r := &CountTokensRequest{}
	r.Env = env
	if r.Model, r.GeminiModel, e = resolveModel(root.Get("model"), env.Models); e != nil {
		return nil, e
	}
	out := make([]byte, 0, len(body)+128)
	out = append(out, `{"generateContentRequest":{"model":"models/`...)
	out = append(out, r.GeminiModel...) // ValidName: nothing to escape
	out = append(out, `",`...)
	if out, _, e = appendCommon(out, root, r.GeminiModel, false); e != nil {
		return nil, e
	}
	r.Body = append(out, "}}"...)
	return r, nil
}

// Response translates Gemini's countTokens answer to {"input_tokens":N}.
func (r *CountTokensRequest) Response(body []byte) ([]byte, *apierror.Error) {
	if e := jsondepth.CheckAnswer(body); e != nil {
		return nil, e
	}
	if !gjson.ValidBytes(body) {
		return nil, apierror.New(apierror.BadGateway, "Gemini answered with a body that is not JSON.")
	}
	resp := gjson.ParseBytes(body)
	if resp.IsArray() || resp.Get("error").Exists() {
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
