package jsonidx

import (
	"testing"

	"github.com/tidwall/gjson"
)

func TestIndex(t *testing.T) {
	o := Index(gjson.Parse(`{"a":1,"b":{"c":[1,2]},"a":"last","e\"sc":true}`))
	if o.Get("a").String() != "last" || o.Get("b").Get("c.1").Int() != 2 || !o.Get("e\"sc").Bool() {
		t.Fatalf("lookups wrong")
	}
	if o.Get("missing").Exists() {
		t.Fatal("missing field exists")
	}
	if Index(gjson.Parse(`[1]`)).Get("0").Exists() {
		t.Fatal("an array must index as empty")
	}
}
