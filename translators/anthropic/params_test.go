package anthropic

import (
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
)

func dumpMessages() map[string]string {
	pre := `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[` + strings.Repeat(`{"role":"user","content":"x"},{"role":"assistant","content":"y"},`, 6)
	m := func(s string) string { return pre + s + `]}` }
	use := `{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}}]},`
	tr := func(s string) string {
		return m(use + `{"role":"user","content":[{"type":"text","text":"a"},` + s + `]}`)
	}
	tools := `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"x"}],"tools":[` + strings.Repeat(`{"name":"f","input_schema":{"type":"object"}},`, 11)
	return map[string]string{
		"not object":       m(`5`),
		"bad role":         m(`{"role":"robot","content":"x"}`),
		"no content":       m(`{"role":"user"}`),
		"content number":   m(`{"role":"user","content":5}`),
		"system block":     m(`{"role":"system","content":[{"type":"text","text":"a"},{"type":"image"}]}`),
		"user not object":  m(`{"role":"user","content":[{"type":"text","text":"a"},5]}`),
		"user unknown":     m(`{"role":"user","content":[{"type":"video"}]}`),
		"user no type":     m(`{"role":"user","content":[{"text":"a"}]}`),
		"user text":        m(`{"role":"user","content":[{"type":"text","text":1}]}`),
		"user image":       m(`{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/bmp","data":"AAAA"}}]}`),
		"user document":    m(`{"role":"user","content":[{"type":"document","source":{"type":"content","content":[{"type":"text","text":"a"},{"type":"video"}]}}]}`),
		"user search":      m(`{"role":"user","content":[{"type":"search_result","content":5}]}`),
		"tr no id":         tr(`{"type":"tool_result"}`),
		"tr is_error":      tr(`{"type":"tool_result","tool_use_id":"t1","is_error":"yes"}`),
		"tr content":       tr(`{"type":"tool_result","tool_use_id":"t1","content":5}`),
		"tr block":         tr(`{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":"a"},{"type":"video"}]}`),
		"tr block obj":     tr(`{"type":"tool_result","tool_use_id":"t1","content":[5]}`),
		"tr block text":    tr(`{"type":"tool_result","tool_use_id":"t1","content":[{"type":"text","text":5}]}`),
		"tr block notype":  tr(`{"type":"tool_result","tool_use_id":"t1","content":[{"text":"a"}]}`),
		"tr image":         tr(`{"type":"tool_result","tool_use_id":"t1","content":[{"type":"image","source":{"type":"url","url":"ftp://x"}}]}`),
		"as not object":    m(`{"role":"assistant","content":["a",5]}`),
		"as text":          m(`{"role":"assistant","content":[{"type":"text","text":5}]}`),
		"as thinking":      m(`{"role":"assistant","content":[{"type":"thinking","thinking":5}]}`),
		"as signature":     m(`{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":5}]}`),
		"as use id":        m(`{"role":"assistant","content":[{"type":"tool_use","name":"f"}]}`),
		"as use name":      m(`{"role":"assistant","content":[{"type":"tool_use","id":"i"}]}`),
		"as use input":     m(`{"role":"assistant","content":[{"type":"tool_use","id":"i","name":"f","input":"x"}]}`),
		"as no type":       m(`{"role":"assistant","content":[{"text":"a"}]}`),
		"as unknown":       m(`{"role":"assistant","content":[{"type":"video"}]}`),
		"tools not object": tools + `5]}`,
		"tools name":       tools + `{"input_schema":{}}]}`,
		"tools schema":     tools + `{"name":"g"}]}`,
		"tools server":     tools + `{"type":"bash_2025"}]}`,
		"tools maxuses":    tools + `{"type":"web_search_20250305","name":"web_search","max_uses":0}]}`,
		"tools too many":   tools + strings.Repeat(`{"name":"f","input_schema":{"type":"object"}},`, gemini.MaxTools-11) + `{"name":"g","input_schema":{}}]}`,
		"tools domains":    tools + `{"type":"web_search_20250305","name":"web_search","blocked_domains":["a"` + strings.Repeat(`,"a"`, gemini.MaxDomains) + `]}]}`,
		"tools domain":     tools + `{"type":"web_fetch_20250910","name":"web_fetch","allowed_domains":["a",1]}]}`,
		"user search text": m(`{"role":"user","content":[{"type":"search_result","title":"t","source":"s","content":[{"type":"text","text":"a"},{"type":"image"}]}]}`),
		"ok rich": m(`{"role":"system","content":"late sys"},{"role":"user","content":[{"type":"text","text":"q \"x\"\n"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}},{"type":"document","title":"T","source":{"type":"text","data":"doc"}},{"type":"search_result","title":"t","source":"s","content":[{"type":"text","text":"r"}]}]},` +
			`{"role":"assistant","content":[{"type":"thinking","thinking":"hm","signature":"x"},{"type":"text","text":"a1"},{"type":"text","text":""},{"type":"tool_use","id":"t1","name":"f","input":{"a":1}},{"type":"tool_use","id":"t2","name":"g"},{"type":"server_tool_use","id":"s","name":"web_search","input":{"query":"q"}},{"type":"web_search_tool_result","content":[{"title":"T","url":"https://u","page_age":"1d"}]}]},` +
			`{"role":"user","content":[{"type":"tool_result","tool_use_id":"t2","content":[{"type":"text","text":"r1"},{"type":"text","text":"r2"},{"type":"image","source":{"type":"url","url":"https://e.com/a.png"}},{"type":"tool_reference","tool_name":"X"}]},{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":"bad"},{"type":"text","text":"more"}]},` +
			`{"role":"assistant","content":"plain"},{"role":"assistant","content":[{"type":"tool_use","id":"t3","name":"f"}]}`),
		"ok pending string": m(use + `{"role":"user","content":"no results"},` + use + `{"role":"user","content":["s",{"type":"text","text":"t"},{"type":"text","text":""},{"type":"document","source":{"type":"text","data":"d"}},{"type":"tool_result","tool_use_id":"t1","content":[{"type":"image","source":{"type":"url","url":"https://e.com/i.png"}}]}]}`),
		"ok dup keys":       m(`{"role":"user","content":"first","role":"assistant","content":"second"},{"r\u006fle":"assistant","content":"esc"}`),
		"dup null first":    m(`{"content":null,"role":"user","content":"x"}`),
		"ok tools":          `{"model":"claude-sonnet-4-5","max_tokens":10,"messages":[{"role":"user","content":"x"},` + use + `{"role":"user","content":[{"type":"tool_result","content":"c","is_error":true,"tool_use_id":"t1","is_error":false}]}],"tools":[{"input_schema":{"type":"object","properties":{"a":{"type":"string"}}},"name":"f","description":"d","name":"g"},{"type":"custom","name":"h","input_schema":{},"description":7}]}`,
		"ok gemini3":        `{"model":"gemini-3-pro-preview","max_tokens":10,"messages":[{"role":"user","content":"x"},{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"tool_use","id":"t1","name":"f"},{"type":"tool_use","id":"t1","name":"f"}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"r"},{"type":"tool_result","tool_use_id":"t1","content":"r2"}]}]}`,
	}
}

// TestParamsGolden holds the translation of requests whose errors lie deep
// in messages, parts, tool calls and tools (the names of error parameters
// are built only for an error: apierror.Path), and of a few rich valid
// requests, to testdata/params.golden: error parameters and messages, and
// Gemini request bytes, as the translators gave them before that change.
// GCA_UPDATE_GOLDEN=1 rewrites the file.
func TestParamsGolden(t *testing.T) {
	env := envtest.Env(nil)
	var lines []string
	for name, body := range dumpMessages() {
		r, e := ParseMessages([]byte(body), env)
		res := envtest.Outcome(e, func() []byte { return r.Body })
		c, e := ParseCountTokens([]byte(body), env)
		res += "\t" + envtest.Outcome(e, func() []byte { return c.Body })
		lines = append(lines, name+"\t"+res)
	}
	envtest.Golden(t, "testdata/params.golden", lines)
}
