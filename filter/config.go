package filter

import (
	"bytes"
	"errors"
	"strconv"
	"time"

	"github.com/gemini-code-api/gemini-code-api/filter/keypool"
	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
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
	// Role is where this instance runs: "downstream" (the listener's HTTP
	// filter, which translates and plans key failover) or "upstream" (the
	// gemini cluster's upstream HTTP filter, which runs once per attempt,
	// sets that attempt's key and records its outcome).
	Role string `json:"role"`
	// KeyPool tunes key health, selection and failover.
	KeyPool KeyPoolConfig `json:"key_pool"`

	models *models.Map
	pool   keypool.Config
}

// KeyPoolConfig is the "key_pool" object. Durations are in seconds.
type KeyPoolConfig struct {
	// Failover lets Envoy retry a failed attempt with the request's next
	// key. It needs this module as the cluster's upstream filter too
	// (README "Key failover"); false keeps every attempt on the first key.
	Failover               bool    `json:"failover"`
	LatencyWeight          float64 `json:"latency_weight"`
	SuccessWeight          float64 `json:"success_weight"`
	MinRequests            int     `json:"min_requests"`
	WindowSeconds          int     `json:"window_seconds"`
	MaxConsecutiveFailures int     `json:"max_consecutive_failures"`
	MaxFailureRate         float64 `json:"max_failure_rate"`
	RecoverySeconds        int     `json:"recovery_seconds"`
	MaxRecoverySeconds     int     `json:"max_recovery_seconds"`
	RateLimitCooldown      int     `json:"rate_limit_cooldown_seconds"`
	QuotaCooldown          int     `json:"quota_cooldown_seconds"`
	InvalidCooldown        int     `json:"invalid_key_cooldown_seconds"`
	Slots                  int     `json:"slots"`
	MaxAttempts            int     `json:"max_attempts"`
}

const (
	roleDownstream = "downstream"
	roleUpstream   = "upstream"
)

func defaultKeyPool() KeyPoolConfig {
	d := keypool.DefaultConfig()
	return KeyPoolConfig{
		Failover:      true,
		LatencyWeight: d.LatencyWeight, SuccessWeight: d.SuccessWeight, MinRequests: d.MinRequests,
		WindowSeconds: int(d.Window / time.Second), MaxConsecutiveFailures: d.MaxConsecutiveFailures,
		MaxFailureRate: d.MaxFailureRate, RecoverySeconds: int(d.Recovery / time.Second),
		MaxRecoverySeconds: int(d.MaxRecovery / time.Second), RateLimitCooldown: int(d.RateLimitCooldown / time.Second),
		QuotaCooldown: int(d.QuotaCooldown / time.Second), InvalidCooldown: int(d.InvalidCooldown / time.Second),
		Slots: d.Slots, MaxAttempts: d.MaxAttempts,
	}
}

// poolConfig validates k and converts it for the keypool package.
func (k KeyPoolConfig) poolConfig() (keypool.Config, error) {
	const day = 24 * 3600
	checks := []struct {
		name      string
		v, lo, hi float64
	}{
		{"latency_weight", k.LatencyWeight, 0, 1},
		{"success_weight", k.SuccessWeight, 0, 1},
		{"min_requests", float64(k.MinRequests), 1, 1000},
		{"window_seconds", float64(k.WindowSeconds), 10, day},
		{"max_consecutive_failures", float64(k.MaxConsecutiveFailures), 1, 1000},
		{"max_failure_rate", k.MaxFailureRate, 0, 1},
		{"recovery_seconds", float64(k.RecoverySeconds), 1, day},
		{"max_recovery_seconds", float64(k.MaxRecoverySeconds), float64(k.RecoverySeconds), day},
		{"rate_limit_cooldown_seconds", float64(k.RateLimitCooldown), 1, day},
		{"quota_cooldown_seconds", float64(k.QuotaCooldown), 1, day},
		{"invalid_key_cooldown_seconds", float64(k.InvalidCooldown), 1, day},
		{"slots", float64(k.Slots), 16, 65536},
		{"max_attempts", float64(k.MaxAttempts), 1, 16},
	}
	for _, c := range checks {
		if c.v < c.lo || c.v > c.hi {
			return keypool.Config{}, errors.New(`configuration field "key_pool.` + c.name + `" must be between ` + num(c.lo) + ` and ` + num(c.hi) + `, got ` + num(c.v))
		}
	}
	if k.LatencyWeight+k.SuccessWeight <= 0 {
		return keypool.Config{}, errors.New(`configuration fields "key_pool.latency_weight" and "key_pool.success_weight" must not both be 0`)
	}
	sec := func(n int) time.Duration { return time.Duration(n) * time.Second }
	return keypool.Config{
		LatencyWeight: k.LatencyWeight, SuccessWeight: k.SuccessWeight, MinRequests: k.MinRequests,
		Window: sec(k.WindowSeconds), MaxConsecutiveFailures: k.MaxConsecutiveFailures, MaxFailureRate: k.MaxFailureRate,
		Recovery: sec(k.RecoverySeconds), MaxRecovery: sec(k.MaxRecoverySeconds),
		RateLimitCooldown: sec(k.RateLimitCooldown), QuotaCooldown: sec(k.QuotaCooldown), InvalidCooldown: sec(k.InvalidCooldown),
		ProbeLease: time.Minute, Slots: k.Slots, MaxAttempts: k.MaxAttempts,
	}, nil
}

