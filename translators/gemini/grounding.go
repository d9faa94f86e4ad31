package gemini

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// Source is a web page Gemini grounded an answer on: a groundingChunks
// entry's `web` (its uri is usually Google's grounding-api-redirect link and
// its title the site's domain).
type Source struct{ URI, Title string }

// URLRead is one URL the urlContext tool read (urlContextMetadata).
type URLRead struct {
	URL    string
	Status string // URL_RETRIEVAL_STATUS_SUCCESS, _ERROR, _PAYWALL, _UNSAFE, _UNSPECIFIED
}

// Citation ties a span of the answer's visible text to a source.
type Citation struct {
	Start, End int    // byte offsets in the visible text (Grounding.Text)
	Text       string // the cited text; valid during the event
	Source     int    // index into Grounding.Sources
}

// Grounding follows the grounding metadata of one candidate through an
// answer, for every client protocol. Gemini puts groundingMetadata (web
// search) and urlContextMetadata (URL context) on the candidate, in a
// complete answer once and in a stream on one event or repeated, growing,
// on several; so each query, source, URL and support is reported once,
// however often it is repeated, and whichever event first carries it.
//
// groundingSupports locate the cited text by UTF-8 byte offsets
// (segment.startIndex/endIndex, "measured in bytes" from the start of
// segment.partIndex) while clients count characters, so the tracker keeps
// the visible (non-thought) text of the answer: the translators feed it as
// they emit it, and it is kept only for requests that enabled a built-in
// tool. A support is placed where its offsets and its segment.text agree
// (offsets over the whole text, then from the start of its part); when
// they do not, its text is searched for, so a citation is never put on the
// wrong words.
type Grounding struct {
	Sources []Source
	Queries int // web search queries reported so far (Gemini bills per query)
	URLs    int // URLs read so far

	text []byte
	// parts maps the index of each visible text part of the current event
	// to the offset where its text starts.
	parts []partStart
	gm    gjson.Result // the current event's groundingMetadata
	// chunkSource maps the current event's groundingChunks indices to
	// Sources (-1: not a web chunk).
	chunkSource []int

	seenQuery   map[string]bool
	seenSource  map[string]int
	seenURL     map[string]bool
	seenSupport map[string]bool
	cursor      int // end of the last placed segment: where a text search starts
	runeAt      int // rune count cache: runeN runes in text[:runeAt]
	runeN       int
}

type partStart struct{ index, offset int }

// Pending is what grounding reported that the client has not been shown
// yet, kept by a client's part machine from event to event: Gemini may
// report a search's queries before its sources, and a client shows a
// search once, with what it found.
type Pending struct {
	Queries  []string  // search queries waiting for their sources
	Sources  []int     // sources (indices into Grounding.Sources) waiting to be shown
	URLs     []URLRead // URLs read (URL context) waiting to be shown
	Searched bool      // a search was shown: sources that follow belong to it
}

// Add queues what g reads of cand's grounding (Grounding.Event); the URLs
// read only with urls (a client that shows them).
func (p *Pending) Add(g *Grounding, cand gjson.Result, urls bool) {
	q, src, u := g.Event(cand)
	p.Queries = append(p.Queries, q...)
	p.Sources = append(p.Sources, src...)
	if urls {
		p.URLs = append(p.URLs, u...)
	}
}

// Ready reports whether there is something to show: URLs read; a search
// once it has sources, and sources that follow a search shown; queries
// without sources wait for theirs until the end (final).
func (p *Pending) Ready(final bool) bool {
	return len(p.URLs) > 0 || len(p.Sources) > 0 && (len(p.Queries) > 0 || p.Searched) ||
		final && len(p.Queries) > 0
}

// SearchShown empties the search queue once the client was shown it.
func (p *Pending) SearchShown() {
	p.Queries, p.Sources, p.Searched = p.Queries[:0], p.Sources[:0], true
}

// Event reads the grounding of a candidate (one stream event, or the
// whole answer) and returns what it reports for the first time: search
// queries, sources (indices into Sources) and URLs read. The candidate's
// supports are kept for Cite until the next call; strings returned are
// copies.
func (g *Grounding) Event(cand gjson.Result) (queries []string, sources []int, urls []URLRead) {
	g.parts = g.parts[:0]
	g.chunkSource = g.chunkSource[:0]
	g.gm = cand.Get("groundingMetadata")
	if g.gm.IsObject() {
		g.gm.Get("webSearchQueries").ForEach(func(_, q gjson.Result) bool {
			if q.Type != gjson.String || q.Str == "" || g.seenQuery[q.Str] {
				return true
			}
			if g.seenQuery == nil {
				g.seenQuery = make(map[string]bool)
			}
			s := strings.Clone(q.Str)
			g.seenQuery[s] = true
			queries = append(queries, s)
			g.Queries++
			return true
		})
		g.gm.Get("groundingChunks").ForEach(func(_, c gjson.Result) bool {
			web := c.Get("web")
			uri := web.Get("uri").Str
			if uri == "" {
				g.chunkSource = append(g.chunkSource, -1) // retrievedContext, maps...: no web page
				return true
			}
			k, ok := g.seenSource[uri]
			if !ok {
				if g.seenSource == nil {
					g.seenSource = make(map[string]int)
				}
				k = len(g.Sources)
				uri = strings.Clone(uri)
				g.seenSource[uri] = k
				g.Sources = append(g.Sources, Source{URI: uri, Title: strings.Clone(web.Get("title").Str)})
				sources = append(sources, k)
			}
			g.chunkSource = append(g.chunkSource, k)
			return true
		})
	}
	cand.Get("urlContextMetadata.urlMetadata").ForEach(func(_, u gjson.Result) bool {
		url := u.Get("retrievedUrl").Str
		if url == "" || g.seenURL[url] {
			return true
		}
		if g.seenURL == nil {
			g.seenURL = make(map[string]bool)
		}
		url = strings.Clone(url)
		g.seenURL[url] = true
		urls = append(urls, URLRead{URL: url, Status: strings.Clone(u.Get("urlRetrievalStatus").Str)})
		g.URLs++
		return true
	})
	return queries, sources, urls
}

