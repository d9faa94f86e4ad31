package gemini

import (
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
)

// DeclCache keeps the function declarations written for recent tools, by
// the tool's name, description and schema exactly as a client sent them.
// Coding agents send the same tools with every turn of a conversation:
// Claude Code 2.1's first request carries 12 tools, 32 KB of its 49 KB, and
// writing their declarations (escaping the long descriptions, cleaning the
// schemas) was about a quarter of translating such a request. A tool seen
// before is copied instead (Declarations.Cache).
//
// What a declaration holds is a function of those three strings alone
// (Declare), so a hit gives the bytes translating would give. Tools are
// found by name (hashing a short string), then description and schema are
// compared in full (jsondepth.Same: words at a time, far cheaper than reading
// them as JSON). The cache is bounded (declCacheBytes of strings and
// declarations together) and emptied when a new entry would not fit: a
// stream of ever-new tools costs one copy of each, never memory. Even a
// one-line tool costs far more to translate (schema cleaning, escaping)
// than to look up; only a name with an empty schema (under declCacheMin
// bytes) is not kept. One serves the requests of a VM (translator.Env has
// it), which runs one callback at a time: it is not for concurrent use.
type DeclCache struct {
	entries map[string][]declEntry // by name: the variants seen, newest last
	bytes   int
	hits    int // for tests

	// Whole tool lists, as the client wrote them: a coding agent sends the
	// same list with every turn, and a hit costs one compare of the list,
	// where finding each tool in entries costs a walk through its schema.
	// At most declLists, each under declCacheBytes/declLists, so they hold
	// at most as much again as entries; the oldest gives way.
	lists [declLists]declList
	next  int
	// known holds the lists' JSON for the next request's validation
	// (Known), known[i] for lists[i].
	known [declLists]jsondepth.Known
}

type declList struct {
	raw   string
	decls []byte // what Declarations wrote for the list
	n     int
	state any // what else the client's translator read from the list
}

type declEntry struct {
	desc, schema string
	decl         []byte
}

const (
	// declCacheBytes bounds what the cache holds: Claude Code's tools take
	// ~70 KB of it, so a VM keeps the tool sets of a dozen agents.
	declCacheBytes = 1 << 20
	// declCacheMin is the smallest tool (description and schema) kept:
	// below it there is no schema to clean and next to nothing to escape.
	declCacheMin = 64
	// declVariants is the most tools of one name kept (clients of several
	// versions declare the same name differently).
	declVariants = 4
	// declLists is the most tool lists kept: the agents a VM serves at
	// once, more or less.
	declLists = 4
)

// get appends the declaration kept for the tool to dst; ok is false when
// none is (or c is nil: no cache).
func (c *DeclCache) get(dst []byte, name, desc, schema string) (out []byte, ok bool) {
	if c == nil || len(desc)+len(schema) < declCacheMin {
		return dst, false
	}
	for _, e := range c.entries[name] {
		if jsondepth.Same(e.desc, desc) && jsondepth.Same(e.schema, schema) {
			c.hits++
			return append(dst, e.decl...), true
		}
	}
	return dst, false
}

// put keeps decl as the tool's declaration; the strings may view a request
// body, so they are copied.
func (c *DeclCache) put(name, desc, schema string, decl []byte) {
	size := len(name) + len(desc) + len(schema) + len(decl)
	if c == nil || len(desc)+len(schema) < declCacheMin || size > declCacheBytes/4 {
		return
	}
	if c.entries == nil || c.bytes+size > declCacheBytes {
		c.entries, c.bytes = make(map[string][]declEntry), 0
	}
	vs := c.entries[name]
	if len(vs) == declVariants {
		old := vs[0]
		c.bytes -= len(name) + len(old.desc) + len(old.schema) + len(old.decl)
		vs = append(vs[:0], vs[1:]...)
	}
	// The name is copied even for a name kept already: a map assignment
	// stores the key it is given in place of the equal one it holds.
	c.entries[strings.Clone(name)] = append(vs, declEntry{strings.Clone(desc), strings.Clone(schema), append([]byte(nil), decl...)})
	c.bytes += size
}

// DeclareList writes into d the declarations kept for the tool list raw
// (the client's JSON of its tools) and returns the state its translator
// kept with them (KeepList), which is the cache's: read it, never write
// it. ok is false, with nothing written, when no list of raw with a state
// of type T is kept, or d has declared something already. Into a d with
// no buffer yet (no Start), nothing is copied: d views the kept bytes, its
// capacity cut to their length so that an append copies them first.
func DeclareList[T any](d *Declarations, raw string) (state T, ok bool) {
	c := d.Cache
	if c == nil || len(raw) < declCacheMin || d.n != 0 {
		return state, false
	}
	for i := range c.lists {
		if l := &c.lists[i]; jsondepth.Same(l.raw, raw) {
			if state, ok = l.state.(T); ok {
				c.hits++
				if d.buf == nil {
					d.buf = l.decls[:len(l.decls):len(l.decls)]
				} else {
					d.buf = append(d.buf, l.decls...)
				}
				d.n += l.n
			}
			return state, ok
		}
	}
	return state, false
}

// KeepList keeps what d has declared since Start for the tool list raw,
// with state, what else the translator read from the list (it must not
// view the request body, and is never written again). The declarations
// and the state must be a function of raw alone: the whole list, each tool
// declared from its own JSON, nothing else (a list only partly declared,
// or with tools added from elsewhere, must not be kept).
func (d *Declarations) KeepList(raw string, state any) {
	c := d.Cache
	decls := d.buf[d.start:]
	if c == nil || len(raw) < declCacheMin || len(raw)+len(decls) > declCacheBytes/declLists {
		return
	}
	raw = strings.Clone(raw)
	c.lists[c.next] = declList{raw, append([]byte(nil), decls...), d.n, state}
	c.known[c.next] = jsondepth.Known{}
	if depth, valid := jsondepth.ValidString(raw); valid && depth < jsondepth.MaxDepth {
		c.known[c.next] = jsondepth.Known{Raw: raw, Depth: depth}
	}
	c.next = (c.next + 1) % declLists
}

// Known is the tool lists kept, for the validation of a request that may
// send one again (jsondepth.Commas): a coding agent's list, validated once
// when kept, is then recognised by a compare where the validation would
// read it all, and found in the cache by another. Nil without a cache.
func (c *DeclCache) Known() []jsondepth.Known {
	if c == nil {
		return nil
	}
	return c.known[:]
}
