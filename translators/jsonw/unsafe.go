package jsonw

import "unsafe"

// unsafeString views b as a string without copying; the result must not
// outlive b or be retained.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// load64 reads the eight bytes of s at i (i+8 <= len(s)) as one word, in
// the machine's byte order: little-endian (Wasm, amd64, arm64), so the
// lowest flag of a zero-byte test marks the first byte flagged (the word
// loops are held to byte loops by TestWordsMatchBytewise and FuzzVerbatim).
func load64(s string, i int) uint64 {
	return *(*uint64)(unsafe.Pointer(unsafe.StringData(s[i:])))
}
