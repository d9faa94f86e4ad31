package apierror

import "strconv"

// Path names a parameter inside a request's messages without building the
// name: the translators carry one through every message and content part
// and build the string only for the error that names it (a name per
// message and per part cost an allocation each in every request).
//
// The name is Base, then element I of it, then Mid, then element J (of
// Mid, or of Base when Mid is ""); a negative index is left out. Dots
// writes the indices
// as Anthropic does (messages.3.content.0), else as OpenAI does
// (messages[3].content[0]).
type Path struct {
	Base, Mid string
	I, J      int
	Dots      bool
}

// Elem is the path of element j (of Mid).
func (p Path) Elem(j int) Path {
	p.J = j
	return p
}

// At is the name of field sub of p (sub is ".text", say; "" names p).
// Not inlined: it is called only on error paths.
//
//go:noinline
func (p Path) At(sub string) string {
	b := make([]byte, 0, len(p.Base)+len(p.Mid)+len(sub)+24)
	b = append(b, p.Base...)
	if p.I >= 0 {
		b = p.index(b, p.I)
	}
	b = append(b, p.Mid...)
	if p.J >= 0 {
		b = p.index(b, p.J)
	}
	return string(append(b, sub...))
}

func (p Path) index(b []byte, i int) []byte {
	if p.Dots {
		return strconv.AppendInt(append(b, '.'), int64(i), 10)
	}
	return append(strconv.AppendInt(append(b, '['), int64(i), 10), ']')
}

// Itoa is strconv.Itoa for the numbers of error messages and paths, not
// inlined: strconv.Itoa's fast path was copied into some sixty call sites
// of the Wasm module, almost all on error paths.
//
//go:noinline
func Itoa(n int) string { return strconv.Itoa(n) }
