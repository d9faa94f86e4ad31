package gemini

import (
	"strconv"
	"strings"
	"testing"
	"unsafe"

	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// decls is the cache of these tests.
var decls DeclCache

// declare writes one declaration with decls as it is, and reports whether
// the cache served it.
func declare(name, desc, schema string) (decl string, hit bool) {
	d := Declarations{Cache: &decls}
	d.Start(nil)
	before := decls.hits
	if _, ok := d.Declare(name, jsonw.Quote(desc), gjson.Parse(schema)); !ok {
		return "refused", false
	}
	return string(d.Tools(Builtins{})), decls.hits > before
}

// uncached is what Declare writes without a cache.
func uncached(name, desc, schema string) string {
	var d Declarations
	d.Start(nil)
	d.Declare(name, jsonw.Quote(desc), gjson.Parse(schema))
	return string(d.Tools(Builtins{}))
}

func TestDeclCache(t *testing.T) {
	long := strings.Repeat("Reads a file from the local filesystem. ", 10)
	schema := `{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","properties":{"file_path":{"type":"string","minLength":1}},"required":["file_path"]}`
	tests := []struct {
		name, tool, desc, schema string
		hit                      bool // served by the cache, given the tools before it
	}{
		{"first sight", "Read", long, schema, false},
		{"the same tool again", "Read", long, schema, true},
		{"another name", "Read2", long, schema, false},
		{"one byte of the description differs", "Read", long + ".", schema, false},
		{"one byte of the schema differs", "Read", long, strings.Replace(schema, "minLength\":1", "minLength\":2", 1), false},
		{"the schema's white space differs", "Read", long, strings.Replace(schema, `{"type"`, `{ "type"`, 1), false},
		{"the first tool once more", "Read", long, schema, true},
		{"a small tool is not kept", "Tiny", "t", `{"type":"object"}`, false},
		{"...even when seen before", "Tiny", "t", `{"type":"object"}`, false},
		{"no schema", "NoSchema", long, ``, false},
		{"no schema again", "NoSchema", long, ``, true},
		{"a schema that is not an object", "NoSchema", long, `"x"`, false},
	}
	decls.entries = nil
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, hit := declare(tc.tool, tc.desc, tc.schema)
			if want := uncached(tc.tool, tc.desc, tc.schema); got != want {
				t.Fatalf("declaration\n%s\nwant\n%s", got, want)
			}
			if hit != tc.hit {
				t.Fatalf("served by the cache: %v, want %v", hit, tc.hit)
			}
		})
	}
}

// A refused schema (too deep) is refused again: refusals are not kept.
func TestDeclCacheKeepsNoRefusal(t *testing.T) {
	deep := strings.Repeat(`{"items":`, 300) + `{}` + strings.Repeat(`}`, 300)
	for range 2 {
		if got, _ := declare("Deep", "d", deep); got != "refused" {
			t.Fatalf("a schema nesting 300 levels was declared: %.80s", got)
		}
	}
}

// The strings kept are copies: a request body reused after its request
// cannot change what the next request is given.
func TestDeclCacheCopiesTheBody(t *testing.T) {
	decls.entries = nil
	body := []byte(`{"type":"object","description":"` + strings.Repeat("a", 300) + `"}`)
	schema := gjson.Parse(unsafeString(body)) // views body, as the translators do
	d := Declarations{Cache: &decls}
	d.Start(nil)
	d.Declare("T", `"desc"`, schema)
	first := string(d.Tools(Builtins{}))
	original := string(body)
	copy(body, strings.ReplaceAll(original, "aaa", "zzz"))
	got, hit := declare("T", "desc", unsafeString(body))
	if hit || strings.Contains(got, "aaa") {
		t.Fatalf("the changed body was served from the cache: hit %v, %.120s", hit, got)
	}
	if got, hit := declare("T", "desc", original); !hit || got != first {
		t.Fatalf("the first tool: hit %v, %.120s", hit, got)
	}
}

// However many tools come, the cache holds at most declCacheBytes.
func TestDeclCacheIsBounded(t *testing.T) {
	decls.entries = nil
	desc := strings.Repeat("d", 4000)
	for i := range 2000 {
		declare("T"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+strings.Repeat("y", i/26), desc, `{"type":"object"}`)
		if decls.bytes > declCacheBytes {
			t.Fatalf("after %d tools the cache holds %d bytes", i+1, decls.bytes)
		}
	}
	if decls.bytes < declCacheBytes/2 {
		t.Fatalf("the cache holds only %d bytes: is it used?", decls.bytes)
	}
}

func BenchmarkDeclare(b *testing.B) {
	desc := jsonw.Quote(strings.Repeat("Executes a given bash command with an optional timeout. ", 40))
	schema := gjson.Parse(`{"$schema":"http://json-schema.org/draft-07/schema#","type":"object","additionalProperties":false,"properties":{"command":{"type":"string","description":"The command to execute"},"timeout":{"type":"number","description":"Optional timeout in milliseconds (max 600000)"},"description":{"type":"string"},"run_in_background":{"type":"boolean"}},"required":["command"]}`)
	for _, bc := range []struct {
		name   string
		cached bool
	}{{"translated", false}, {"cached", true}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var d Declarations
			for b.Loop() {
				if !bc.cached {
					decls.entries = nil
				}
				d = Declarations{buf: d.buf[:0], Cache: &decls}
				d.Declare("Bash", desc, schema)
			}
		})
	}
}

