package openai

import (
	"strconv"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/tidwall/gjson"
)

// userPart translates one user content part; nil means "nothing to send".
func userPart(p gjson.Result, param string) ([]byte, *apierror.Error) {
	switch typ := p.Get("type").String(); typ {
	case "text":
		return textInput(p, param)
	case "image_url":
		u := p.Get("image_url.url")
		if u.Type != gjson.String {
			u = p.Get("image_url") // some clients send the URL string directly
		}
		if u.Type != gjson.String || u.Str == "" {
			return nil, apierror.Invalid(param+".image_url.url", "Invalid '"+param+".image_url.url': expected a URL string.")
		}
		return mediaPart(u.Str, "", param+".image_url.url")
	case "input_audio":
		data := p.Get("input_audio.data").String()
		format := p.Get("input_audio.format").String()
		mime := map[string]string{"wav": "audio/wav", "mp3": "audio/mp3", "flac": "audio/flac", "ogg": "audio/ogg", "aac": "audio/aac", "aiff": "audio/aiff"}[format]
		if mime == "" {
			return nil, apierror.Invalid(param+".input_audio.format", "Invalid '"+param+".input_audio.format': expected wav or mp3.")
		}
		if data == "" || !gemini.IsBase64(data) {
			return nil, apierror.Invalid(param+".input_audio.data", "Invalid '"+param+".input_audio.data': expected base64-encoded audio.")
		}
		return gemini.InlineDataPart(mime, data), nil
	case "file":
		if id := p.Get("file.file_id").String(); id != "" {
			return nil, apierror.Invalid(param+".file.file_id", "OpenAI file ids cannot be read by the Gemini backend; send the file inline as `file_data`.")
		}
		data := p.Get("file.file_data").String()
		if data == "" {
			return nil, apierror.Invalid(param+".file.file_data", "Invalid '"+param+".file': `file_data` is required.")
		}
		return mediaPart(data, gemini.MimeFromName(p.Get("file.filename").String()), param+".file.file_data")
	case "":
		return nil, apierror.Invalid(param+".type", "Invalid '"+param+"': a content part needs a `type`.")
	default:
		return nil, apierror.Invalid(param+".type", "Invalid '"+param+".type': unsupported content part type `"+typ+"`; use text, image_url, input_audio or file.")
	}
}

// textInput translates a text content part; nil for empty text (Gemini
// rejects an empty text part).
func textInput(p gjson.Result, param string) ([]byte, *apierror.Error) {
	t := p.Get("text")
	if t.Type != gjson.String {
		return nil, apierror.Invalid(param+".text", "Invalid '"+param+".text': expected a string.")
	}
	if t.Str == "" {
		return nil, nil
	}
	return gemini.TextPart(nil, t.Str), nil
}

// eachContent reads a message's content: text calls once with a string
// content, part with each part of an array of content parts (pp is its
// param); anything else is refused.
func eachContent(c gjson.Result, param string, text func(string), part func(p gjson.Result, pp string) *apierror.Error) *apierror.Error {
	if c.Type == gjson.String {
		text(c.Str)
		return nil
	}
	if !c.IsArray() {
		return apierror.Invalid(param, "Invalid '"+param+"': expected a string or an array of content parts.")
	}
	return jsonidx.Each(c, func(j int, p gjson.Result) *apierror.Error {
		return part(p, param+"["+strconv.Itoa(j)+"]")
	})
}

// mediaPart turns a data URL into inlineData and an http(s) URL into
// fileData (Gemini fetches public and signed HTTPS URLs itself). Raw base64
// is accepted when a MIME type is known from a file name.
func mediaPart(u, fallbackMime, param string) ([]byte, *apierror.Error) {
	switch {
	case strings.HasPrefix(u, "data:"):
		meta, data, ok := strings.Cut(u[len("data:"):], ",")
		mime, enc, _ := strings.Cut(meta, ";")
		if !ok || enc != "base64" || !gemini.IsBase64(data) {
			return nil, apierror.Invalid(param, "Invalid '"+param+"': expected a base64 data URL (data:<mime>;base64,<data>).")
		}
		if mime == "" {
			mime = fallbackMime
		}
		if mime == "" {
			return nil, apierror.Invalid(param, "Invalid '"+param+"': the data URL has no MIME type.")
		}
		return gemini.InlineDataPart(mime, data), nil
	case strings.HasPrefix(u, "https://") || strings.HasPrefix(u, "http://"):
		mime := fallbackMime
		if mime == "" {
			mime = gemini.MimeFromName(strings.SplitN(u, "?", 2)[0])
		}
		if mime == "" {
			mime = "image/jpeg" // Gemini sniffs the content; it needs some type
		}
		return gemini.FileDataPart(mime, u), nil
	case fallbackMime != "" && gemini.IsBase64(u):
		return gemini.InlineDataPart(fallbackMime, u), nil
	}
	return nil, apierror.Invalid(param, "Invalid '"+param+"': expected an http(s) URL or a base64 data URL.")
}
