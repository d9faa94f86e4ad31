// Package sse is an incremental parser for Server-Sent Events.
//
// Envoy hands the filter an upstream body in chunks that split anywhere: in
// the middle of a line, between the CR and LF of a CRLF, inside a multi-byte
// UTF-8 character. The parser keeps only the unfinished line and the data of
// the unfinished event, so memory stays bounded by one event whatever the
// stream length, and every complete event is delivered as soon as its blank
// line arrives (Gemini frames events with "\r\n\r\n"; splitting on "\n\n"
// alone would stall until the end of the stream).
package sse

import "bytes"

// Event is one dispatched event. Data holds the data lines joined with "\n".
// Bare is set for a line that is not an SSE field but a JSON value ("{" or
// "["): Gemini reports some mid-stream failures that way.
type Event struct {
	Name string
	Data []byte
	Bare bool
}

// Parser turns chunks into events. The zero value is ready to use.
type Parser struct {
	line    []byte // unfinished line carried over from the previous chunk
	data    []byte // data of the event being built
	name    string
	hasData bool
	skipLF  bool // the previous chunk ended in '\r': a leading '\n' belongs to it
	// MaxEvent bounds an event's size; 0 means 8 MiB. A larger event is an
	// error instead of unbounded growth.
	MaxEvent int
}

// ErrTooLarge is returned when an event or line exceeds MaxEvent.
type ErrTooLarge struct{ Limit int }

func (e ErrTooLarge) Error() string {
	return "sse: event larger than the limit of " + itoa(e.Limit) + " bytes"
}

func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for n >= 10 {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
	}
	i--
	b[i] = byte('0' + n)
	return string(b[i:])
}

func (p *Parser) limit() int {
	if p.MaxEvent > 0 {
		return p.MaxEvent
	}
	return 8 << 20
}

// Feed parses chunk and calls emit for each complete event, in order. The
// Event's Data is only valid during the call.
func (p *Parser) Feed(chunk []byte, emit func(Event) error) error {
	if p.skipLF && len(chunk) > 0 {
		p.skipLF = false
		if chunk[0] == '\n' {
			chunk = chunk[1:]
		}
	}
	for len(chunk) > 0 {
		i := lineEnd(chunk)
		if i < 0 {
			if len(p.line)+len(chunk) > p.limit() {
				return ErrTooLarge{p.limit()}
			}
			p.line = append(p.line, chunk...)
			return nil
		}
		var line []byte
		if len(p.line) > 0 {
			p.line = append(p.line, chunk[:i]...)
			line = p.line
		} else {
			line = chunk[:i]
		}
		next := i + 1
		if chunk[i] == '\r' {
			if next < len(chunk) {
				if chunk[next] == '\n' {
					next++
				}
			} else {
				p.skipLF = true
			}
		}
		chunk = chunk[next:]
		if p.single(line, chunk) {
			// An event of one data line, its blank line in this chunk
			// too (every event of Gemini's): delivered from the chunk,
			// never copied.
			value := line[5:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
			if len(value)+1 > p.limit() {
				return ErrTooLarge{p.limit()}
			}
			n := 1 // the blank line's end
			if chunk[0] == '\r' {
				if len(chunk) == 1 {
					p.skipLF = true
				} else if chunk[1] == '\n' {
					n = 2
				}
			}
			chunk = chunk[n:]
			ev := Event{Name: p.name, Data: value}
			p.name = ""
			if err := emit(ev); err != nil {
				return err
			}
			continue
		}
		err := p.processLine(line, emit)
		p.line = p.line[:0]
		if err != nil {
			return err
		}
	}
	return nil
}

// single reports whether line (read from the chunk, nothing carried over)
// is an event's only data line with its blank line starting rest: what
// processLine and dispatch would deliver as it is.
func (p *Parser) single(line, rest []byte) bool {
	if len(p.line) > 0 || p.hasData || len(rest) == 0 || rest[0] != '\r' && rest[0] != '\n' {
		return false
	}
	return len(line) >= 5 && line[0] == 'd' && line[1] == 'a' && line[2] == 't' && line[3] == 'a' && line[4] == ':'
}

// lineEnd is the index of the first '\r' or '\n' in b, or -1. Two
// IndexByte scans rather than bytes.IndexAny: IndexByte is a word-at-a-time
// loop in assembly, also in the Wasm build, where IndexAny's byte loop
// cost several microseconds per event (issue #13).
func lineEnd(b []byte) int {
	n := bytes.IndexByte(b, '\n')
	head := b
	if n >= 0 {
		head = b[:n]
	}
	if r := bytes.IndexByte(head, '\r'); r >= 0 {
		return r
	}
	return n
}

// Finish dispatches an event left unterminated at the end of the stream.
// (The SSE spec discards it; a gateway is better off delivering what the
// upstream managed to send.)
func (p *Parser) Finish(emit func(Event) error) error {
	if len(p.line) > 0 {
		line := p.line
		p.line = nil
		if err := p.processLine(line, emit); err != nil {
			return err
		}
	}
	return p.dispatch(emit)
}

func (p *Parser) processLine(line []byte, emit func(Event) error) error {
	if len(line) == 0 {
		return p.dispatch(emit)
	}
	switch line[0] {
	case ':':
		return nil // comment
	case '{', '[':
		if err := p.dispatch(emit); err != nil {
			return err
		}
		return emit(Event{Data: line, Bare: true})
	}
	field, value := line, []byte(nil)
	if c := bytes.IndexByte(line, ':'); c >= 0 {
		field, value = line[:c], line[c+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	// A comparison with a constant calls runtime.memequal in Wasm: the
	// data field, on every event, is compared by its bytes.
	switch {
	case len(field) == 4 && field[0] == 'd' && field[1] == 'a' && field[2] == 't' && field[3] == 'a':
		if len(p.data)+len(value)+1 > p.limit() {
			return ErrTooLarge{p.limit()}
		}
		if p.hasData {
			p.data = append(p.data, '\n')
		}
		p.data = append(p.data, value...)
		p.hasData = true
	case string(field) == "event":
		p.name = string(value)
	}
	// id, retry and unknown fields carry nothing a translator needs.
	return nil
}

func (p *Parser) dispatch(emit func(Event) error) error {
	if !p.hasData {
		p.name = ""
		return nil
	}
	ev := Event{Name: p.name, Data: p.data}
	p.data = p.data[:0]
	p.hasData = false
	p.name = ""
	return emit(ev)
}
