//go:build wasip1

package filter

import "unsafe"

// The proxy-wasm ABI's reading calls, declared here as the SDK declares
// them (the same imports), for the reads on every request's path. The
// SDK's wrappers pass the addresses of their locals for the host to write
// the returned pointer and size into, and Go moves every local whose
// address reaches an imported function to the heap: two allocations per
// call (three for a property, whose path is serialized into a new slice),
// every header read, body chunk and property of every request (issue #13).
// These wrappers have the host write into hostOut instead: a module's
// guest code runs on one thread, and each wrapper copies out what it needs
// before any other host call can overwrite it. What the host returns is
// still allocated in the module by the host's call of
// proxy_on_memory_allocate, as the ABI requires; the strings returned
// below view that allocation rather than copy it.

//go:wasmimport env proxy_get_header_map_value
func proxyGetHeaderMapValue(mapType int32, key *byte, keySize int32, retData unsafe.Pointer, retSize *int32) uint32

//go:wasmimport env proxy_get_header_map_pairs
func proxyGetHeaderMapPairs(mapType int32, retData unsafe.Pointer, retSize *int32) uint32

//go:wasmimport env proxy_get_buffer_bytes
func proxyGetBufferBytes(bufferType int32, start, maxSize int32, retData unsafe.Pointer, retSize *int32) uint32

//go:wasmimport env proxy_get_property
func proxyGetProperty(path *byte, pathSize int32, retData unsafe.Pointer, retSize *int32) uint32

//go:wasmimport env proxy_get_shared_data
func proxyGetSharedData(key *byte, keySize int32, retData unsafe.Pointer, retSize *int32, retCas *uint32) uint32

//go:wasmimport env proxy_call_foreign_function
func proxyCallForeignFunction(name *byte, nameSize int32, param *byte, paramSize int32, retData unsafe.Pointer, retSize *int32) uint32

// hostOut is where the host writes a call's returned value.
var hostOut struct {
	data *byte
	size int32
	cas  uint32
}

// The ABI's map and buffer types (proxy-wasm spec, as in the SDK).
const (
	mapRequestHeaders  = 0
	mapResponseHeaders = 2
	bufRequestBody     = 0
	bufResponseBody    = 1
)

// returned takes the value the host wrote into hostOut (nil when none).
func returned() []byte {
	d, n := hostOut.data, hostOut.size
	hostOut.data, hostOut.size = nil, 0
	if d == nil || n <= 0 {
		return nil
	}
	return unsafe.Slice(d, n)
}

func headerValue(mapType int32, name string) (string, bool) {
	if proxyGetHeaderMapValue(mapType, unsafe.StringData(name), int32(len(name)), unsafe.Pointer(&hostOut.data), &hostOut.size) != 0 {
		hostOut.data, hostOut.size = nil, 0
		return "", false
	}
	b := returned()
	return unsafe.String(unsafe.SliceData(b), len(b)), true
}

// requestHeader is one request header's value (proxywasm.GetHttpRequestHeader).
func requestHeader(name string) (string, bool) { return headerValue(mapRequestHeaders, name) }

// responseHeader is one response header's value (proxywasm.GetHttpResponseHeader).
func responseHeader(name string) (string, bool) { return headerValue(mapResponseHeaders, name) }

// requestHeaders appends the request's headers to dst
// (proxywasm.GetHttpRequestHeaders); names and values view the host's
// serialized map, copied into the module once.
func requestHeaders(dst [][2]string) [][2]string {
	if proxyGetHeaderMapPairs(mapRequestHeaders, unsafe.Pointer(&hostOut.data), &hostOut.size) != 0 {
		hostOut.data, hostOut.size = nil, 0
		return dst
	}
	return appendPairs(dst, returned())
}

func bodyBytes(bufferType int32, size int) []byte {
	if proxyGetBufferBytes(bufferType, 0, int32(size), unsafe.Pointer(&hostOut.data), &hostOut.size) != 0 {
		hostOut.data, hostOut.size = nil, 0
		return nil
	}
	return returned()
}

// requestBody is the buffered request body's first size bytes
// (proxywasm.GetHttpRequestBody(0, size)); nil when there is none.
func requestBody(size int) []byte { return bodyBytes(bufRequestBody, size) }

// responseBody is the response body's first size bytes
// (proxywasm.GetHttpResponseBody(0, size)); nil when there is none.
func responseBody(size int) []byte { return bodyBytes(bufResponseBody, size) }

// propPath holds a serialized property path: its segments separated by
// NULs. Paths read on the request's path are short.
var propPath [64]byte

// getProperty reads the property at path (proxywasm.GetProperty); ok is
// false when the host has none.
func getProperty(path ...string) ([]byte, bool) {
	p := propPath[:0]
	for i, s := range path {
		if i > 0 {
			p = append(p, 0)
		}
		p = append(p, s...)
	}
	if len(p) == 0 {
		return nil, false
	}
	if proxyGetProperty(&p[0], int32(len(p)), unsafe.Pointer(&hostOut.data), &hostOut.size) != 0 {
		hostOut.data, hostOut.size = nil, 0
		return nil, false
	}
	return returned(), true
}

// sharedData reads a shared-data value and its CAS (proxywasm.GetSharedData);
// ok is false when the key has none.
func sharedData(key string) (value []byte, cas uint32, ok bool) {
	if proxyGetSharedData(unsafe.StringData(key), int32(len(key)), unsafe.Pointer(&hostOut.data), &hostOut.size, &hostOut.cas) != 0 {
		hostOut.data, hostOut.size, hostOut.cas = nil, 0, 0
		return nil, 0, false
	}
	cas = hostOut.cas
	hostOut.cas = 0
	return returned(), cas, true
}

// callForeign calls a host's foreign function without a parameter
// (proxywasm.CallForeignFunction(name, nil)); ok is false when the host
// has no such function or it failed.
func callForeign(name string) bool {
	st := proxyCallForeignFunction(unsafe.StringData(name), int32(len(name)), nil, 0, unsafe.Pointer(&hostOut.data), &hostOut.size)
	returned()
	return st == 0
}
