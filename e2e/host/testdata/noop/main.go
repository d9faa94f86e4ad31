// Command noop is the do-nothing baseline of the module benchmarks
// (tools/modbench): a proxy-wasm module built like gemini-code-api
// (standard Go, wasip1, c-shared, the same SDK), whose plugin and HTTP
// contexts take every callback and do nothing - each returns Continue, so
// requests and answers pass unchanged. What it costs per request is the
// floor of the host, the SDK and the Go runtime: the module's own cost is
// measured against it.
package main

import (
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

func main() {}

func init() { proxywasm.SetVMContext(&vmContext{}) }

type vmContext struct{ types.DefaultVMContext }

func (*vmContext) NewPluginContext(uint32) types.PluginContext { return &pluginContext{} }

type pluginContext struct{ types.DefaultPluginContext }

func (*pluginContext) NewHttpContext(uint32) types.HttpContext { return &httpContext{} }

type httpContext struct{ types.DefaultHttpContext }
