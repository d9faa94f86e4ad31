//go:build wasip1

package filter

import (
	"strconv"
	"unsafe"
)

//go:wasmimport env proxy_set_property
func proxySetProperty(path *byte, pathSize int32, value *byte, valueSize int32) uint32

// setProperty sets the filter-state property name (a one-element path) to
// value, as proxywasm.SetProperty([]string{name}, []byte(value)) does but
// without its allocations (the path slice, its serialization, the value's
// copy): the request path sets about ten of them (issue #13). An empty
// value is not set, as in the SDK.
func setProperty(name, value string) {
	if name == "" || value == "" {
		return
	}
	proxySetProperty(unsafe.StringData(name), int32(len(name)), unsafe.StringData(value), int32(len(value)))
}

// propNumber holds a number's digits while setPropertyInt sets them (the
// host copies the value): strconv.FormatInt would allocate each string.
var propNumber [20]byte

// setPropertyInt sets the property name to n in decimal.
func setPropertyInt(name string, n int64) {
	b := strconv.AppendInt(propNumber[:0], n, 10)
	setProperty(name, unsafe.String(&b[0], len(b)))
}
