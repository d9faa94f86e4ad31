package filter

import (
	"runtime/debug"
	"strings"
	"testing"
)

// The module's own checks of bodies nobody vouches for (Gemini's error
// answers, the configuration) read them without recursion: in Envoy's V8,
// where Go's Wasm calls use the engine's stack, a recursive validator traps
// the VM near ten thousand levels. Natively a goroutine's stack grows to
// a gigabyte, so the test caps it: with gjson's recursive validation, the
// 200,000 levels below need far more than 4 MiB and crash the test binary.
func TestBodyChecksDoNotRecurse(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(4 << 20))
	deep := []byte(strings.Repeat("[", 200000))
	if isGoogleError(deep) {
		t.Fatal("a deep array read as Google's error object")
	}
	if e := calloutError(504, deep); e.Message != "Gemini did not answer in time." {
		t.Fatalf("504 with a deep body: %q", e.Message)
	}
	if _, err := ParseConfig(deep); err == nil || !strings.Contains(err.Error(), "levels deep") {
		t.Fatalf("deep configuration: %v", err)
	}
	if _, err := ParseConfig([]byte(`{"gemini_host":`)); err == nil || err.Error() != "configuration is not valid JSON" {
		t.Fatalf("invalid configuration: %v", err)
	}
}
