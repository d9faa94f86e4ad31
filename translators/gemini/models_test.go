package gemini

import "testing"

func TestClampOutput(t *testing.T) {
	tests := []struct {
		model    string
		in, want int64
	}{
		{"gemini-2.5-pro", 128000, 65536}, // Claude Code 2.1.3xx's max_tokens
		{"gemini-3-pro-preview", 65536, 65536},
		{"gemini-3-flash-preview", 1000, 1000},
		{"gemini-2.0-flash", 32000, 8192},
		{"gemma-3-27b-it", 128000, 128000}, // unknown limit: left to Gemini
	}
	for _, tt := range tests {
		if got := ClampOutput(tt.model, tt.in); got != tt.want {
			t.Errorf("ClampOutput(%s, %d) = %d, want %d", tt.model, tt.in, got, tt.want)
		}
	}
}

func TestIsGemini3OrLater(t *testing.T) {
	tests := []struct {
		model string
		want  bool
	}{
		{"gemini-2.5-pro", false},
		{"gemini-2.5-flash-lite", false},
		{"gemini-2.0-flash", false},
		{"gemini-1.5-pro", false},
		{"gemma-3-27b-it", false},
		{"gemini-embedding-001", false},
		{"gemini-3-pro-preview", true},
		{"gemini-3-flash-preview", true},
		{"gemini-3.1-pro-preview", true},
		{"gemini-3.8-flash", true},
		{"gemini-3.5-flash-lite", true},
		{"gemini-4-argon", true},
		{"gemini-4-neon", true},
		{"gemini-10-x", true},         // a later generation than this list knows
		{"gemini-flash-latest", true}, // the aliases follow the newest models
		{"gemini-pro-latest", true},
		{"gemini-", false},
	}
	for _, tt := range tests {
		if got := IsGemini3OrLater(tt.model); got != tt.want {
			t.Errorf("IsGemini3OrLater(%q) = %v, want %v", tt.model, got, tt.want)
		}
	}
}

func TestThinkingLevel(t *testing.T) {
	tests := []struct {
		model, want, got string
	}{
		{"gemini-3-flash-preview", Minimal, Minimal},
		{"gemini-3.5-flash-lite", Minimal, Minimal},
		{"gemini-3.1-flash-lite", Minimal, Minimal},
		{"gemini-flash-lite-latest", Minimal, Minimal},
		{"gemini-3-pro-preview", Minimal, Low},
		{"gemini-3.1-pro-preview", Minimal, Low},
		{"gemini-3.8-flash", Minimal, Low},
		{"gemini-flash-latest", Minimal, Low},
		{"gemini-4-argon", Minimal, Low},
		{"gemini-4-neon", Minimal, Low},

		{"gemini-3-pro-preview", Medium, High}, // LOW and HIGH only
		{"gemini-3.1-pro-preview", Medium, Medium},
		{"gemini-3.8-flash", Medium, Medium},
		{"gemini-4-argon", Medium, Medium},

		{"gemini-4-neon", XHigh, XHigh},
		{"gemini-4-hydrogen", XHigh, XHigh},
		{"gemini-4-argon", XHigh, High},
		{"gemini-3.8-flash", XHigh, High},

		{"gemini-4-argon", Low, Low},
		{"gemini-3-pro-preview", High, High},
	}
	for _, tt := range tests {
		if got := ThinkingLevel(tt.model, tt.want); got != tt.got {
			t.Errorf("ThinkingLevel(%q, %s) = %s, want %s", tt.model, tt.want, got, tt.got)
		}
	}
}

func TestEffort(t *testing.T) {
	tests := []struct {
		model, effort, want string
	}{
		{"gemini-2.5-flash", "none", `"thinkingBudget":0`},
		{"gemini-2.5-pro", "none", `"thinkingBudget":128`}, // 2.5 Pro cannot turn thinking off
		{"gemini-2.5-flash", "high", `"thinkingBudget":24576`},
		{"gemini-3-flash-preview", "none", `"thinkingLevel":"MINIMAL"`},
		{"gemini-3-pro-preview", "medium", `"thinkingLevel":"HIGH"`},
		{"gemini-3.8-flash", "minimal", `"thinkingLevel":"LOW"`},
		{"gemini-4-argon", "low", `"thinkingLevel":"LOW"`}, // never a budget: Gemini 4 refuses them
		{"gemini-4-argon", "max", `"thinkingLevel":"HIGH"`},
		{"gemini-4-neon", "xhigh", `"thinkingLevel":"XHIGH"`},
		{"gemini-4-neon", "max", `"thinkingLevel":"XHIGH"`},
	}
	for _, tt := range tests {
		got, ok := Effort(tt.model, tt.effort)
		if !ok || got != tt.want {
			t.Errorf("Effort(%q, %q) = %s, %v; want %s", tt.model, tt.effort, got, ok, tt.want)
		}
	}
	if _, ok := Effort("gemini-4-argon", "extreme"); ok {
		t.Error("Effort accepted an unknown effort")
	}
}
