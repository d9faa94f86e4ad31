package openai

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/models"
)

func TestCodexModelsList(t *testing.T) {
	list := []models.Entry{{ID: "gemini-3-pro-preview", OwnedBy: "google"}, {ID: "gemini-2.5-flash", OwnedBy: "google"},
		{ID: "text-embedding-004", OwnedBy: "google"}, {ID: "gpt-4o", OwnedBy: "gemini-code-api"},
		{ID: "claude-3-5-haiku-20241022", OwnedBy: "gemini-code-api"}, {ID: "gemini-2.5-flash-preview-tts", OwnedBy: "google"}}
	out := CodexModelsList(list, models.Default().Resolve)
	var got struct {
		Object string
		Data   []struct{ ID string }
		Models []map[string]any
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.Object != "list" || len(got.Data) != len(list) {
		t.Fatalf("OpenAI list changed: %s", out)
	}
	var slugs []string
	for _, m := range got.Models {
		slugs = append(slugs, m["slug"].(string))
		// The fields Codex 0.169 cannot do without (found with the binary:
		// an entry missing one makes it discard the whole catalog).
		for _, k := range []string{"slug", "display_name", "supported_reasoning_levels", "shell_type", "visibility", "supported_in_api",
			"priority", "model_messages", "support_verbosity", "truncation_policy", "experimental_supported_tools"} {
			if _, ok := m[k]; !ok {
				t.Fatalf("%s lacks %s", m["slug"], k)
			}
		}
		if tmpl, _ := m["model_messages"].(map[string]any)["instructions_template"].(string); tmpl == "" {
			t.Fatalf("%s: an empty prompt makes Codex send no instructions", m["slug"])
		}
	}
	if strings.Join(slugs, ",") != "gemini-3-pro-preview,gemini-2.5-flash,gpt-4o" {
		t.Fatalf("catalog slugs %v", slugs)
	}
	levels := got.Models[0]["supported_reasoning_levels"].([]any)
	if len(levels) != 2 || got.Models[0]["default_reasoning_level"] != "high" {
		t.Fatalf("Gemini 3 Pro levels %v", levels)
	}
}

// Codex offers only the reasoning levels the model takes as asked.
func TestCodexLevels(t *testing.T) {
	tests := []struct {
		model, levels, def string
	}{
		{"gemini-2.5-flash", "low,medium,high", "medium"},
		{"gemini-3-pro-preview", "low,high", "high"},
		{"gemini-3.1-pro-preview", "low,medium,high", "medium"},
		{"gemini-3.8-flash", "low,medium,high", "medium"},
		{"gemini-4-argon", "low,medium,high", "medium"},
		{"gemini-4-neon", "low,medium,high,xhigh", "medium"},
	}
	for _, tt := range tests {
		levels, def := codexLevels(tt.model)
		if strings.Join(levels, ",") != tt.levels || def != tt.def {
			t.Errorf("codexLevels(%s) = %v, %s; want %s, %s", tt.model, levels, def, tt.levels, tt.def)
		}
	}
}
