package gemini

import (
	"reflect"
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/tidwall/gjson"
)

// scanSeeds are answers of every shape the scan reads, and some it leaves
// to gjson.
var scanSeeds = []string{
	`{"candidates":[{"content":{"role":"model","parts":[{"text":"token 1 of the answer "}]},"index":0}],"usageMetadata":{"promptTokenCount":412,"candidatesTokenCount":1,"totalTokenCount":413},"modelVersion":"gemini-2.5-pro","responseId":"bench-stream"}`,
	` {"candidates":[{"content":{"parts":[{"text":"a\nb\"c\\d\u00e9\ud83d\ude00\ud800x\u2028","thought":true,"thoughtSignature":"AAEC"}]},"finishReason":"STOP"}]} ` + "\r\n",
	`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","id":"c1","args":{"x":[1,2.5e3,{"y":null}],"z":"\u0041"}},"thoughtSignature":"QUJD"},{"functionCall":{"name":"g","args":null}},{"functionCall":{"name":"h"}}]},"finishReason":"STOP","index":0,"safetyRatings":[{"category":"HARM","probability":"NEGLIGIBLE"}]}]}`,
	`{"candidates":[{"content":{"parts":[{"text":"x"}]},"index":1},{"content":{"parts":[]},"index":0,"finishReason":"MAX_TOKENS"}],"usageMetadata":{"promptTokenCount":1,"promptTokensDetails":[{"modality":"TEXT","tokenCount":1}]}}`,
	`{"candidates":[{"content":{"parts":[{"text":"x"}]},"groundingMetadata":{"webSearchQueries":["q"]},"logprobsResult":{}}]}`,
	`{"candidates":[{"content":{"parts":[{"toolCall":{"x":1},"thoughtSignature":"AA=="},{"toolResponse":{}}]}}]}`,
	`{"candidates":[]}`,
	`{}`,
	`{"error":{"code":429}}`,
	`{"promptFeedback":{"blockReason":"SAFETY"}}`,
	`{"candidates":[{"content":{"parts":[{"inlineData":{"mimeType":"image/png","data":"AA=="}}]}}]}`,
	`{"candidates":[{"content":{"parts":[{"functionCall":{"name":""}}]}}]}`,
	`{"candidates":[{"index":-1},{"index":1.0},{"index":"2"}]}`,
	`{"candidates":{"a":1}}`,
	`{"candidates":[{"finishReason":"STOP","finishReason":"SAFETY"}]}`,
	`{"responseId":"a","responseId":"b"}`,
	`{"candidates":[{"content":{"parts":[{"text":"x"}]}}],"usageMetadata":null,"x":[[[[]]]],"y":{"":{}}}`,
	`{"candidates":[{"content":{"parts":[{"text":"x"}]}}]`,
	`{"a":01}`,
	`{"a":"\x"}`,
	`{"a":[1,]}`,
	`{"a":{"b":1,}}`,
	`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":` + strings.Repeat("[", 300) + strings.Repeat("]", 300) + `}}]}}]}`,
	`{"candidates":[{"content":{"parts":[{"functionCall":{"name":"f","args":{"a":` + strings.Repeat("[", 60) + strings.Repeat("]", 60) + `}}}]}}]}`,
	`{"usageMetadata":{"promptTokenCount":1.5e1,"candidatesTokenCount":-2,"x":[{"y":[1,2]}],"totalTokenCount":12345678901234567}}`,
	`{"usageMetadata":{"prompt\u0054okenCount":7,"totalTokenCount":"8"},"candidates":[]}`,
	`{"usageMetadata":{"totalTokenCount":1,}}`,
	`{"usageMetadata":{"totalTokenCount":01}}`,
	`{"usageMetadata":{},"usageMetadata":{}}`,
	`{"usageMetadata":{"a":` + strings.Repeat("[", 70) + strings.Repeat("]", 70) + `}}`,
}

// TestScanMatchesGjson checks the scan on the seeds (FuzzScanMatchesGjson
// explores further).
func TestScanMatchesGjson(t *testing.T) {
	for _, s := range scanSeeds {
		checkScan(t, []byte(s))
		checkLazyUsage(t, []byte(s))
	}
	var sc Scan
	if !sc.Read([]byte(scanSeeds[0])) || len(sc.Parts) != 1 || sc.Parts[0].Text != "token 1 of the answer " || sc.ResponseID != "bench-stream" || sc.Usage.Total != 413 {
		t.Fatalf("common event not read: %+v", sc)
	}
	odd := []byte(`{"candidates":[{"content":{"parts":[{"text":"x"}]}}],"usageMetadata":{"promptTokenCount":1.5e1,"totalTokenCount":"8"}}`)
	if lazy := (Scan{lazyUsage: true}); sc.Read(odd) || !lazy.Read(odd) {
		t.Fatal("a usage the scan cannot count must leave a stream's event on the scan")
	}
	if !sc.Read([]byte(scanSeeds[1])) || sc.Parts[0].Text != "a\nb\"c\\dé😀\ufffdx\u2028" {
		t.Fatalf("escaped text: %q", sc.Parts[0].Text)
	}
}

// FuzzScanMatchesGjson is the scan's differential test: whatever it reads,
// it reads as gjson does, and it reads only valid JSON within the depth
// limit.
func FuzzScanMatchesGjson(f *testing.F) {
	for _, s := range scanSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		checkScan(t, b)
		checkLazyUsage(t, b)
	})
}

