package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/models"
	"github.com/gemini-code-api/gemini-code-api/translators/openai"
)

// Config is the plugin configuration: the JSON in envoy.yaml's
// `configuration` StringValue. Every field has a default, so `{}` (or an
// empty configuration) is a working gateway. See README "Configuration".
type Config struct {
	// GeminiHost is the :authority sent upstream.
	GeminiHost string `json:"gemini_host"`
	// GeminiCluster is the Envoy cluster that reaches Gemini (used for HTTP
	// callouts; the route picks the cluster for proxied requests).
	GeminiCluster string `json:"gemini_cluster"`
	// Models adds to (or overrides) the default model aliases.
	Models map[string]string `json:"models"`
	// ReplaceDefaultModels drops the built-in aliases, keeping only Models.
	ReplaceDefaultModels bool `json:"replace_default_models"`
	// ClaudeFamilies maps "opus", "sonnet", "haiku" to Gemini models for any
	// claude-* name that is not an explicit alias.
	ClaudeFamilies map[string]string `json:"claude_families"`
	// FallbackModel serves model names that are neither aliases nor Gemini
	// names; empty forwards them unchanged (Gemini answers 404).
	FallbackModel string `json:"fallback_model"`
	// ReasoningContent exposes Gemini thought summaries to OpenAI clients as
	// `reasoning_content`.
	ReasoningContent bool `json:"reasoning_content"`
	// ThinkingPings: for streamed Anthropic requests that do not ask for
	// thinking, request Gemini's thought summaries and send them as `ping`
	// events, so clients see activity during long thinking phases.
	ThinkingPings bool `json:"thinking_pings"`
	// MaxKeys bounds the keys accepted in one request header.
	MaxKeys int `json:"max_keys_per_request"`
	// ModelsCacheTTL is how long (seconds) a key's model list is cached.
	ModelsCacheTTL int `json:"models_cache_ttl_seconds"`
	// MaxEmbeddingValues caps inputs × dimensions of one embeddings request:
	// the whole answer is held in the VM before it is sent, so this bounds
	// the VM's memory (see openai.DefaultMaxEmbeddingValues).
	MaxEmbeddingValues int `json:"max_embedding_values"`

	models *models.Map
}

func defaultConfig() Config {
	return Config{
		GeminiHost:         "generativelanguage.googleapis.com",
		GeminiCluster:      "gemini",
		MaxKeys:            16,
		ThinkingPings:      true,
		ModelsCacheTTL:     3600,
		MaxEmbeddingValues: openai.DefaultMaxEmbeddingValues,
	}
}

// ParseConfig reads the plugin configuration. Errors name the field at
// fault so that Envoy's log says what to fix.
func ParseConfig(data []byte) (*Config, error) {
	c := defaultConfig()
	if len(bytes.TrimSpace(data)) > 0 {
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return nil, describeJSONError(err)
		}
		if dec.More() {
			return nil, errors.New("configuration: extra data after the JSON object")
		}
	}
	if c.GeminiHost == "" {
		return nil, errors.New(`configuration field "gemini_host" must not be empty`)
	}
	if c.GeminiCluster == "" {
		return nil, errors.New(`configuration field "gemini_cluster" must not be empty`)
	}
	if c.MaxKeys < 1 || c.MaxKeys > 256 {
		return nil, fmt.Errorf(`configuration field "max_keys_per_request" must be between 1 and 256, got %d`, c.MaxKeys)
	}
	if c.ModelsCacheTTL < 0 || c.ModelsCacheTTL > 7*24*3600 {
		return nil, fmt.Errorf(`configuration field "models_cache_ttl_seconds" must be between 0 and 604800, got %d`, c.ModelsCacheTTL)
	}
	if c.MaxEmbeddingValues < 1 || c.MaxEmbeddingValues > openai.MaxEmbeddingValuesLimit {
		return nil, fmt.Errorf(`configuration field "max_embedding_values" must be between 1 and %d, got %d`, openai.MaxEmbeddingValuesLimit, c.MaxEmbeddingValues)
	}
	m := &models.Map{Aliases: models.DefaultAliases(), Families: models.DefaultFamilies(), Fallback: c.FallbackModel}
	if c.ReplaceDefaultModels {
		m.Aliases = map[string]string{}
	}
	for k, v := range c.Models {
		if !models.ValidName(v) {
			return nil, fmt.Errorf(`configuration field "models": %q maps to %q, which is not a valid Gemini model name`, k, v)
		}
		m.Aliases[k] = v
	}
	for k, v := range c.ClaudeFamilies {
		if k != "opus" && k != "sonnet" && k != "haiku" {
			return nil, fmt.Errorf(`configuration field "claude_families": unknown family %q (use opus, sonnet or haiku)`, k)
		}
		if !models.ValidName(v) {
			return nil, fmt.Errorf(`configuration field "claude_families": %q maps to %q, which is not a valid Gemini model name`, k, v)
		}
		m.Families[k] = v
	}
	if c.FallbackModel != "" && !models.ValidName(c.FallbackModel) {
		return nil, fmt.Errorf(`configuration field "fallback_model": %q is not a valid Gemini model name`, c.FallbackModel)
	}
	c.models = m
	return &c, nil
}

func describeJSONError(err error) error {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return fmt.Errorf("configuration field %q: expected %s, got JSON %s", te.Field, te.Type, te.Value)
	case errors.As(err, &se):
		return fmt.Errorf("configuration is not valid JSON (at byte %d): %v", se.Offset, err)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Errorf("configuration has an unknown field %s", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return fmt.Errorf("configuration: %v", err)
}
