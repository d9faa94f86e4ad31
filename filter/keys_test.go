package filter

import (
	"net/url"
	"strings"
	"testing"
)

func TestQueryKeysTable(t *testing.T) {
	tests := []struct {
		name, path string
		keys       []string
		stripped   string
	}{
		{"no query", "/v1beta/models", nil, "/v1beta/models"},
		{"no key", "/v1beta/models?pageSize=5&alt=json", nil, "/v1beta/models?pageSize=5&alt=json"},
		{"exact", "/m?key=a", []string{"a"}, "/m"},
		{"value decoded", "/m?alt=sse&key=a%2Bb&key=c", []string{"a+b", "c"}, "/m?alt=sse"},
		{"upper case", "/m?KEY=a&alt=sse", []string{"a"}, "/m?alt=sse"},
		{"mixed case", "/m?alt=sse&kEy=a", []string{"a"}, "/m?alt=sse"},
		{"percent-encoded name", "/m?%6Bey=a&alt=sse", []string{"a"}, "/m?alt=sse"},
		{"fully encoded upper", "/m?%4B%45%59=a", []string{"a"}, "/m"},
		{"encoded lower hex", "/m?%6b%65%79=a", []string{"a"}, "/m"},
		{"no value", "/m?key&alt=sse", []string{""}, "/m?alt=sse"},
		{"others kept byte for byte", "/m?a=%2F%2f&key=k&b=x+y&c", []string{"k"}, "/m?a=%2F%2f&b=x+y&c"},
		{"similar names kept", "/m?keys=1&akey=2&key_=3&ke=4", nil, "/m?keys=1&akey=2&key_=3&ke=4"},
		{"double encoding is not a key", "/m?%256Bey=1", nil, "/m?%256Bey=1"},
		{"bad escape kept", "/m?%zzkey=1&key%=2", nil, "/m?%zzkey=1&key%=2"},
	}
	for _, tt := range tests {
		keys, stripped := queryKeys(tt.path)
		if strings.Join(keys, "|") != strings.Join(tt.keys, "|") || len(keys) != len(tt.keys) || stripped != tt.stripped {
			t.Errorf("%s: queryKeys(%q) = %q, %q; want %q, %q", tt.name, tt.path, keys, stripped, tt.keys, tt.stripped)
		}
	}
}

// FuzzQueryKeys: whatever the path, no parameter that a server decoding the
// query would read as `key` survives, every other parameter is kept as it
// was and in order, and each removed parameter is returned as a key.
func FuzzQueryKeys(f *testing.F) {
	for _, s := range []string{"/m?key=a", "/m?KEY=a&alt=sse", "/m?%6Bey=a", "/m?a=1&&b=2", "/m?%", "/m?k%65y=%", "/x", "/m?=&=", "/m?%E2%84%AAey=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, path string) {
		keys, stripped := queryKeys(path)
		base, query, hasQuery := strings.Cut(path, "?")
		sbase, squery, _ := strings.Cut(stripped, "?")
		if sbase != base {
			t.Fatalf("path part changed: %q -> %q", path, stripped)
		}
		var want []string
		removed := 0
		if hasQuery {
			for _, kv := range strings.Split(query, "&") {
				name, _, _ := strings.Cut(kv, "=")
				if n, err := url.QueryUnescape(name); err == nil && strings.EqualFold(n, "key") {
					removed++
					continue
				}
				want = append(want, kv)
			}
		}
		var got []string
		if squery != "" {
			got = strings.Split(squery, "&")
		}
		for _, kv := range got {
			name, _, _ := strings.Cut(kv, "=")
			if n, err := url.QueryUnescape(name); err == nil && strings.EqualFold(n, "key") {
				t.Fatalf("key parameter %q survived in %q (from %q)", kv, stripped, path)
			}
		}
		// Empty pieces ("&&") may be dropped once something was removed.
		if removed > 0 {
			want = nonEmpty(want)
			got = nonEmpty(got)
		}
		if strings.Join(got, "&") != strings.Join(want, "&") {
			t.Fatalf("other parameters changed: %q -> %q", path, stripped)
		}
		if len(keys) != removed {
			t.Fatalf("%d key parameters removed, %d keys returned (%q)", removed, len(keys), path)
		}
	})
}

func nonEmpty(in []string) []string {
	var out []string
	for _, s := range in {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func TestQueryUnescapeMatchesNetURL(t *testing.T) {
	for _, in := range []string{"", "AIza", "a+b", "%41%7a", "%4", "%zz", "%", "a%2Bb%2C", "%e2%82%ac", "100%", "%%41"} {
		want, err := url.QueryUnescape(in)
		got, ok := queryUnescape(in)
		if ok != (err == nil) || ok && got != want {
			t.Errorf("queryUnescape(%q) = %q, %v; net/url: %q, %v", in, got, ok, want, err)
		}
	}
}
