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
