package openai

import (
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/gemini"
	"github.com/gemini-code-api/gemini-code-api/translators/internal/envtest"
)

func dumpChat() map[string]string {
	pre := `{"model":"gpt-4o","messages":[` + strings.Repeat(`{"role":"user","content":"x"},{"role":"assistant","content":"y"},`, 6)
	m := func(s string) string { return pre + s + `]}` }
	call := `{"role":"assistant","tool_calls":[` + strings.Repeat(`{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}},`, 11)
	deep := strings.Repeat("[", 300) + strings.Repeat("]", 300)
	return map[string]string{
		"not object":        m(`5`),
		"bad role":          m(`{"role":"robot","content":"x"}`),
		"function role":     m(`{"role":"function","content":"x"}`),
		"system number":     m(`{"role":"system","content":5}`),
		"system part type":  m(`{"role":"system","content":[{"type":"text","text":"a"},{"type":"image"}]}`),
		"system part text":  m(`{"role":"developer","content":[{"type":"text","text":"a"},{"type":"refusal","refusal":"r"},{"type":"text","text":5}]}`),
		"user number":       m(`{"role":"user","content":5}`),
		"user no type":      m(`{"role":"user","content":[{"type":"text","text":"a"},{"text":"a"}]}`),
		"user unknown":      m(`{"role":"user","content":[{"type":"video"}]}`),
		"user text":         m(`{"role":"user","content":[{"type":"text","text":true}]}`),
		"image missing":     m(`{"role":"user","content":[{"type":"image_url","image_url":{}}]}`),
		"image data":        m(`{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/png,xx"}}]}`),
		"image no mime":     m(`{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:;base64,AAAA"}}]}`),
		"image scheme":      m(`{"role":"user","content":[{"type":"image_url","image_url":"ftp://x"}]}`),
		"audio format":      m(`{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"AAAA","format":"mid"}}]}`),
		"audio data":        m(`{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"@@","format":"wav"}}]}`),
		"file id":           m(`{"role":"user","content":[{"type":"file","file":{"file_id":"f1"}}]}`),
		"file data missing": m(`{"role":"user","content":[{"type":"file","file":{}}]}`),
		"file data bad":     m(`{"role":"user","content":[{"type":"file","file":{"file_data":"@@"}}]}`),
		"assistant part":    m(`{"role":"assistant","content":[{"type":"image"}]}`),
		"assistant number":  m(`{"role":"assistant","content":5}`),
		"tool_calls object": m(`{"role":"assistant","tool_calls":{}}`),
		"call name":         m(call + `{"id":"c","function":{}}]}`),
		"call args":         m(call + `{"id":"c","function":{"name":"f","arguments":"[1]"}}]}`),
		"call args deep":    m(call + `{"id":"c","function":{"name":"f","arguments":"` + deep + `"}}]}`),
		"tool no id":        m(`{"role":"tool","content":"r"}`),
		"tool content":      m(`{"role":"assistant","tool_calls":[{"id":"c1","function":{"name":"f"}}]},{"role":"tool","tool_call_id":"c1","content":[{"type":"text","text":"a"},{"type":"image"}]}`),
		"tool content 2":    m(`{"role":"assistant","tool_calls":[{"id":"c1","function":{"name":"f"}}]},{"role":"tool","tool_call_id":"c1","content":7}`),
		"tools type":        `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"tools":[` + strings.Repeat(`{"type":"function","function":{"name":"f"}},`, 11) + `{"type":"web"}]}`,
		"tools name":        `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"tools":[` + strings.Repeat(`{"type":"function","function":{"name":"f"}},`, 11) + `{"type":"function","function":{}}]}`,
		"tools too many":    `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"tools":[` + strings.Repeat(`{"type":"function","function":{"name":"f"}},`, gemini.MaxTools) + `{"type":"function","function":{"name":"g"}}]}`,
		"allowed too many":  `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":{"type":"allowed_tools","allowed_tools":{"mode":"auto","tools":[` + strings.Repeat(`{"type":"function","function":{"name":"f"}},`, gemini.MaxTools) + `{"type":"function","function":{"name":"f"}}]}}}`,
		"tools deep":        `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"tools":[` + strings.Repeat(`{"type":"function","function":{"name":"f"}},`, 11) + `{"type":"function","function":{"name":"g","parameters":` + strings.Repeat(`{"type":"object","properties":{"a":`, 130) + `{}` + strings.Repeat(`}}`, 130) + `}}]}`,
		"ok rich": m(`{"role":"system","content":[{"type":"text","text":"s1"},{"type":"text","text":"s2"}]},{"role":"user","content":[{"type":"text","text":"q\n\"x\""},{"type":"text","text":""},{"type":"image_url","image_url":{"url":"data:image/png;base64,AAAA"}},{"type":"image_url","image_url":"https://e.com/a.png?x=1"},{"type":"input_audio","input_audio":{"data":"AAAA","format":"mp3"}},{"type":"file","file":{"file_data":"AAAA","filename":"a.pdf"}}]},` +
			`{"role":"assistant","content":[{"type":"text","text":"a"},{"type":"refusal","refusal":"no"}],"tool_calls":[{"id":"c1","function":{"name":"f","arguments":"{\"a\":1}"}},{"id":"c2","function":{"name":"g","arguments":{"b":2}}},{"id":"c3","function":{"name":"h"}}]},` +
			`{"role":"tool","tool_call_id":"c2","content":[{"type":"text","text":"r1"},{"type":"text","text":""},{"type":"text","text":"r2"}]},{"role":"tool","tool_call_id":"c1","content":"{\"ok\":true}"},{"role":"tool","tool_call_id":"zz","content":"dropped"},{"role":"user","content":"again"},{"role":"assistant","content":""},{"role":"tool","tool_call_id":"c3","content":"late"},{"role":"developer","content":"dev"}`),
		"ok dup keys":        m(`{"role":"user","content":"first","role":"system","content":"second"},{"r\u006fle":"assistant","content":"esc","tool_calls":null,"tool_calls":[{"id":"c","function":{"name":"f"}}]},{"role":"tool","tool_call_id":"c","tool_call_id":"d","content":"r"}`),
		"ok tools":           `{"model":"gpt-4o","messages":[{"role":"user","content":"x"}],"tool_choice":"auto","tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","properties":{"a":{"type":"string"}}},"description":"d","strict":true,"name":"g"}},{"type":"function","function":{"description":5,"name":"h","strict":false,"strict":true}}]}`,
		"ok gemini3":         `{"model":"gemini-3-pro-preview","messages":[{"role":"user","content":"x"},{"role":"assistant","tool_calls":[{"id":"c1","function":{"name":"f"}},{"id":"c2","function":{"name":"f"}}]},{"role":"tool","tool_call_id":"c1","content":""},{"role":"tool","tool_call_id":"c1","content":"twice"}]}`,
		"r user part":        `{"model":"gpt-4o","input":[` + strings.Repeat(`{"role":"user","content":"x"},`, 11) + `{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_image","image_url":"data:x"}]}]}`,
		"r user text":        `{"model":"gpt-4o","input":[` + strings.Repeat(`{"role":"user","content":"x"},`, 11) + `{"role":"user","content":[{"type":"input_text","text":1}]}]}`,
		"r dev part":         `{"model":"gpt-4o","input":[` + strings.Repeat(`{"role":"user","content":"x"},`, 11) + `{"role":"developer","content":[{"type":"input_text","text":"a"},{"type":"input_image"}]}]}`,
		"r content number":   `{"model":"gpt-4o","input":[` + strings.Repeat(`{"role":"user","content":"x"},`, 11) + `{"role":"assistant","content":5}]}`,
		"r file":             `{"model":"gpt-4o","input":[{"role":"user","content":[{"type":"input_file","file_data":"@@"}]}]}`,
		"r args":             `{"model":"gpt-4o","input":[{"role":"user","content":"x"},{"type":"function_call","call_id":"c","name":"f","arguments":"[1]"}]}`,
		"r tools too many":   `{"model":"gpt-4o","input":"x","tools":[` + manyTools(gemini.MaxTools+1) + `]}`,
		"r allowed too many": `{"model":"gpt-4o","input":"x","tools":[{"type":"function","name":"f"}],"tool_choice":{"type":"allowed_tools","mode":"auto","tools":[` + strings.Repeat(`{"type":"function","name":"f"},`, gemini.MaxTools) + `{"type":"function","name":"f"}]}}`,
		"r domains too many": `{"model":"gpt-4o","input":"x","tools":[{"type":"web_search","filters":{"allowed_domains":[` + strings.Repeat(`"a.com",`, gemini.MaxDomains) + `"a.com"]}}]}`,
		"r ok":               `{"model":"gpt-4o","instructions":"be","input":[{"role":"developer","content":[{"type":"input_text","text":"d"}]},{"role":"user","content":[{"type":"input_text","text":"a"},{"type":"input_image","image_url":"https://e.com/x.jpg"},{"type":"input_file","file_data":"AAAA","filename":"x.pdf"}]},{"role":"assistant","content":[{"type":"output_text","text":"b"}]},{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":"r"}]}`,
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
	for name, body := range dumpChat() {
		var res string
		if strings.Contains(body, `"input"`) {
			r, e := ParseResponses([]byte(body), env)
			res = envtest.Outcome(e, func() []byte { return r.Body })
		} else {
			r, e := ParseChat([]byte(body), env)
			res = envtest.Outcome(e, func() []byte { return r.Body })
		}
		lines = append(lines, name+"\t"+res)
	}
	envtest.Golden(t, "testdata/params.golden", lines)
}
