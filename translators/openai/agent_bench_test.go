package openai

import (
	"testing"

	"github.com/gemini-code-api/gemini-code-api/internal/benchdata"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
)

// BenchmarkAgentTurn translates the coding agents' turns tools/modbench
// sends: a Codex-shaped turn of the Responses API (40 KB, 13 tools) and a
// chat completions one (44 KB, 12 tools), each with one Env throughout:
// from the second turn on the tool list is served by the declaration
// cache, as for an agent that sends the same tools with every turn.
func BenchmarkAgentTurn(b *testing.B) {
	b.Run("responses", func(b *testing.B) { envtest.BenchRequest(b, ParseResponses, benchdata.CodexTurn()) })
	b.Run("chat", func(b *testing.B) { envtest.BenchRequest(b, ParseChat, benchdata.ChatAgentTurn()) })
}
