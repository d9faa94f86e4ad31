package gemini

// MaxTools is the most tools (function declarations) one request may
// declare. Claude Code with several MCP servers declares a few hundred;
// 512 leaves room for that while bounding the work, and the size of the
// Gemini request, that one client request can ask for.
const MaxTools = 512

// MaxStopSequences is the most stop sequences Gemini takes in one request;
// more would only earn the client Gemini's own 400.
const MaxStopSequences = 5
