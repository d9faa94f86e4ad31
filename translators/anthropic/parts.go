package anthropic

import (
	"encoding/base64"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonidx"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// toolResultContent reads a tool_result's content: its text (blocks joined
// by newlines) and the parts of its images and documents, which go after the
// function responses of the step — that works on every model, where
// functionResponse.parts does not. at names the tool_result block; c is
// read as jsonidx.MembersRaw leaves it.
func toolResultContent(c gjson.Result, at apierror.Path) (jsonw.Quoted, [][]byte, *apierror.Error) {
	switch {
	case !c.Exists() || c.Type == gjson.Null:
		return "", nil, nil
	case c.Type == gjson.String:
		return jsonidx.Text(c), nil, nil
	case !c.IsArray():
		param := at.At(".content")
		return "", nil, apierror.Invalid(param, param+": Input should be a valid string or a list of content blocks")
	}
	text := jsonw.Joined{Sep: `\n`}
	var extra [][]byte
	// The name of block j, built for an error or a media block only.
	block := func(j int) apierror.Path { return named(at.At(".content")).Elem(j) }
	e := jsonidx.Each(c, func(j int, blk gjson.Result) *apierror.Error {
		if !blk.IsObject() {
			pp := block(j).At("")
			return apierror.Invalid(pp, pp+": Input should be a valid dictionary")
		}
		typ := blk.Get("type").String()
		switch typ {
		case "text":
			t := jsonidx.RawMember(blk, "text")
			if t.Type != gjson.String {
				pp := block(j).At(".text")
				return apierror.Invalid(pp, pp+": Input should be a valid string")
			}
			text.Add(jsonidx.Text(t))
		case "image", "document", "search_result":
			parts, e := userBlock(blk, typ, block(j))
			if e != nil {
				return e
			}
			extra = append(extra, parts...)
		case "tool_reference":
			// Claude Code's ToolSearch answers with references to deferred
			// tools. Gemini already has every tool declared (defer_loading
			// is ignored), so the result just names the tools found.
			text.Add(jsonw.Quote("Tool available: " + blk.Get("tool_name").String()))
		case "":
			pp := block(j).At(".type")
			return apierror.Invalid(pp, pp+": Field required")
		default:
			pp := block(j).At(".type")
			return apierror.Invalid(pp, pp+": Input tag '"+typ+"' found using 'type' does not match any of the expected tags: 'text', 'image', 'document', 'search_result', 'tool_reference'")
		}
		return nil
	})
	if e != nil {
		return "", nil, e
	}
	return text.Quoted(), extra, nil
}

// userBlock translates one non-tool_result block of a user message (at
// names it).
func userBlock(blk gjson.Result, typ string, at apierror.Path) ([][]byte, *apierror.Error) {
	switch typ {
	case "text":
		t := jsonidx.RawMember(blk, "text")
		if t.Type != gjson.String {
			param := at.At(".text")
			return nil, apierror.Invalid(param, param+": Input should be a valid string")
		}
		q := jsonidx.Text(t)
		if q.Empty() {
			return nil, nil // Gemini rejects an empty text part
		}
		return [][]byte{gemini.QuotedPart(nil, q)}, nil
	case "image":
		p, e := imageSource(blk.Get("source"), at.At(".source"))
		if e != nil {
			return nil, e
		}
		return [][]byte{p}, nil
	case "document":
		return documentBlock(blk, at.At(""))
	case "search_result":
		return searchResult(blk, at.At(""))
	case "":
		param := at.At(".type")
		return nil, apierror.Invalid(param, param+": Field required")
	}
	param := at.At(".type")
	return nil, apierror.Invalid(param, param+": Input tag '"+typ+"' found using 'type' does not match any of the expected tags for a user message: 'text', 'image', 'document', 'search_result', 'tool_result'")
}

var imageTypes = map[string]bool{"image/jpeg": true, "image/png": true, "image/gif": true, "image/webp": true}

func imageSource(src gjson.Result, param string) ([]byte, *apierror.Error) {
	if !src.IsObject() {
		return nil, apierror.Invalid(param, param+": Field required")
	}
	switch typ := src.Get("type").String(); typ {
	case "base64":
		mt := src.Get("media_type").String()
		if !imageTypes[mt] {
			return nil, apierror.Invalid(param+".media_type", param+".media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'")
		}
		data := src.Get("data")
		if data.Type != gjson.String || !gemini.IsBase64(data.Str) {
			return nil, apierror.Invalid(param+".data", param+".data: Input should be base64-encoded image data")
		}
		return gemini.InlineDataPart(mt, data.Str), nil
	case "url":
		return urlSource(src, param, "image/jpeg")
	case "file":
		return nil, apierror.Invalid(param+".file_id", param+": Anthropic Files API ids cannot be read by the Gemini backend; send the file as base64 or a URL")
	default:
		return nil, apierror.Invalid(param+".type", param+".type: Input tag '"+typ+"' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'")
	}
}

// urlSource hands the URL to Gemini as fileData: Gemini fetches public and
// signed HTTPS URLs itself.
func urlSource(src gjson.Result, param, fallbackMime string) ([]byte, *apierror.Error) {
	u := src.Get("url")
	if u.Type != gjson.String || !(strings.HasPrefix(u.Str, "https://") || strings.HasPrefix(u.Str, "http://")) {
		return nil, apierror.Invalid(param+".url", param+".url: Input should be an http(s) URL")
	}
	mime := gemini.MimeFromName(strings.SplitN(u.Str, "?", 2)[0])
	if mime == "" {
		mime = fallbackMime // Gemini sniffs the content; it needs some type
	}
	return gemini.FileDataPart(mime, u.Str), nil
}

func documentBlock(blk gjson.Result, param string) ([][]byte, *apierror.Error) {
	src := blk.Get("source")
	sp := param + ".source"
	if !src.IsObject() {
		return nil, apierror.Invalid(sp, sp+": Field required")
	}
	// A title (and context) is information Claude would see; give it to
	// Gemini as a text part in front of the document.
	var head []byte
	title := blk.Get("title").String()
	if ctx := blk.Get("context").String(); ctx != "" {
		title = strings.TrimSpace(title + "\n" + ctx)
	}
	if title != "" {
		head = gemini.TextPart(nil, title)
	}
	var parts [][]byte
	switch typ := src.Get("type").String(); typ {
	case "base64":
		mt := src.Get("media_type").String()
		if mt != "application/pdf" {
			return nil, apierror.Invalid(sp+".media_type", sp+".media_type: Input should be 'application/pdf'")
		}
		data := src.Get("data")
		if data.Type != gjson.String || !gemini.IsBase64(data.Str) {
			return nil, apierror.Invalid(sp+".data", sp+".data: Input should be base64-encoded PDF data")
		}
		parts = [][]byte{gemini.InlineDataPart(mt, data.Str)}
	case "text":
		data := jsonidx.RawMember(src, "data")
		if data.Type != gjson.String {
			return nil, apierror.Invalid(sp+".data", sp+".data: Input should be a valid string")
		}
		if t := jsonidx.Text(data); !t.Empty() {
			parts = [][]byte{gemini.QuotedPart(nil, t)}
		}
	case "content":
		c := jsonidx.RawMember(src, "content")
		if c.Type == gjson.String {
			if t := jsonidx.Text(c); !t.Empty() {
				parts = [][]byte{gemini.QuotedPart(nil, t)}
			}
			break
		}
		if !c.IsArray() {
			return nil, apierror.Invalid(sp+".content", sp+".content: Input should be a valid string or a list of content blocks")
		}
		if e := jsonidx.Each(c, func(j int, cb gjson.Result) *apierror.Error {
			at := apierror.Path{Base: sp, I: -1, Mid: ".content", J: j, Dots: true} // built for an error only
			typ := cb.Get("type").String()
			if typ != "text" && typ != "image" {
				pp := at.At(".type")
				return apierror.Invalid(pp, pp+": Input should be 'text' or 'image'")
			}
			p, e := userBlock(cb, typ, at)
			parts = append(parts, p...)
			return e
		}); e != nil {
			return nil, e
		}
	case "url":
		p, e := urlSource(src, sp, "application/pdf")
		if e != nil {
			return nil, e
		}
		parts = [][]byte{p}
	case "file":
		return nil, apierror.Invalid(sp+".file_id", sp+": Anthropic Files API ids cannot be read by the Gemini backend; send the document as base64, text or a URL")
	default:
		return nil, apierror.Invalid(sp+".type", sp+".type: Input tag '"+typ+"' found using 'type' does not match any of the expected tags: 'base64', 'text', 'content', 'url', 'file'")
	}
	if head != nil {
		parts = append([][]byte{head}, parts...)
	}
	return parts, nil
}

// searchResult becomes one text part: title, source, then the text blocks.
func searchResult(blk gjson.Result, param string) ([][]byte, *apierror.Error) {
	var sb strings.Builder
	for _, k := range [...]string{"title", "source"} {
		if v := blk.Get(k).String(); v != "" {
			sb.WriteString(v)
			sb.WriteByte('\n')
		}
	}
	c := blk.Get("content")
	if !c.IsArray() {
		return nil, apierror.Invalid(param+".content", param+".content: Input should be a valid list")
	}
	if e := jsonidx.Each(c, func(j int, cb gjson.Result) *apierror.Error {
		t := cb.Get("text")
		if cb.Get("type").String() != "text" || t.Type != gjson.String {
			pp := apierror.Path{Base: param, I: -1, Mid: ".content", J: j, Dots: true}.At("")
			return apierror.Invalid(pp, pp+": Input should be a text block")
		}
		sb.WriteString(t.Str)
		sb.WriteByte('\n')
		return nil
	}); e != nil {
		return nil, e
	}
	s := strings.TrimRight(sb.String(), "\n")
	if s == "" {
		return nil, nil
	}
	return [][]byte{gemini.TextPart(nil, s)}, nil
}

// encodeSignature makes a thinking-block signature from a Gemini signature
// (standard base64, or a variant: decodeAnyBase64), carried as
// gemini.CarrySignature says; "" when there is none or it is not base64.
func encodeSignature(kind byte, sig string) string {
	raw := decodeAnyBase64(sig)
	if raw == nil {
		return ""
	}
	return gemini.CarrySignature(kind, raw)
}

// decodeAnyBase64 accepts Gemini's standard base64 and, defensively, the
// unpadded and URL-safe variants proto-JSON also allows.
func decodeAnyBase64(s string) []byte {
	if s == "" {
		return nil
	}
	for _, enc := range [...]*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if raw, err := enc.DecodeString(s); err == nil && len(raw) > 0 {
			return raw
		}
	}
	return nil
}
