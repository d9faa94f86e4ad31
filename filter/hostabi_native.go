//go:build !wasip1

package filter

import "github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"

// The reading host calls of hostabi_wasm.go; natively through the SDK
// (proxytest), which has no allocations worth saving.

func requestHeader(name string) (string, bool) {
	v, err := proxywasm.GetHttpRequestHeader(name)
	return v, err == nil
}

func responseHeader(name string) (string, bool) {
	v, err := proxywasm.GetHttpResponseHeader(name)
	return v, err == nil
}

func requestHeaders(dst [][2]string) [][2]string {
	hs, _ := proxywasm.GetHttpRequestHeaders()
	return append(dst, hs...)
}

func requestBody(size int) []byte {
	b, _ := proxywasm.GetHttpRequestBody(0, size)
	return b
}

func responseBody(size int) []byte {
	b, _ := proxywasm.GetHttpResponseBody(0, size)
	return b
}

func getProperty(path ...string) ([]byte, bool) {
	v, err := proxywasm.GetProperty(path)
	return v, err == nil
}

func sharedData(key string) ([]byte, uint32, bool) {
	v, cas, err := proxywasm.GetSharedData(key)
	return v, cas, err == nil
}

func callForeign(name string) bool {
	_, err := proxywasm.CallForeignFunction(name, nil)
	return err == nil
}
