package openai

import (
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// userPart translates one user content part (at names it); nil means
// "nothing to send".
func userPart(p gjson.Result, at apierror.Path) ([]byte, *apierror.Error) {
	switch typ := p.Get("type").String(); typ {
	case "text":
		return textInput(p, at)
	case "image_url":
		u := p.Get("image_url.url")
		if u.Type != gjson.String {
			u = p.Get("image_url") // some clients send the URL string directly
		}
		if u.Type != gjson.String || u.Str == "" {
			param := at.At(".image_url.url")
			return nil, apierror.Invalid(param, "Invalid '"+param+"': expected a URL string.")
		}
		return mediaPart(u.Str, "", at, ".image_url.url")
	case "input_audio":
		data := p.Get("input_audio.data").String()
		format := p.Get("input_audio.format").String()
		mime := ""
		switch format {
		case "wav", "mp3", "flac", "ogg", "aac", "aiff":
			mime = "audio/" + format
		}
		if mime == "" {
			param := at.At(".input_audio.format")
			return nil, apierror.Invalid(param, "Invalid '"+param+"': expected wav or mp3.")
		}
		if data == "" || !gemini.IsBase64(data) {
			param := at.At(".input_audio.data")
			return nil, apierror.Invalid(param, "Invalid '"+param+"': expected base64-encoded audio.")
		}
		return gemini.InlineDataPart(mime, data), nil
	case "file":
		if id := p.Get("file.file_id").String(); id != "" {
			return nil, apierror.Invalid(at.At(".file.file_id"), "OpenAI file ids cannot be read by the Gemini backend; send the file inline as `file_data`.")
		}
		data := p.Get("file.file_data").String()
		if data == "" {
			param := at.At("")
			return nil, apierror.Invalid(param+".file.file_data", "Invalid '"+param+".file': `file_data` is required.")
		}
		return mediaPart(data, gemini.MimeFromName(p.Get("file.filename").String()), at, ".file.file_data")
	case "":
		param := at.At("")
		return nil, apierror.Invalid(param+".type", "Invalid '"+param+"': a content part needs a `type`.")
	default:
		param := at.At(".type")
		return nil, apierror.Invalid(param, "Invalid '"+param+"': unsupported content part type `"+typ+"`; use text, image_url, input_audio or file.")
	}
}

// named is the Path of a parameter whose name is already built.
func named(param string) apierror.Path { return apierror.Path{Base: param, I: -1, J: -1} }

// textInput translates a text content part (at names it); nil for empty
// text (Gemini rejects an empty text part).
func textInput(p gjson.Result, at apierror.Path) ([]byte, *apierror.Error) {
	t := jsonidx.RawMember(p, "text")
	if t.Type != gjson.String {
		param := at.At(".text")
		return nil, apierror.Invalid(param, "Invalid '"+param+"': expected a string.")
	}
	q := jsonidx.Text(t)
	if q.Empty() {
		return nil, nil
	}
	return gemini.QuotedPart(nil, q), nil
}

// eachContent reads a message's content (at names it): text calls once
// with a string content, part with each part of an array of content parts
// (pp names it); anything else is refused.
func eachContent(c gjson.Result, at apierror.Path, text func(jsonw.Quoted), part func(p gjson.Result, pp apierror.Path) *apierror.Error) *apierror.Error {
	if c.Type == gjson.String {
		text(jsonidx.Text(c))
		return nil
	}
	if !c.IsArray() {
		param := at.At("")
		return apierror.Invalid(param, "Invalid '"+param+"': expected a string or an array of content parts.")
	}
	return jsonidx.Each(c, func(j int, p gjson.Result) *apierror.Error {
		return part(p, at.Elem(j))
	})
}

// mediaPart turns a data URL into inlineData and an http(s) URL into
// fileData (Gemini fetches public and signed HTTPS URLs itself). Raw base64
// is accepted when a MIME type is known from a file name. Field sub of at
// holds u.
func mediaPart(u, fallbackMime string, at apierror.Path, sub string) ([]byte, *apierror.Error) {
	switch {
	case strings.HasPrefix(u, "data:"):
		meta, data, ok := strings.Cut(u[len("data:"):], ",")
		mime, enc, _ := strings.Cut(meta, ";")
		if !ok || enc != "base64" || !gemini.IsBase64(data) {
			param := at.At(sub)
			return nil, apierror.Invalid(param, "Invalid '"+param+"': expected a base64 data URL (data:<mime>;base64,<data>).")
		}
		if mime == "" {
			mime = fallbackMime
		}
		if mime == "" {
			param := at.At(sub)
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
	param := at.At(sub)
	return nil, apierror.Invalid(param, "Invalid '"+param+"': expected an http(s) URL or a base64 data URL.")
}
