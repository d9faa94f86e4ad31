//go:build gca_panictest

package filter

import "github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"

// This file exists only in modules built with -tags gca_panictest, for the
// test that proves the guard on the compiled module (e2e/guard_test.go). A
// request carrying x-gca-test-panic: <callback> panics once in that
// callback (on_request_headers, on_request_body, on_response_headers,
// on_response_body, on_http_call_response, on_log); a plugin configuration
// starting with the bytes gca_panictest panics in on_configure.

// panicAt holds the callback each request asked to panic in.
var panicAt = map[*httpContext]string{}

func panicPoint(h *httpContext, callback string) {
	if h == nil {
		if callback == "on_configure" {
			if cfg, err := proxywasm.GetPluginConfiguration(); err == nil && len(cfg) >= 13 && string(cfg[:13]) == "gca_panictest" {
				outOfRange(callback)
			}
		}
		return
	}
	if callback == "on_request_headers" {
		if v, err := proxywasm.GetHttpRequestHeader("x-gca-test-panic"); err == nil {
			panicAt[h] = v
		}
	}
	want, ok := panicAt[h]
	if callback == "on_log" || ok && want == callback {
		delete(panicAt, h)
	}
	if ok && want == callback {
		outOfRange(callback)
	}
}

// outOfRange panics the way a translator bug would: with a runtime error.
func outOfRange(callback string) {
	var none []byte
	_ = none[len(callback)]
}
