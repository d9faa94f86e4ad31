package gemini

import (
	"path"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
)

// InlineDataPart is a Gemini part carrying base64 data inline.
func InlineDataPart(mime, data string) []byte {
	return mediaPart(`{"inlineData":{"mimeType":`, mime, `,"data":`, data)
}

// FileDataPart is a Gemini part pointing at a file Gemini fetches itself
// (Files API URI, or a public or signed HTTPS URL).
func FileDataPart(mime, uri string) []byte {
	return mediaPart(`{"fileData":{"mimeType":`, mime, `,"fileUri":`, uri)
}

// mediaPart writes a part whose one member holds a mimeType and the data
// or its location (src): head, mime, key, src.
func mediaPart(head, mime, key, src string) []byte {
	p := make([]byte, 0, len(src)+48)
	p = append(p, head...)
	p = jsonw.String(p, mime)
	p = append(p, key...)
	p = jsonw.String(p, src)
	return append(p, "}}"...)
}

// MimeFromName guesses a MIME type Gemini accepts from a file name or URL
// path; "" when the extension says nothing.
func MimeFromName(name string) string {
	switch strings.ToLower(path.Ext(name)) {
	case ".png":
		return "image/png"
	case ".jpg", ".jpeg":
		return "image/jpeg"
	case ".webp":
		return "image/webp"
	case ".gif":
		return "image/gif"
	case ".heic":
		return "image/heic"
	case ".pdf":
		return "application/pdf"
	case ".wav":
		return "audio/wav"
	case ".mp3":
		return "audio/mp3"
	case ".txt":
		return "text/plain"
	}
	return ""
}

// IsBase64 checks the alphabet (standard or URL-safe) and length without
// decoding the payload into a new buffer.
func IsBase64(s string) bool {
	s = strings.TrimRight(s, "=")
	if len(s) == 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '+' || c == '/' || c == '-' || c == '_') {
			return false
		}
	}
	return len(s)%4 != 1
}
