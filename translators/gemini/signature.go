package gemini

import (
	"encoding/base64"
	"strings"
)

// Thought signatures ride inside tool-call ids (protocol-mapping §4.12, carrier
// 1): clients echo ids faithfully even when they drop every unknown field.
// The id is `<prefix><random>__ts_<base64url(signature)>`.
const sigMarker = "__ts_"

// SkipSignature is Google's documented placeholder for a function call whose
// signature cannot be recovered (history the model did not produce).
const SkipSignature = "skip_thought_signature_validator"

// IDWithSignature appends a signature to a tool-call id.
func IDWithSignature(id, signature string) string {
	if signature == "" {
		return id
	}
	raw, err := base64.StdEncoding.DecodeString(signature)
	if err != nil {
		// Not standard base64: carry it as is only if it is id-safe.
		return id
	}
	return id + sigMarker + base64.RawURLEncoding.EncodeToString(raw)
}

// SignatureFromID splits an id made by IDWithSignature; signature is in
// Gemini's standard base64, "" when the id carries none.
func SignatureFromID(id string) (base, signature string) {
	i := strings.Index(id, sigMarker)
	if i < 0 {
		return id, ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(id[i+len(sigMarker):])
	if err != nil {
		return id[:i], ""
	}
	return id[:i], base64.StdEncoding.EncodeToString(raw)
}
