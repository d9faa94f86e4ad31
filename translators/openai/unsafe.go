package openai

import "unsafe"

// unsafeString views b as a string without copying. Results parsed from it
// must not be retained past the event (clone what is kept).
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// unsafeBytes views s as bytes; the bytes must not be modified.
func unsafeBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
