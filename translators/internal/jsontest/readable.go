package jsontest

import (
	"errors"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// Readable checks what the gateway sends Gemini, a JSON document, for the
// two faults JSON validation lets through and Gemini's parser refuses:
// bytes that are not UTF-8, and an escaped UTF-16 surrogate without its
// other half. It decodes every escape the slow, obvious way (a JSON
// document has backslashes only in its strings), as a reference for the
// translators' fast checks.
func Readable(doc []byte) error {
	if !utf8.Valid(doc) {
		return errors.New("the document is not UTF-8")
	}
	for i := 0; i < len(doc); i++ {
		if doc[i] != '\\' {
			continue
		}
		i++
		if i >= len(doc) || doc[i] != 'u' || i+5 > len(doc) {
			continue
		}
		r1, err := strconv.ParseUint(string(doc[i+1:i+5]), 16, 32)
		i += 4
		if err != nil || !utf16.IsSurrogate(rune(r1)) {
			continue
		}
		if i+7 > len(doc) || string(doc[i+1:i+3]) != `\u` {
			return errors.New("a surrogate escape without its other half at " + strconv.Itoa(i-5))
		}
		r2, err := strconv.ParseUint(string(doc[i+3:i+7]), 16, 32)
		if err != nil || utf16.DecodeRune(rune(r1), rune(r2)) == utf8.RuneError {
			return errors.New("a surrogate escape without its other half at " + strconv.Itoa(i-5))
		}
		i += 6
	}
	return nil
}
