//go:build !wasip1

package filter

import "github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"

// setProperty: see propabi_wasm.go; natively through the SDK (proxytest).
func setProperty(name, value string) {
	_ = proxywasm.SetProperty([]string{name}, []byte(value))
}
