package filter

import (
	"encoding/binary"
	"unsafe"
)

// appendPairs decodes the ABI's serialized header map: a count, then each
// name's and value's size, then the names and values, each followed by a
// NUL. A map that does not add up (never from a working host) ends the
// reading where it stops making sense.
func appendPairs(dst [][2]string, b []byte) [][2]string {
	if len(b) < 4 {
		return dst
	}
	n := int(binary.LittleEndian.Uint32(b))
	sizes, data := 4, 4+8*n
	if n < 0 || data > len(b) {
		return dst
	}
	str := func(size int) (string, bool) {
		if size < 0 || data+size >= len(b) {
			return "", false
		}
		s := unsafe.String(&b[data], size)
		data += size + 1
		return s, true
	}
	for range n {
		k, ok1 := str(int(binary.LittleEndian.Uint32(b[sizes:])))
		v, ok2 := str(int(binary.LittleEndian.Uint32(b[sizes+4:])))
		if !ok1 || !ok2 {
			break
		}
		sizes += 8
		dst = append(dst, [2]string{k, v})
	}
	return dst
}
