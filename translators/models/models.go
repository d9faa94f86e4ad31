// Package models maps the model names clients ask for to Gemini models.
package models

import (
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
)

// DefaultAliases is the seed's model map, pointed at models Gemini still
// serves: the seed's gemini-2.5-pro and gemini-2.5-flash were shut down in
// 2026, and text-embedding-004 on January 14, 2026 (a shut-down model
// answers 404). The strong names go to Gemini 4 Argon, Google's most
// capable generally available model, the fast ones to Gemini 3.8 Flash,
// and embeddings to gemini-embedding-001. Users extend or override it in
// the plugin configuration.
func DefaultAliases() map[string]string {
	return map[string]string{
		"gpt-4":                      Strong,
		"gpt-4o":                     Strong,
		"gpt-3.5-turbo":              Fast,
		"claude-3-5-sonnet-20241022": Strong,
		"claude-3-5-haiku-20241022":  Fast,
		"text-embedding-ada-002":     "gemini-embedding-001",
	}
}

// The default targets of the model map: the strong model serves the names
// of clients' best models, the fast one their small models.
const (
	Strong = "gemini-4-argon"
	Fast   = "gemini-3.8-flash"
)

// DefaultFamilies maps Claude model families to Gemini models, so that any
// current or future claude-*-opus/sonnet/haiku name works without a config
// change (Claude Code picks its own model names and changes them often).
func DefaultFamilies() map[string]string {
	return map[string]string{
		"opus":   Strong,
		"sonnet": Strong,
		"haiku":  Fast,
	}
}

// nativePrefixes are Gemini API model names that pass through unchanged.
var nativePrefixes = []string{"gemini-", "gemma-", "text-embedding-", "embedding-", "learnlm-", "imagen-", "veo-", "aqa"}

// Map resolves client model names. The zero value passes every name through.
type Map struct {
	Aliases  map[string]string // exact client name -> Gemini model
	Families map[string]string // claude family word -> Gemini model
	// Fallback, when set, serves names that are neither aliases, Claude
	// family names nor Gemini names; empty passes them through so Gemini
	// answers with its own 404.
	Fallback string
}

// Default returns the map with the seed's aliases and the Claude families.
func Default() *Map {
	return &Map{Aliases: DefaultAliases(), Families: DefaultFamilies()}
}

// Resolve returns the Gemini model for a client's model name. A "models/"
// prefix is accepted, as Gemini's own clients send it.
func (m *Map) Resolve(name string) string {
	name = strings.TrimPrefix(strings.TrimSpace(name), "models/")
	if g, ok := m.Aliases[name]; ok {
		return g
	}
	lower := strings.ToLower(name)
	if g, ok := m.Aliases[lower]; ok {
		return g
	}
	for _, p := range nativePrefixes {
		if strings.HasPrefix(lower, p) {
			return name
		}
	}
	if strings.HasPrefix(lower, "claude") {
		for _, fam := range [...]string{"opus", "sonnet", "haiku"} {
			if g, ok := m.Families[fam]; ok && strings.Contains(lower, fam) {
				return g
			}
		}
	}
	if m.Fallback != "" {
		return m.Fallback
	}
	return name
}

// ValidName reports whether name can be put in a Gemini URL path segment
// as is: Gemini model ids are lowercase letters, digits, '-', '.' and '_'.
// Anything else (a '/', '?', '%', ':' or space) is refused before it reaches
// the upstream path.
func ValidName(name string) bool {
	if name == "" || len(name) > 128 {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_':
		default:
			return false
		}
	}
	return true
}

// MaxClientNameLen is the longest model name a client may send, in bytes.
// Real names (claude-sonnet-4-5-20250929, models/gemini-2.5-pro,
// ft:gpt-4o-mini:org:suffix:id) are well under a hundred; the name is
// echoed in answers and written to the access log and filter state, so it
// must stay short.
const MaxClientNameLen = 256

// CheckClientName vets the model name a client sent, before it is resolved,
// echoed or logged: at most MaxClientNameLen bytes of the characters a model
// name or alias is made of (ASCII letters, digits and . _ - : / @ +). A
// newline or a control character would forge access-log lines. It returns a
// 400 on `model` that names the rule, without echoing the name.
func CheckClientName(name string) *apierror.Error {
	if name == "" {
		return apierror.Invalid("model", "The model name is empty.")
	}
	if len(name) > MaxClientNameLen {
		return apierror.Invalid("model", "The model name is "+apierror.Itoa(len(name))+" bytes long; the gateway accepts at most "+apierror.Itoa(MaxClientNameLen)+".")
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '.', c == '_', c == '-', c == ':', c == '/', c == '@', c == '+':
		default:
			r, _ := utf8.DecodeRuneInString(name[i:])
			return apierror.Invalid("model", "The model name contains "+strconv.QuoteRuneToASCII(r)+" at byte "+apierror.Itoa(i)+"; a model name holds only letters, digits and . _ - : / @ +")
		}
	}
	return nil
}

// ResolveClient checks a client's model name (CheckClientName) and
// resolves it: client is a copy of name, because a name read by gjson
// points into a copy of the whole request body, and a request lives as long
// as its answer (a stream's whole duration) and must not pin that copy.
// upstream is "" when the map resolves the name to something that is not a
// valid Gemini model name, a refusal each protocol words its own way.
func (m *Map) ResolveClient(name string) (client, upstream string, e *apierror.Error) {
	if e := CheckClientName(name); e != nil {
		return "", "", e
	}
	client = strings.Clone(name)
	if upstream = m.Resolve(client); !ValidName(upstream) {
		upstream = ""
	}
	return client, upstream, nil
}