func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// Several versions of a client declare the same name differently: each is
// kept, up to declVariants, and the oldest gives way.
func TestDeclCacheVariants(t *testing.T) {
	decls.entries = nil
	schema := func(i int) string {
		return `{"type":"object","description":"` + strings.Repeat("v", 300) + strings.Repeat("w", i) + `"}`
	}
	for i := range declVariants + 1 {
		if _, hit := declare("Read", "d", schema(i)); hit {
			t.Fatalf("variant %d served before it was seen", i)
		}
	}
	for i := 1; i <= declVariants; i++ {
		if _, hit := declare("Read", "d", schema(i)); !hit {
			t.Fatalf("variant %d not kept", i)
		}
	}
	if _, hit := declare("Read", "d", schema(0)); hit {
		t.Fatal("the oldest variant is still kept")
	}
}

// The names kept are copies too, also when a name is kept already (a map
// assignment replaces the key).
func TestDeclCacheCopiesNames(t *testing.T) {
	decls.entries = nil
	desc := strings.Repeat("d", 300)
	name := []byte("Edit")
	declare(unsafeString(name), desc, `{"type":"object"}`)
	declare(unsafeString(name), desc, `{"type":"object","x":1}`) // a second variant: the key is assigned again
	copy(name, "Xxxx")
	if _, hit := declare("Edit", desc, `{"type":"object"}`); !hit {
		t.Fatal("a name kept by the cache changed with the request's bytes")
	}
}

// A tool list kept whole is declared again as it was, names included;
// only the same list's bytes hit, only into declarations still empty,
// and the oldest of more than declLists lists gives way.
func TestDeclCacheLists(t *testing.T) {
	var c DeclCache
	schema := gjson.Parse(`{"type":"object","properties":{"path":{"type":"string"}}}`)
	keep := func(raw string, names ...string) string {
		d := Declarations{Cache: &c}
		d.Start([]byte(`{"contents":[]`))
		for _, n := range names {
			d.Declare(n, jsonw.Quote(strings.Repeat("does "+n+". ", 10)), schema)
		}
		set := map[string]bool{}
		for _, n := range names {
			set[n] = true
		}
		d.KeepList(raw, set)
		return string(d.Tools(Builtins{}))
	}
	list := func(i int) string { return `[{"name":"T` + strconv.Itoa(i) + `"}]` + strings.Repeat(" ", declCacheMin) }
	want := keep(list(0), "A", "B")
	tests := []struct {
		name, raw string
		declared  bool // something declared before the list
		hit       bool
	}{
		{"the list kept", list(0), false, true},
		{"one byte more", list(0) + " ", false, false},
		{"into declarations begun", list(0), true, false},
		{"a list too short to keep", `[]`, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := Declarations{Cache: &c}
			d.Start([]byte(`{"contents":[]`))
			if tc.declared {
				d.Declare("X", "", schema)
			}
			names, ok := DeclareList[map[string]bool](&d, tc.raw)
			if ok != tc.hit {
				t.Fatalf("hit %v, want %v", ok, tc.hit)
			}
			if ok && (string(d.Tools(Builtins{})) != want || len(names) != 2 || !names["A"] || !names["B"]) {
				t.Fatalf("declared %s with names %v, want %s and A,B", d.Tools(Builtins{}), names, want)
			}
		})
	}
	// A list declared into empty declarations views the kept bytes:
	// what is written after them (the tools' end, a built-in) must not
	// reach the cache.
	for range 2 {
		d := Declarations{Cache: &c}
		if _, ok := DeclareList[map[string]bool](&d, list(0)); !ok {
			t.Fatal("the kept list is not declared into empty declarations")
		}
		out := string(append([]byte(`{"contents":[]`), d.Tools(Builtins{Search: true})...))
		if !strings.HasPrefix(out, strings.TrimSuffix(want, "]}]")) || !strings.Contains(out, "googleSearch") {
			t.Fatalf("declared %s, want the kept list then Google Search", out)
		}
	}
	for i := 1; i <= declLists; i++ {
		keep(list(i), "A")
	}
	if _, ok := DeclareList[map[string]bool](&Declarations{Cache: &c}, list(0)); ok {
		t.Fatal("the oldest list is still kept after declLists newer ones")
	}
	if _, ok := DeclareList[map[string]bool](&Declarations{Cache: &c}, list(declLists)); !ok {
		t.Fatal("the newest list is not kept")
	}
	big := list(99) + strings.Repeat(" ", declCacheBytes/declLists)
	keep(big, "A")
	if _, ok := DeclareList[map[string]bool](&Declarations{Cache: &c}, big); ok {
		t.Fatal("a list over declCacheBytes/declLists is kept")
	}
}
