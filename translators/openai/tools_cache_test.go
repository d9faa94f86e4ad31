package openai

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
)

// Codex sends the same tools with every turn; the second turn's tools come
// from the Env's cache (translator.Env.Decls, a kept list) and must give
// the Gemini request, the notice and the answer a fresh translation gives:
// names of namespaced and custom tools mapped back, strict schemas,
// web search's filters and location, tool_choice by name or none.
func TestRepeatedResponsesToolsTranslateTheSame(t *testing.T) {
	fn := func(name string, strict bool) string {
		s := "false"
		if strict {
			s = "true"
		}
		return `{"type":"function","name":"` + name + `","strict":` + s + `,"description":"` + strings.Repeat(name+` runs \"it\".\n`, 20) +
			`","parameters":{"type":"object","properties":{"cmd":{"type":"array","items":{"type":"string"}}},"required":["cmd"]}}`
	}
	tools := `"tools":[` + fn("exec_command", false) + `,` + fn("view_image", true) +
		`,{"type":"custom","name":"apply_patch","description":"Patch files.","format":{"type":"grammar","syntax":"lark","definition":"start: \"x\""}}` +
		`,{"type":"namespace","name":"multi_agent_v1","description":"Agents.","tools":[` + fn("spawn_agent", false) + `]}` +
		`,{"type":"web_search","filters":{"allowed_domains":["go.dev"]},"user_location":{"type":"approximate","city":"Paris"}}]`
	turn := func(input, extra string) string {
		return `{"model":"gemini-2.5-pro","store":false,` + extra + tools + `,"input":"` + input + `"}`
	}
	answer := `{"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"multi_agent_v1.spawn_agent","args":{"cmd":["a"]}}},{"functionCall":{"name":"apply_patch","args":{"input":"x"}}}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":9,"candidatesTokenCount":4,"totalTokenCount":13}}`
	shared := envtest.Env(nil)
	for _, body := range []string{
		turn("hi", ""), turn("go on", ""), turn("hi", ""),
		turn("again", `"tool_choice":{"type":"function","name":"spawn_agent","namespace":"multi_agent_v1"},`),
		turn("no tools now", `"tool_choice":"none",`),
	} {
		got, want := envtest.SameWithCache(t, "responses", ParseResponses, body, shared)
		if got.Notice() != want.Notice() {
			t.Fatalf("notice with the cache %q, fresh %q", got.Notice(), want.Notice())
		}
		// The two Envs number their ids apart.
		g, _ := got.Response([]byte(answer))
		w, _ := want.Response([]byte(answer))
		if g, w := ids.ReplaceAll(g, nil), ids.ReplaceAll(w, nil); string(g) != string(w) || !strings.Contains(string(g), `"namespace":"multi_agent_v1"`) {
			t.Fatalf("answer with the cache:\n%s\nfresh:\n%s", g, w)
		}
	}
}

var ids = regexp.MustCompile(`_[0-9]{24}`)

// A chat-based coding agent sends the same tools with every turn too; the
// list is kept whole after the first turn (it is among the lists the next
// request's validation recognises), and a later turn's request is the one a
// fresh translation gives: strict schemas, a function chosen by name, web
// search added beside the kept functions.
func TestRepeatedChatToolsTranslateTheSame(t *testing.T) {
	fn := func(name string, strict bool) string {
		s := "false"
		if strict {
			s = "true"
		}
		return `{"type":"function","function":{"name":"` + name + `","strict":` + s + `,"description":"` + strings.Repeat(name+` edits \"it\".\n`, 20) +
			`","parameters":{"type":"object","properties":{"path":{"type":"string","minLength":1}},"required":["path"],"additionalProperties":false}}}`
	}
	list := `[` + fn("read", false) + `,` + fn("edit", true) + `]`
	turn := func(content, extra string) string {
		return `{"model":"gemini-2.5-pro",` + extra + `"tools":` + list + `,"messages":[{"role":"user","content":"` + content + `"}]}`
	}
	shared := envtest.Env(nil)
	kept := func() bool {
		for _, k := range shared.Decls.Known() {
			if k.Raw == list {
				return true
			}
		}
		return false
	}
	for i, body := range []string{
		turn("hi", ""), turn("go on", ""),
		turn("edit now", `"tool_choice":{"type":"function","function":{"name":"edit"}},`),
		turn("search too", `"web_search_options":{},`),
		turn("no tools", `"tool_choice":"none",`),
	} {
		envtest.SameWithCache(t, "chat turn "+strconv.Itoa(i), ParseChat, body, shared)
		if i == 0 && !kept() {
			t.Fatal("the chat tool list was not kept after the first turn")
		}
	}
	// A name the kept list does not declare is refused as it is fresh.
	body := turn("x", `"tool_choice":{"type":"function","function":{"name":"write"}},`)
	_, got := ParseChat([]byte(body), shared)
	_, want := ParseChat([]byte(body), envtest.Env(nil))
	if got == nil || want == nil || got.Message != want.Message {
		t.Fatalf("with the cache %+v, fresh %+v", got, want)
	}
}
