package gemini

import (
	"testing"

	"github.com/tidwall/gjson"
)

// usageSlow is UsageOf by gjson alone (what usageFast must agree with).
func usageSlow(u gjson.Result) Usage {
	if !u.IsObject() {
		return Usage{}
	}
	us := Usage{Present: true}
	u.ForEach(func(k, v gjson.Result) bool {
		us.set(k.Str, v.Int())
		return true
	})
	return us
}

var usageCases = []string{
	`{}`, `{ }`, `{"promptTokenCount":412,"candidatesTokenCount":180,"totalTokenCount":592}`,
	`{"promptTokenCount": 1 , "thoughtsTokenCount" : 2,"cachedContentTokenCount":3,"toolUsePromptTokenCount":4}`,
	`{"promptTokenCount":8,"promptTokensDetails":[{"modality":"TEXT","tokenCount":8}],"totalTokenCount":9}`,
	`{"trafficType":"ON_DEMAND","promptTokenCount":5,"cacheTokensDetails":{"a":[1,{"b":"}"}]},"totalTokenCount":6}`,
	`{"promptTokenCount":1.5}`, `{"promptTokenCount":1e3}`, `{"promptTokenCount":"12"}`, `{"promptTokenCount":true}`,
	`{"promptTokenCount":null}`, `{"promptTokenCount":-3}`, `{"promptTokenCount":12345678901234567}`,
	`{"promptTokenCount":1,"promptTokenCount":2}`, `{"prompt\u0054okenCount":7}`, `{"x":"a\"b","totalTokenCount":2}`,
	`{"promptTokenCount":0,"candidatesTokenCount":0}`, "{\n  \"promptTokenCount\": 10,\n  \"totalTokenCount\": 20\n}",
}

func TestUsageFastMatchesGJSON(t *testing.T) {
	for _, raw := range usageCases {
		u := gjson.Parse(raw)
		if got, want := UsageOf(u), usageSlow(u); got != want {
			t.Errorf("UsageOf(%s) = %+v, want %+v", raw, got, want)
		}
	}
}

func FuzzUsageOf(f *testing.F) {
	for _, raw := range usageCases {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		if !gjson.Valid(raw) {
			return
		}
		u := gjson.Parse(raw)
		if got, want := UsageOf(u), usageSlow(u); got != want {
			t.Fatalf("UsageOf(%s) = %+v, want %+v", raw, got, want)
		}
	})
}