func defaultConfig() Config {
	return Config{
		GeminiHost:         "generativelanguage.googleapis.com",
		GeminiCluster:      "gemini",
		MaxKeys:            16,
		ThinkingPings:      true,
		ModelsCacheTTL:     3600,
		MaxEmbeddingValues: openai.DefaultMaxEmbeddingValues,
		Role:               roleDownstream,
		KeyPool:            defaultKeyPool(),
	}
}

// ParseConfig reads the plugin configuration. Errors name the field at
// fault so that Envoy's log says what to fix.
func ParseConfig(data []byte) (*Config, error) {
	c := defaultConfig()
	if len(bytes.TrimSpace(data)) > 0 {
		if err := decodeConfig(data, &c); err != nil {
			return nil, err
		}
	}
	if c.GeminiHost == "" {
		return nil, errors.New(`configuration field "gemini_host" must not be empty`)
	}
	if c.GeminiCluster == "" {
		return nil, errors.New(`configuration field "gemini_cluster" must not be empty`)
	}
	if c.MaxKeys < 1 || c.MaxKeys > 256 {
		return nil, errors.New(`configuration field "max_keys_per_request" must be between 1 and 256, got ` + apierror.Itoa(c.MaxKeys))
	}
	if c.ModelsCacheTTL < 0 || c.ModelsCacheTTL > 7*24*3600 {
		return nil, errors.New(`configuration field "models_cache_ttl_seconds" must be between 0 and 604800, got ` + apierror.Itoa(c.ModelsCacheTTL))
	}
	if c.MaxEmbeddingValues < 1 || c.MaxEmbeddingValues > openai.MaxEmbeddingValuesLimit {
		return nil, errors.New(`configuration field "max_embedding_values" must be between 1 and ` + apierror.Itoa(openai.MaxEmbeddingValuesLimit) + `, got ` + apierror.Itoa(c.MaxEmbeddingValues))
	}
	if c.Role != roleDownstream && c.Role != roleUpstream {
		return nil, errors.New(`configuration field "role" must be "downstream" or "upstream", got ` + strconv.Quote(c.Role))
	}
	pool, err := c.KeyPool.poolConfig()
	if err != nil {
		return nil, err
	}
	c.pool = pool
	m := &models.Map{Aliases: models.DefaultAliases(), Families: models.DefaultFamilies(), Fallback: c.FallbackModel}
	if c.ReplaceDefaultModels {
		m.Aliases = map[string]string{}
	}
	for k, v := range c.Models {
		if !models.ValidName(v) {
			return nil, errors.New(`configuration field "models": ` + strconv.Quote(k) + ` maps to ` + strconv.Quote(v) + `, which is not a valid Gemini model name`)
		}
		m.Aliases[k] = v
	}
	for k, v := range c.ClaudeFamilies {
		if k != "opus" && k != "sonnet" && k != "haiku" {
			return nil, errors.New(`configuration field "claude_families": unknown family ` + strconv.Quote(k) + ` (use opus, sonnet or haiku)`)
		}
		if !models.ValidName(v) {
			return nil, errors.New(`configuration field "claude_families": ` + strconv.Quote(k) + ` maps to ` + strconv.Quote(v) + `, which is not a valid Gemini model name`)
		}
		m.Families[k] = v
	}
	if c.FallbackModel != "" && !models.ValidName(c.FallbackModel) {
		return nil, errors.New(`configuration field "fallback_model": ` + strconv.Quote(c.FallbackModel) + ` is not a valid Gemini model name`)
	}
	c.models = m
	return &c, nil
}
