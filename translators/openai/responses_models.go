package openai

import (
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/gemini-code-api/gemini-code-api/translators/models"
)

// Codex's model catalog.
//
// Codex 0.169 asks a custom provider for models only when told to (a
// provider's `model_catalog_url`, or command-based auth): GET
// /v1/models?client_version=0.169.0, reading `models`, a list of its own
// model descriptions, instead of OpenAI's `data`. Without a description of
// the model in use it falls back to generic metadata ("Model metadata for
// `gemini-…` not found"): a 272k context window, no apply_patch tool, no
// reasoning summaries. The gateway answers that request with both lists, so
// the same URL serves OpenAI clients and Codex.
//
// An entry must carry the model's prompt (model_messages); Codex sends no
// base instructions at all when it is empty. The gateway's prompt below is
// a short, tool-centred one; a user who prefers Codex's built-in prompt
// leaves model_catalog_url out (Codex then uses its fallback metadata).

// codexInstructions is the base prompt of the catalog entries.
const codexInstructions = `You are Codex, a coding agent running in the user's terminal, powered by a Google Gemini model. You and the user share the same workspace: read the code, run commands and edit files to complete the task, then report briefly.

- Run shell commands with the exec_command tool (use rg to search). Read files before changing them.
- Edit files with the apply_patch tool: its input is a patch that starts with "*** Begin Patch" and ends with "*** End Patch", with "*** Add File: <path>", "*** Update File: <path>" (hunks introduced by "@@", lines prefixed with " ", "-" or "+") or "*** Delete File: <path>" sections.
- Keep changes minimal and in the style of the code around them; do not commit unless asked.
- Follow AGENTS.md files in the repository: the deepest one for a file wins; explicit user instructions win over them.
- Before a group of tool calls, say in one short sentence what you are about to do.
- Finish with a concise summary of what you changed and anything left to do, referring to files by path.`

// CodexModelsList renders OpenAI's model list plus Codex's catalog of the
// chat models in it.
func CodexModelsList(list []models.Entry, resolve func(string) string) []byte {
	out := ModelsList(list)
	out = out[:len(out)-1] // reopen the object
	out = append(out, `,"models":[`...)
	n := 0
	for _, m := range list {
		target := resolve(m.ID)
		// Claude names are Claude Code's (the family map); Codex would
		// only list them among its models.
		if !codexCapable(target) || strings.HasPrefix(m.ID, "claude") {
			continue
		}
		if n > 0 {
			out = append(out, ',')
		}
		out = appendCodexModel(out, m.ID, target, n)
		n++
	}
	return append(out, "]}"...)
}

// codexCapable: Gemini chat models that call tools (not embedding, image,
// speech or live models).
func codexCapable(model string) bool {
	if !strings.HasPrefix(model, "gemini-") {
		return false
	}
	for _, s := range [...]string{"embedding", "image", "tts", "live", "audio", "veo", "imagen", "robotics", "computer-use"} {
		if strings.Contains(model, s) {
			return false
		}
	}
	return true
}

// codexLevels are the reasoning levels target honours as asked (see
// thinkingConfig): low, medium and high on 2.5's budgets; from Gemini 3 on,
// the levels the model knows (gemini.ThinkingLevel): no medium on Gemini 3
// Pro, xhigh on the models that have it. The default is medium where the
// model has it.
func codexLevels(target string) (levels []string, def string) {
	levels, def = []string{"low", "medium", "high"}, "medium"
	if !gemini.IsGemini3OrLater(target) {
		return levels, def
	}
	levels = levels[:1]
	for _, l := range [...]string{gemini.Medium, gemini.High, gemini.XHigh} {
		if gemini.ThinkingLevel(target, l) == l {
			levels = append(levels, strings.ToLower(l))
		}
	}
	if levels[1] != "medium" { // high always follows low
		def = "high"
	}
	return levels, def
}

// appendCodexModel writes one catalog entry; the fields Codex 0.169 requires
// are slug, display_name, supported_reasoning_levels, shell_type,
// visibility, supported_in_api, priority, model_messages, support_verbosity,
// truncation_policy and experimental_supported_tools.
func appendCodexModel(out []byte, slug, target string, priority int) []byte {
	out = append(out, `{"slug":`...)
	out = jsonw.String(out, slug)
	out = append(out, `,"display_name":`...)
	out = jsonw.String(out, slug)
	out = append(out, `,"description":`...)
	desc := "Google " + target + " through gemini-code-api"
	out = jsonw.String(out, desc)
	levels, def := codexLevels(target)
	out = append(out, `,"default_reasoning_level":`...)
	out = jsonw.String(out, def)
	out = append(out, `,"supported_reasoning_levels":[`...)
	for i, l := range levels {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, `{"effort":`...)
		out = jsonw.String(out, l)
		out = append(out, `,"description":`...)
		out = jsonw.String(out, "Gemini thinking: "+l)
		out = append(out, '}')
	}
	out = append(out, `]`...)
	// Gemini's context window (1,048,576 input tokens for the 2.5 and 3
	// models); Codex compacts the conversation at 90% of it.
	out = append(out, `,"context_window":1048576,"max_context_window":1048576`...)
	out = append(out, `,"shell_type":"shell_command","visibility":"list","supported_in_api":true,"priority":`...)
	out = jsonw.Int(out, int64(100+priority))
	out = append(out, `,"upgrade":null,"model_messages":{"instructions_template":`...)
	out = jsonw.String(out, codexInstructions)
	// Thought summaries become reasoning items; apply_patch as a free-form
	// (custom) tool, which the gateway turns into a one-argument function.
	out = append(out, `},"supports_reasoning_summaries":true,"default_reasoning_summary":"auto"`...)
	out = append(out, `,"support_verbosity":false,"default_verbosity":null,"apply_patch_tool_type":"freeform"`...)
	out = append(out, `,"truncation_policy":{"mode":"bytes","limit":10000},"supports_parallel_tool_calls":true`...)
	out = append(out, `,"input_modalities":["text","image"],"experimental_supported_tools":[]}`...)
	return out
}
