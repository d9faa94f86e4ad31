package anthropic

import (
	"testing"

	"github.com/gemini-code-api/gemini-code-api/internal/benchdata"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
)

// BenchmarkAgentTurn translates a Claude Code-shaped turn (50 KB, 12 tools),
// the turn tools/modbench sends, with one Env throughout: from the second
// turn on the tool list is served by the declaration cache, as for an
// agent that sends the same tools with every turn.
func BenchmarkAgentTurn(b *testing.B) {
	envtest.BenchRequest(b, ParseMessages, benchdata.ClaudeCodeTurn())
}
