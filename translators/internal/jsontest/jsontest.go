// Package jsontest holds assertions the translator tests share.
package jsontest

import (
	"encoding/json"
	"reflect"
	"runtime"
	"runtime/debug"
	"strings"
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

// SmallStack caps goroutine stacks at 1 MiB for the rest of the test. Native
// Go grows a stack to a gigabyte, so a recursion as deep as a hostile
// document would pass unnoticed; V8 gives a Wasm module far less and traps
// near ten thousand levels of gjson's recursion. With the cap, such a
// recursion crashes the test binary ("stack overflow") as it would crash
// Envoy's VM, while the bounded recursion the translators allow (a few
// hundred levels) fits easily.
func SmallStack(t testing.TB) {
	old := debug.SetMaxStack(1 << 20)
	t.Cleanup(func() { debug.SetMaxStack(old) })
}

// Deep is n nested arrays around a number: a document that nests n levels.
func Deep(n int) string {
	return strings.Repeat("[", n) + "1" + strings.Repeat("]", n)
}

// AllocatedBytes is how many bytes of heap f allocates. Tests use it to show
// that a translator refusing a huge array did not first copy every element
// (gjson's Array makes an 80-byte Result per element before any check).
func AllocatedBytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}
