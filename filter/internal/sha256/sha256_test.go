package sha256

import (
	stdsha256 "crypto/sha256"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestSum256MatchesCryptoSHA256(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	inputs := []string{"", "abc", "AIzaSyA-example-key_0123456789", strings.Repeat("a", 55), strings.Repeat("b", 56),
		strings.Repeat("c", 63), strings.Repeat("d", 64), strings.Repeat("e", 65), strings.Repeat("f", 1000)}
	for range 500 {
		b := make([]byte, r.IntN(300))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		inputs = append(inputs, string(b))
	}
	for _, in := range inputs {
		if got, want := Sum256(in), stdsha256.Sum256([]byte(in)); got != want {
			t.Fatalf("Sum256(%q) = %x, want %x", in, got, want)
		}
	}
}

func BenchmarkSum256Key(b *testing.B) {
	for range b.N {
		Sum256("AIzaSyA-example-key_0123456789ABCDEF")
	}
}
