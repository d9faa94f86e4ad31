//go:build !wasip1

package filter

import (
	"strconv"

	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
)

// setProperty: see propabi_wasm.go; natively through the SDK (proxytest).
func setProperty(name, value string) {
	_ = proxywasm.SetProperty([]string{name}, []byte(value))
}

// setPropertyInt sets the property name to n in decimal.
func setPropertyInt(name string, n int64) { setProperty(name, strconv.FormatInt(n, 10)) }
