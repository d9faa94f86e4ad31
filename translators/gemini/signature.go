package gemini

import (
	"encoding/base64"
	"strings"
)

// Thought signatures ride inside tool-call ids: clients echo ids faithfully
// even when they drop every unknown field. The id is
// `<prefix><random>__ts_<base64url(signature)>`; the ids the gateway mints
// are base62, so the first marker in an id is the one it added, although
// base64url may hold "_". See docs/thought-signatures.md#tool-call-ids.
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
		// Not standard base64 (what Gemini sends): the signature is
		// dropped and the id goes out without a marker.
		return id
	}
	return id + sigMarker + base64.RawURLEncoding.EncodeToString(raw)
}

// SignatureFromID splits an id made by IDWithSignature; signature is in
// Gemini's standard base64, "" when the id carries none or its marker is
// not followed by base64url (the marker and what follows are cut off all
// the same).
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