// AddText records visible text of the answer: part is the index of its
// part in the current event's parts.
func (g *Grounding) AddText(part int, s string) {
	if n := len(g.parts); n == 0 || g.parts[n-1].index != part {
		g.parts = append(g.parts, partStart{part, len(g.text)})
	}
	g.text = append(g.text, s...)
}

// Len is the length in bytes of the visible text so far.
func (g *Grounding) Len() int { return len(g.text) }

// Text is the visible text so far.
func (g *Grounding) Text() []byte { return g.text }

// Cite calls fn for each citation of the current event's supports that can
// be placed in the text seen so far and was not reported before, one per
// source a support names. A support that cannot be placed yet (its text
// has not arrived) is tried again on later calls.
func (g *Grounding) Cite(fn func(Citation)) {
	if !g.gm.IsObject() {
		return
	}
	g.gm.Get("groundingSupports").ForEach(func(_, sup gjson.Result) bool {
		if g.seenSupport[sup.Raw] {
			return true
		}
		seg := sup.Get("segment")
		start, end, ok := g.place(seg)
		if !ok {
			return true
		}
		if g.seenSupport == nil {
			g.seenSupport = make(map[string]bool)
		}
		g.seenSupport[strings.Clone(sup.Raw)] = true
		text := seg.Get("text").Str
		if text == "" {
			text = string(g.text[start:end])
		}
		sup.Get("groundingChunkIndices").ForEach(func(_, i gjson.Result) bool {
			if k := int(i.Int()); k >= 0 && k < len(g.chunkSource) && g.chunkSource[k] >= 0 {
				fn(Citation{Start: start, End: end, Text: text, Source: g.chunkSource[k]})
			}
			return true
		})
		return true
	})
}

// place finds the byte span of a segment in the visible text.
func (g *Grounding) place(seg gjson.Result) (start, end int, ok bool) {
	s, e := int(seg.Get("startIndex").Int()), int(seg.Get("endIndex").Int())
	want := seg.Get("text").Str
	fits := func(s, e int) bool {
		if s < 0 || s >= e || e > len(g.text) {
			return false
		}
		if want != "" {
			return string(g.text[s:e]) == want
		}
		// No text to check against: the offsets must at least cut whole
		// characters.
		return utf8.RuneStart(g.text[s]) && (e == len(g.text) || utf8.RuneStart(g.text[e]))
	}
	found := func(s, e int) (int, int, bool) {
		g.cursor = e
		return s, e, true
	}
	// The API documents offsets from the start of the segment's part;
	// answers also carry them over the whole text. With the segment's text
	// to check, either is safe; without it, the documented reading goes
	// first.
	base := -1
	pi := int(seg.Get("partIndex").Int())
	for _, p := range g.parts {
		if p.index == pi {
			base = p.offset
		}
	}
	if want == "" && base >= 0 && fits(base+s, base+e) {
		return found(base+s, base+e)
	}
	if fits(s, e) {
		return found(s, e)
	}
	if base >= 0 && fits(base+s, base+e) {
		return found(base+s, base+e)
	}
	if want == "" {
		return 0, 0, false
	}
	if i := bytes.Index(g.text[min(g.cursor, len(g.text)):], []byte(want)); i >= 0 {
		s = min(g.cursor, len(g.text)) + i
		return found(s, s+len(want))
	}
	if i := bytes.Index(g.text, []byte(want)); i >= 0 {
		return found(i, i+len(want))
	}
	return 0, 0, false
}

// Runes counts the characters (Unicode code points) of the visible text
// between two byte offsets: the unit OpenAI's annotation indices count in.
func (g *Grounding) Runes(from, to int) int { return g.runesBefore(to) - g.runesBefore(from) }

// runesBefore counts the runes of text[:b], continuing from the last count
// when b is further on (citations come mostly in text order).
func (g *Grounding) runesBefore(b int) int {
	b = min(max(b, 0), len(g.text))
	if b < g.runeAt {
		g.runeAt, g.runeN = 0, 0
	}
	g.runeN += utf8.RuneCount(g.text[g.runeAt:b])
	g.runeAt = b
	return g.runeN
}

// Truncate returns s cut to at most n characters (code points), never
// inside a character.
func Truncate(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// SearchHint is an instruction carrying the search settings Google Search
// has no parameter for (the Gemini API's GoogleSearch takes only a time
// range; excludeDomains is Vertex AI's): the domains to keep to or avoid
// and the user's approximate location go to the model, which writes the
// queries. It is advice, not a filter: "" when there is nothing to say.
func SearchHint(allowed, blocked []string, location string) string {
	var b strings.Builder
	if len(allowed) > 0 {
		b.WriteString("When searching the web, use only results from these domains: ")
		b.WriteString(strings.Join(allowed, ", "))
		b.WriteString(".")
	}
	if len(blocked) > 0 {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("When searching the web, never use results from these domains: ")
		b.WriteString(strings.Join(blocked, ", "))
		b.WriteString(".")
	}
	if location != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("The user's approximate location, for searches where it matters: ")
		b.WriteString(location)
		b.WriteString(".")
	}
	return b.String()
}
