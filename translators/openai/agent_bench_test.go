package openai

import (
	"testing"

	"github.com/gemini-code-api/gemini-code-api/internal/benchdata"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
)

// BenchmarkAgentTurn translates a Codex-shaped turn of the Responses API (40 KB, 13 tools),
// the turn tools/modbench sends, with one Env throughout: from the second
// turn on the tool list is served by the declaration cache, as for an
// agent that sends the same tools with every turn.
func BenchmarkAgentTurn(b *testing.B) {
	envtest.BenchRequest(b, ParseResponses, benchdata.CodexTurn())
}
