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
