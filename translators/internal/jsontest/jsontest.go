// Package jsontest holds assertions the translator tests share.
package jsontest

import (
	"encoding/json"
	"reflect"
	"testing"
)

// Equal fails t unless got and want are the same JSON document (key order
// and spacing aside).
func Equal(t testing.TB, got []byte, want string) {
	t.Helper()
	var g, w any
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, got)
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad want: %v\n%s", err, want)
	}
	if !reflect.DeepEqual(g, w) {
		t.Fatalf("got  %s\nwant %s", got, want)
	}
}
