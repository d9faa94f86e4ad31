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

// Signatures also ride in a client's opaque reasoning fields, which clients
// echo verbatim: Anthropic's thinking-block signature and the Responses
// API's encrypted_content. "gsig1.tx.<base64url>" came from a text (or
// thought) part, "gsig1.fc.<base64url>" from a functionCall, so it can be
// put back on the same kind of part, where Gemini 3 looks for it
// (docs/thought-signatures.md). Anything else in those fields (a real
// Claude signature, OpenAI's own encrypted reasoning) is not ours.
const carriedPrefix = "gsig1."

// CarrySignature makes the carried form of a signature (raw, its bytes)
// taken from a text part (kind 't') or a functionCall ('f').
func CarrySignature(kind byte, raw []byte) string {
	tag := "tx."
	if kind == 'f' {
		tag = "fc."
	}
	return carriedPrefix + tag + base64.RawURLEncoding.EncodeToString(raw)
}

// CarriedSignature reverses CarrySignature: kind 't' or 'f' and the
// signature in Gemini's standard base64; kind 0 for anything else.
func CarriedSignature(s string) (kind byte, sig string) {
	rest, ok := strings.CutPrefix(s, carriedPrefix)
	if !ok || len(rest) < 4 || rest[2] != '.' {
		return 0, ""
	}
	switch rest[:2] {
	case "tx":
		kind = 't'
	case "fc":
		kind = 'f'
	default:
		return 0, ""
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest[3:])
	if err != nil || len(raw) == 0 {
		return 0, ""
	}
	return kind, base64.StdEncoding.EncodeToString(raw)
}
