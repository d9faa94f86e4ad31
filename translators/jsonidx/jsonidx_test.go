package jsonidx

import (
	"strings"
	"testing"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/tidwall/gjson"
)

func TestLoad(t *testing.T) {
	o, ok := index(gjson.Parse(`{"a":1,"b":{"c":[1,2]},"a":"last","e\"sc":true}`))
	if !ok {
		t.Fatal("a small object must index")
	}
	if o.Get("a").String() != "last" || o.Get("b").Get("c.1").Int() != 2 || !o.Get("e\"sc").Bool() {
		t.Fatalf("lookups wrong")
	}
	if o.Get("missing").Exists() {
		t.Fatal("missing field exists")
	}
	if o, _ := index(gjson.Parse(`[1]`)); o.Get("0").Exists() {
		t.Fatal("an array must index as empty")
	}
}

func TestEach(t *testing.T) {
	stop := apierror.Invalid("x", "stop")
	tests := []struct {
		name, in string
		stopAt   int // fn fails at this position; -1 never
		visits   int
		err      bool
	}{
		{"all", `[1,{"a":[2]},"3"]`, -1, 3, false},
		{"stops at the first error", `[1,2,3,4]`, 1, 2, true},
		{"empty", `[]`, -1, 0, false},
		{"object has no elements", `{"a":1}`, -1, 0, false},
		{"scalar has no elements", `"[1,2]"`, -1, 0, false},
		{"missing", ``, -1, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []int
			e := Each(gjson.Parse(tt.in), func(i int, _ gjson.Result) *apierror.Error {
				got = append(got, i)
				if i == tt.stopAt {
					return stop
				}
				return nil
			})
			if len(got) != tt.visits || (e != nil) != tt.err {
				t.Fatalf("visited %v, error %v", got, e)
			}
			for k, i := range got {
				if k != i {
					t.Fatalf("positions %v", got)
				}
			}
		})
	}
}

func TestHasMembers(t *testing.T) {
	for in, want := range map[string]bool{`{}`: false, ` { } `: false, `{"a":1}`: true, `[1]`: false, `"x"`: false, ``: false} {
		if got := HasMembers(gjson.Parse(in)); got != want {
			t.Errorf("HasMembers(%s) = %v", in, got)
		}
	}
}

func TestIndexFieldLimit(t *testing.T) {
	fields := func(n int) string {
		return "{" + strings.Repeat(`"a":0,`, n-1) + `"z":1}`
	}
	if o, ok := index(gjson.Parse(fields(MaxFields))); !ok || o.Get("z").Int() != 1 {
		t.Fatal("an object at the limit must index whole")
	}
	var o Object
	if o.Load(gjson.Parse(fields(MaxFields + 1))) {
		t.Fatal("one field too many must be reported")
	}
	if len(o.fields) != MaxFields || o.Get("z").Exists() {
		t.Fatalf("%d fields kept", len(o.fields))
	}
	if !o.Load(gjson.Parse(`{"b":2}`)) || o.Get("b").Int() != 2 || o.Get("a").Exists() {
		t.Fatal("reuse after a refusal")
	}
}

func TestMembers(t *testing.T) {
	keys := []string{"a", "b", "c"}
	for _, in := range []string{
		`{"a":1,"x":{"b":9},"b":"two","a":3}`,
		`{"\u0061":1,"b":"two","b":4}`,
		`{"b":"two","a":1,"d":[1,2]}`,
		`{"a":1,"b":2,"c":3,"a":4,"c":[5]}`,
		`[1,2]`, `"s"`, ``,
	} {
		obj := gjson.Parse(in)
		var vals [3]gjson.Result
		Members(obj, keys, vals[:])
		for i, k := range keys {
			if got, want := vals[i], obj.Get(k); got.Raw != want.Raw || got.Exists() != want.Exists() || got.Type != want.Type {
				t.Errorf("%s: %s = %q, Get gives %q", in, k, got.Raw, want.Raw)
			}
		}
	}
}

// index is Load into a new Object.
func index(obj gjson.Result) (o Object, ok bool) {
	ok = o.Load(obj)
	return o, ok
}
