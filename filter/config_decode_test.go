package filter

import (
	"strings"
	"testing"
)

func TestParseConfigFields(t *testing.T) {
	cfg, err := ParseConfig([]byte(`{"gemini_host":"h.example","GEMINI_CLUSTER":"g2","models":{"a":"gemini-2.5-flash"},
		"replace_default_models":false,"claude_families":{"opus":"gemini-2.5-pro"},"fallback_model":null,
		"reasoning_content":true,"thinking_pings":false,"max_keys_per_request":8,"models_cache_ttl_seconds":60,
		"max_embedding_values":1000,"role":"upstream",
		"key_pool":{"failover":false,"latency_weight":0.25,"success_weight":0.75,"slots":64,"max_attempts":3,"min_requests":null}}`))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.GeminiHost != "h.example" || cfg.GeminiCluster != "g2" || cfg.Models["a"] != "gemini-2.5-flash" ||
		cfg.ClaudeFamilies["opus"] != "gemini-2.5-pro" || !cfg.ReasoningContent || cfg.ThinkingPings ||
		cfg.MaxKeys != 8 || cfg.ModelsCacheTTL != 60 || cfg.MaxEmbeddingValues != 1000 || cfg.Role != roleUpstream {
		t.Errorf("fields: %+v", cfg)
	}
	kp := cfg.KeyPool
	if kp.Failover || kp.LatencyWeight != 0.25 || kp.SuccessWeight != 0.75 || kp.Slots != 64 || kp.MaxAttempts != 3 ||
		kp.MinRequests != defaultKeyPool().MinRequests {
		t.Errorf("key_pool: %+v", kp)
	}
	if cfg.models.Aliases["a"] != "gemini-2.5-flash" || cfg.models.Families["opus"] != "gemini-2.5-pro" {
		t.Errorf("model map: %+v", cfg.models)
	}
	for _, empty := range []string{"", "  \n", "{}"} {
		c, err := ParseConfig([]byte(empty))
		if err != nil || c.GeminiHost != "generativelanguage.googleapis.com" || c.Role != roleDownstream || !c.KeyPool.Failover {
			t.Errorf("%q: %v %+v", empty, err, c)
		}
	}
}

func TestParseConfigErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"gemini_host":`:                         "not valid JSON",
		`[]`:                                      "expected a JSON object, got JSON array",
		`{"gemini_hots":"x"}`:                     `unknown field "gemini_hots"`,
		`{"key_pool":{"slot":1}}`:                 `unknown field "key_pool.slot"`,
		`{"gemini_host":1}`:                       `field "gemini_host": expected string, got JSON number`,
		`{"max_keys_per_request":1.5}`:            `field "max_keys_per_request": expected int, got JSON number 1.5`,
		`{"max_keys_per_request":"8"}`:            `expected int, got JSON string`,
		`{"reasoning_content":"yes"}`:             `expected bool, got JSON string`,
		`{"models":{"a":1}}`:                      `field "models.a": expected string`,
		`{"models":[]}`:                           `field "models": expected map[string]string, got JSON array`,
		`{"key_pool":{"latency_weight":"x"}}`:     `field "key_pool.latency_weight": expected float64`,
		`{"key_pool":[]}`:                         `field "key_pool": expected object`,
		`{"key_pool":{"max_attempts":17}}`:        `"key_pool.max_attempts" must be between 1 and 16, got 17`,
		`{"key_pool":{"latency_weight":1.5}}`:     `"key_pool.latency_weight" must be between 0 and 1, got 1.5`,
		`{"max_keys_per_request":0}`:              `"max_keys_per_request" must be between 1 and 256, got 0`,
		`{"role":"sideways"}`:                     `"role" must be "downstream" or "upstream", got "sideways"`,
		`{"models":{"a":"not a model"}}`:          `"a" maps to "not a model"`,
		`{"claude_families":{"poet":"gemini-x"}}`: `unknown family "poet"`,
	} {
		_, err := ParseConfig([]byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: got %v, want an error with %q", in, err, want)
		}
	}
}