func checkScan(t *testing.T, b []byte) {
	t.Helper()
	var sc Scan
	if !sc.Read(b) {
		return
	}
	if !gjson.ValidBytes(b) {
		t.Fatalf("scan read invalid JSON %q", b)
	}
	if _, ok := jsondepth.Check(b, jsondepth.MaxDepth); !ok {
		t.Fatalf("scan read JSON too deep: %q", b)
	}
	resp := gjson.ParseBytes(b)
	if !resp.IsObject() || resp.Get("error").Exists() || resp.Get("promptFeedback").Exists() {
		t.Fatalf("scan read an error or a blocked prompt: %q", b)
	}
	if got, want := sc.Usage, UsageOf(resp.Get("usageMetadata")); got != want {
		t.Fatalf("usage %+v, gjson %+v, in %q", got, want, b)
	}
	if got, want := sc.ResponseID, resp.Get("responseId").String(); got != want {
		t.Fatalf("responseId %q, gjson %q", got, want)
	}
	n := 0
	resp.Get("candidates").ForEach(func(k, c gjson.Result) bool {
		if n >= len(sc.Candidates) {
			t.Fatalf("more candidates than scanned in %q", b)
		}
		cand := &sc.Candidates[n]
		n++
		i := int(k.Int())
		if v := c.Get("index"); v.Exists() {
			i = int(v.Int())
		}
		if cand.Index != i || cand.Finish != c.Get("finishReason").String() || cand.Result().Raw != c.Raw {
			t.Fatalf("candidate %d: %+v, gjson index %d finish %q raw %s", n-1, cand, i, c.Get("finishReason").String(), c.Raw)
		}
		if cand.Grounded != (c.Get("groundingMetadata").Exists() || c.Get("urlContextMetadata").Exists()) || cand.Logprobs != c.Get("logprobsResult").Exists() {
			t.Fatalf("candidate flags %+v in %q", cand, b)
		}
		m := cand.First
		c.Get("content.parts").ForEach(func(_, p gjson.Result) bool {
			want, err := PartOf(p)
			if err != nil {
				t.Fatalf("scan read a part gjson refuses: %s", p.Raw)
			}
			if m >= cand.Last {
				t.Fatalf("more parts than scanned in %q", b)
			}
			got := sc.Parts[m]
			if got.Call {
				// PartOf stops reading at a call.
				got.Text, got.IsText, got.Thought, got.ToolRecord = "", false, false, false
			}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("part %d: %+v\ngjson %+v\nin %q", m, got, want, b)
			}
			m++
			return true
		})
		if m != cand.Last {
			t.Fatalf("fewer parts than scanned in %q", b)
		}
		return true
	})
	if n != len(sc.Candidates) {
		t.Fatalf("fewer candidates than scanned in %q", b)
	}
}

// TestKeyTable: member names every key of keyNames (keyTable is a perfect
// hash of them), and no other.
func TestKeyTable(t *testing.T) {
	for id := kCandidates; int(id) < len(keyNames); id++ {
		k := `"` + keyNames[id] + `":1}`
		if got, _, more := member([]byte(k), 0, true); got != id || !more {
			t.Errorf("%s: key %d, want %d", k, got, id)
		}
		for _, other := range []string{keyNames[id][1:], keyNames[id] + "s", "#" + keyNames[id][1:], keyNames[id][:len(keyNames[id])-1] + "#"} {
			if got, _, _ := member([]byte(`"`+other+`":1`), 0, true); got != kOther {
				t.Errorf("%q named %d", other, got)
			}
		}
	}
}

// checkLazyUsage: a stream's scan (lazyUsage) reads what the scan reads,
// and more, as gjson does: only valid JSON within the depth limit, and a
// usageMetadata that UsageOf reads as gjson does; the usage alone never
// sends an event to the gjson path.
func checkLazyUsage(t *testing.T, b []byte) {
	t.Helper()
	var eager Scan
	lazy := Scan{lazyUsage: true}
	eagerOK, lazyOK := eager.Read(b), lazy.Read(b)
	if !lazyOK {
		if eagerOK {
			t.Fatalf("the lazy scan refused what the scan read: %q", b)
		}
		return
	}
	if !gjson.ValidBytes(b) {
		t.Fatalf("lazy scan read invalid JSON %q", b)
	}
	if _, ok := jsondepth.Check(b, jsondepth.MaxDepth); !ok {
		t.Fatalf("lazy scan read JSON too deep: %q", b)
	}
	u := gjson.GetBytes(b, "usageMetadata")
	if !u.IsObject() {
		u = gjson.Result{}
	}
	if lazy.Usage != (Usage{}) || lazy.UsageRaw != u.Raw {
		t.Fatalf("lazy usage %+v %q, gjson %q", lazy.Usage, lazy.UsageRaw, u.Raw)
	}
	if got, want := UsageOf(gjson.Result{Type: gjson.JSON, Raw: lazy.UsageRaw}), UsageOf(u); got != want {
		t.Fatalf("usage %+v, gjson %+v, in %q", got, want, b)
	}
	if eagerOK {
		if eager.UsageRaw != lazy.UsageRaw || eager.ResponseID != lazy.ResponseID ||
			!reflect.DeepEqual(eager.Candidates, lazy.Candidates) || !reflect.DeepEqual(eager.Parts, lazy.Parts) {
			t.Fatalf("the lazy scan read %q otherwise", b)
		}
	}
}

// TestSetKey: the counts' keys name Usage's counts in usageNames' order.
func TestSetKey(t *testing.T) {
	for id := kPromptTokenCount; int(id) < len(keyNames); id++ {
		var us Usage
		us.setKey(id, 7)
		var want Usage
		want.set(keyNames[id], 7)
		if us != want || us == (Usage{}) {
			t.Errorf("%s: %+v, want %+v", keyNames[id], us, want)
		}
	}
}
