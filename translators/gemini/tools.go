package gemini

import (
	"github.com/gemini-code-api/gemini-code-api/translators/jsonw"
	"github.com/tidwall/gjson"
)

// MaxTools is the most tools (function declarations) one request may
// declare. Claude Code with several MCP servers declares a few hundred;
// 512 leaves room for that while bounding the work, and the size of the
// Gemini request, that one client request can ask for.
const MaxTools = 512

// Declarations are a request's function declarations, written as the
// client's tools are read. They are written in place at the end of the
// request being built (Start, then Tools), or, for a request whose tools
// come after parts that depend on them, kept until AppendTools.
type Declarations struct {
	buf   []byte // `,"tools":[{"functionDeclarations":[` and the declarations, after Start's request
	start int    // where they start in buf
	n     int
	// Cache, when set, keeps the declarations of tools for the requests
	// that declare them again.
	Cache *DeclCache
}

// Start writes the declarations at the end of out; Tools returns it.
func (d *Declarations) Start(out []byte) { d.buf, d.start = out, len(out) }

// Len is the number of declarations.
func (d *Declarations) Len() int { return d.n }

// Declare writes a declaration: its name, its description when there is
// one (a string token, as jsonidx.Text gives it), and params, the
// parameters' JSON schema cleaned to Gemini's subset (CleanSchema; none
// when params is not an object). ok is false, with the
// depth reached, for a schema nested deeper than the gateway reads. A tool
// in d.Cache is copied from it.
func (d *Declarations) Declare(name string, description jsonw.Quoted, params gjson.Result) (depth int, ok bool) {
	d.next()
	var hit bool
	if d.buf, hit = d.Cache.get(d.buf, name, string(description), params.Raw); hit {
		return 0, true
	}
	start := len(d.buf)
	d.head(name, description)
	if params.IsObject() {
		d.buf = append(d.buf, `,"parametersJsonSchema":`...)
		if d.buf, depth, ok = CleanSchema(d.buf, params, true); !ok {
			return depth, false
		}
	}
	d.buf = append(d.buf, '}')
	d.Cache.put(name, string(description), params.Raw, d.buf[start:])
	return 0, true
}

// DeclareSchema writes a declaration whose parameters' schema the gateway
// wrote itself (already in Gemini's subset).
func (d *Declarations) DeclareSchema(name, description, params string) {
	d.open(name, jsonw.Quote(description))
	d.buf = append(d.buf, `,"parametersJsonSchema":`...)
	d.buf = append(d.buf, params...)
	d.buf = append(d.buf, '}')
}

func (d *Declarations) open(name string, description jsonw.Quoted) {
	d.next()
	d.head(name, description)
}

// next opens the declarations or separates the next one.
func (d *Declarations) next() {
	if d.n == 0 {
		d.buf = append(d.buf, `,"tools":[{"functionDeclarations":[`...)
	} else {
		d.buf = append(d.buf, ',')
	}
	d.n++
}

// head writes a declaration's name and description.
func (d *Declarations) head(name string, description jsonw.Quoted) {
	d.buf = append(d.buf, `{"name":`...)
	d.buf = jsonw.String(d.buf, name)
	if !description.Empty() {
		d.buf = append(d.buf, `,"description":`...)
		d.buf = append(d.buf, description...)
	}
}

// Tools ends the `tools` of Start's request and returns it: a
// functionDeclarations tool with the declarations, then the built-in tools
// send, each a tool of its own; nothing when there is neither.
func (d *Declarations) Tools(send Builtins) []byte { return closeTools(d.buf, d.n > 0, send) }

// AppendTools writes the `tools` of declarations kept (no Start) at the end
// of out, as Tools does.
func (d *Declarations) AppendTools(out []byte, send Builtins) []byte {
	return closeTools(append(out, d.buf...), d.n > 0, send)
}

// closeTools ends the tools: the declarations' array and tool, then the
// built-in tools send. Not inlined: Tools and AppendTools are, at each
// translator.
//
//go:noinline
func closeTools(out []byte, opened bool, send Builtins) []byte {
	if opened {
		out = append(out, "]}"...)
	}
	for _, t := range [...]struct {
		on   bool
		tool string
	}{{send.Search, `{"googleSearch":{}}`}, {send.URLContext, `{"urlContext":{}}`}} {
		if !t.on {
			continue
		}
		if opened {
			out = append(out, ',')
		} else {
			out = append(out, `,"tools":[`...)
			opened = true
		}
		out = append(out, t.tool...)
	}
	if opened {
		out = append(out, ']')
	}
	return out
}

// ToolConfig is a request's toolConfig: the function-calling mode (AUTO,
// ANY, NONE, VALIDATED; "" leaves Gemini's default), the functions the
// model may call (none named: any), and Combine, set when built-in tools
// are mixed with functions (Gemini 3 refuses the mix without
// includeServerSideToolInvocations).
type ToolConfig struct {
	Mode    string
	Allowed []string
	Combine bool
}

// AppendToolConfig writes `,"toolConfig":{…}` for a request with the
// declarations d. Nothing is written without declarations (Gemini refuses
// a functionCallingConfig without function_declarations, and built-ins
// alone need no toolConfig) or when the config says nothing.
func (d *Declarations) AppendToolConfig(out []byte, c ToolConfig) []byte {
	if d.n == 0 || c.Mode == "" && !c.Combine {
		return out
	}
	out = append(out, `,"toolConfig":{`...)
	if c.Mode != "" {
		out = append(out, `"functionCallingConfig":{"mode":"`...)
		out = append(out, c.Mode...)
		out = append(out, '"')
		if len(c.Allowed) > 0 {
			out = append(out, `,"allowedFunctionNames":[`...)
			for i, n := range c.Allowed {
				if i > 0 {
					out = append(out, ',')
				}
				out = jsonw.String(out, n)
			}
			out = append(out, ']')
		}
		out = append(out, '}')
		if c.Combine {
			out = append(out, ',')
		}
	}
	if c.Combine {
		out = append(out, `"includeServerSideToolInvocations":true`...)
	}
	return append(out, '}')
}
