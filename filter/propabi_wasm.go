//go:build wasip1

package filter

import "unsafe"

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
