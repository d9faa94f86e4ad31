package filter

import (
	"encoding/binary"
	"slices"
	"testing"
)

// serializePairs writes a header map as the proxy-wasm host does.
func serializePairs(pairs [][2]string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(len(pairs)))
	for _, p := range pairs {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p[0])))
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p[1])))
	}
	for _, p := range pairs {
		b = append(append(b, p[0]...), 0)
		b = append(append(b, p[1]...), 0)
	}
	return b
}

func TestAppendPairs(t *testing.T) {
	full := [][2]string{{":method", "POST"}, {":path", "/v1/messages"}, {"x-empty", ""}, {"", "v"}}
	whole := serializePairs(full)
	tests := []struct {
		name string
		in   []byte
		want [][2]string
	}{
		{"empty map", serializePairs(nil), nil},
		{"pairs, empty names and values", whole, full},
		{"nothing", nil, nil},
		{"short count", []byte{1, 0}, nil},
		{"count beyond the sizes", binary.LittleEndian.AppendUint32(nil, 1<<20), nil},
		{"cut in the last value", whole[:len(whole)-2], full[:3]},
		{"last NUL missing", whole[:len(whole)-1], full[:3]},
		{"size beyond the data", func() []byte {
			b := slices.Clone(whole)
			binary.LittleEndian.PutUint32(b[4:], 1<<30)
			return b
		}(), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := appendPairs(nil, tc.in)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("appendPairs = %q, want %q", got, tc.want)
			}
			// Appends after what dst holds.
			got = appendPairs([][2]string{{"a", "b"}}, tc.in)
			if len(got) != len(tc.want)+1 || got[0] != [2]string{"a", "b"} {
				t.Fatalf("appendPairs after one pair = %q", got)
			}
		})
	}
}
