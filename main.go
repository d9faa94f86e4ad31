// Command gemini-code-api is the proxy-wasm module: build it with
// `make build` (GOOS=wasip1 GOARCH=wasm, -buildmode=c-shared).
package main

import (
	"github.com/gemini-code-api/gemini-code-api/filter"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
)

func main() {}

func init() { proxywasm.SetVMContext(filter.NewVMContext()) }
