package openai

import "unsafe"

// unsafeBytes views s as bytes; the bytes must not be modified.
func unsafeBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
