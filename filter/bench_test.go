package filter_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/filter"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/proxytest"
	"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm/types"
)

// Round-trip benchmarks: one whole request/response exchange through the
// filter, natively and in the compiled module. Compare the two (and runs of
// the same benchmark before and after a change) as ratios: absolute figures
// depend on the machine.

var benchGemini = `{"candidates":[{"content":{"role":"model","parts":[{"text":"` + strings.Repeat("The quick brown fox jumps over the lazy dog. ", 20) + `"}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":25,"candidatesTokenCount":200,"totalTokenCount":225},"responseId":"bench"}`

func benchStream(events int) []string {
	var chunks []string
	for i := range events {
		finish := ""
		if i == events-1 {
			finish = `,"finishReason":"STOP"`
		}
		chunks = append(chunks, fmt.Sprintf("data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":\"token %d of the answer \"}]}%s,\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":25,\"candidatesTokenCount\":%d,\"totalTokenCount\":%d},\"responseId\":\"bench\"}\r\n\r\n", i, finish, i, 25+i))
	}
	return chunks
}

const benchRequest = `{"model":"gpt-4o","messages":[{"role":"system","content":"You are a helpful assistant."},{"role":"user","content":"Tell me about foxes and dogs, briefly please."}],"temperature":0.7,"max_tokens":512}`

func roundTrip(b *testing.B, vm types.VMContext, stream bool) {
	opt := proxytest.NewEmulatorOption().WithVMContext(vm)
	host, reset := proxytest.NewHostEmulator(opt)
	defer reset()
	host.RegisterForeignFunction("clear_route_cache", func([]byte) []byte { return []byte{0} })
	if host.StartPlugin() != types.OnPluginStartStatusOK {
		b.Fatal("start")
	}
	req := benchRequest
	chunks := []string{benchGemini}
	if stream {
		req = strings.Replace(benchRequest, `"model":"gpt-4o"`, `"model":"gpt-4o","stream":true`, 1)
		chunks = benchStream(50)
	}
	reqHeaders := [][2]string{{":method", "POST"}, {":path", "/v1/chat/completions"}, {":authority", "gw"}, {"authorization", "Bearer AIzaBenchKey"}, {"content-type", "application/json"}}
	respHeaders := [][2]string{{":status", "200"}, {"content-type", "application/json"}}
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		id := host.InitializeHttpContext()
		host.CallOnRequestHeaders(id, reqHeaders, false)
		host.CallOnRequestBody(id, []byte(req), true)
		host.CallOnResponseHeaders(id, respHeaders, false)
		for i, c := range chunks {
			host.CallOnResponseBody(id, []byte(c), i == len(chunks)-1)
		}
		if !strings.Contains(string(host.GetCurrentResponseBody(id)), "finish_reason") {
			b.Fatalf("bad answer: %s", host.GetCurrentResponseBody(id))
		}
		host.CompleteHttpContext(id)
	}
}

func wasmVM(b *testing.B) types.VMContext {
	vm, err := proxytest.NewWasmVMContext(compiledModule(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { vm.Close() })
	return vm
}

func BenchmarkRoundTrip(b *testing.B) {
	b.Run("go/non-streaming", func(b *testing.B) { roundTrip(b, filter.NewVMContext(), false) })
	b.Run("go/stream-50-events", func(b *testing.B) { roundTrip(b, filter.NewVMContext(), true) })
	b.Run("wasm/non-streaming", func(b *testing.B) { roundTrip(b, wasmVM(b), false) })
	b.Run("wasm/stream-50-events", func(b *testing.B) { roundTrip(b, wasmVM(b), true) })
}
