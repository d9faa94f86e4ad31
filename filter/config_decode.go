package filter

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/gemini-code-api/gemini-code-api/translators/apierror"
	"github.com/gemini-code-api/gemini-code-api/translators/jsondepth"
	"github.com/tidwall/gjson"
)

// decodeConfig reads the plugin configuration's JSON into c with
// encoding/json's rules for these types (a field that is absent or null
// keeps its default, names match case-insensitively, the last of repeated
// names wins, integers must be whole numbers in range) and rejects unknown
// fields. It replaces encoding/json, which with reflect made about a
// tenth of the compiled module (issue #13); errors name the field at
// fault, as before.
func decodeConfig(data []byte, c *Config) error {
	// Checked without recursion, as every other body the module reads.
	if d, ok := jsondepth.Validate(data); !ok {
		if d > jsondepth.MaxDepth {
			return errors.New("configuration nests JSON " + apierror.Itoa(d) + " levels deep; at most " + apierror.Itoa(jsondepth.MaxDepth) + " are read")
		}
		return errors.New("configuration is not valid JSON")
	}
	root := gjson.ParseBytes(data)
	if !root.IsObject() {
		return errors.New(`configuration: expected a JSON object, got JSON ` + jsonKind(root))
	}
	var err error
	root.ForEach(func(k, v gjson.Result) bool {
		if v.Type == gjson.Null {
			return true
		}
		name := k.String()
		switch strings.ToLower(name) {
		case "gemini_host":
			err = str(name, v, &c.GeminiHost)
		case "gemini_cluster":
			err = str(name, v, &c.GeminiCluster)
		case "models":
			err = strMap(name, v, &c.Models)
		case "replace_default_models":
			err = boolean(name, v, &c.ReplaceDefaultModels)
		case "claude_families":
			err = strMap(name, v, &c.ClaudeFamilies)
		case "fallback_model":
			err = str(name, v, &c.FallbackModel)
		case "reasoning_content":
			err = boolean(name, v, &c.ReasoningContent)
		case "thinking_pings":
			err = boolean(name, v, &c.ThinkingPings)
		case "max_keys_per_request":
			err = integer(name, v, &c.MaxKeys)
		case "models_cache_ttl_seconds":
			err = integer(name, v, &c.ModelsCacheTTL)
		case "max_embedding_values":
			err = integer(name, v, &c.MaxEmbeddingValues)
		case "role":
			err = str(name, v, &c.Role)
		case "key_pool":
			err = decodeKeyPool(v, &c.KeyPool)
		default:
			err = errors.New("configuration has an unknown field " + strconv.Quote(name))
		}
		return err == nil
	})
	return err
}

func decodeKeyPool(obj gjson.Result, k *KeyPoolConfig) error {
	if !obj.IsObject() {
		return typeError("key_pool", "object", obj)
	}
	var err error
	obj.ForEach(func(key, v gjson.Result) bool {
		if v.Type == gjson.Null {
			return true
		}
		name := "key_pool." + key.String()
		switch strings.ToLower(key.String()) {
		case "failover":
			err = boolean(name, v, &k.Failover)
		case "latency_weight":
			err = float(name, v, &k.LatencyWeight)
		case "success_weight":
			err = float(name, v, &k.SuccessWeight)
		case "min_requests":
			err = integer(name, v, &k.MinRequests)
		case "window_seconds":
			err = integer(name, v, &k.WindowSeconds)
		case "max_consecutive_failures":
			err = integer(name, v, &k.MaxConsecutiveFailures)
		case "max_failure_rate":
			err = float(name, v, &k.MaxFailureRate)
		case "recovery_seconds":
			err = integer(name, v, &k.RecoverySeconds)
		case "max_recovery_seconds":
			err = integer(name, v, &k.MaxRecoverySeconds)
		case "rate_limit_cooldown_seconds":
			err = integer(name, v, &k.RateLimitCooldown)
		case "quota_cooldown_seconds":
			err = integer(name, v, &k.QuotaCooldown)
		case "invalid_key_cooldown_seconds":
			err = integer(name, v, &k.InvalidCooldown)
		case "slots":
			err = integer(name, v, &k.Slots)
		case "max_attempts":
			err = integer(name, v, &k.MaxAttempts)
		default:
			err = errors.New("configuration has an unknown field " + strconv.Quote(name))
		}
		return err == nil
	})
	return err
}

func str(name string, v gjson.Result, dst *string) error {
	if v.Type != gjson.String {
		return typeError(name, "string", v)
	}
	*dst = v.Str
	return nil
}

func boolean(name string, v gjson.Result, dst *bool) error {
	if v.Type != gjson.True && v.Type != gjson.False {
		return typeError(name, "bool", v)
	}
	*dst = v.Type == gjson.True
	return nil
}

func integer(name string, v gjson.Result, dst *int) error {
	if v.Type != gjson.Number {
		return typeError(name, "int", v)
	}
	n, err := strconv.ParseInt(v.Raw, 10, 64)
	if err != nil || n < math.MinInt || n > math.MaxInt {
		return errors.New(`configuration field "` + name + `": expected int, got JSON number ` + v.Raw)
	}
	*dst = int(n)
	return nil
}

func float(name string, v gjson.Result, dst *float64) error {
	if v.Type != gjson.Number {
		return typeError(name, "float64", v)
	}
	f, err := strconv.ParseFloat(v.Raw, 64)
	if err != nil {
		return errors.New(`configuration field "` + name + `": expected float64, got JSON number ` + v.Raw)
	}
	*dst = f
	return nil
}

// strMap reads an object of strings; a repeated name keeps its last value.
func strMap(name string, v gjson.Result, dst *map[string]string) error {
	if !v.IsObject() {
		return typeError(name, "map[string]string", v)
	}
	m := map[string]string{}
	var err error
	v.ForEach(func(k, s gjson.Result) bool {
		if s.Type != gjson.String {
			err = typeError(name+"."+k.String(), "string", s)
			return false
		}
		m[k.String()] = s.Str
		return true
	})
	if err != nil {
		return err
	}
	*dst = m
	return nil
}

func typeError(name, want string, v gjson.Result) error {
	return errors.New(`configuration field "` + name + `": expected ` + want + `, got JSON ` + jsonKind(v))
}

func jsonKind(v gjson.Result) string {
	switch {
	case v.Type == gjson.String:
		return "string"
	case v.Type == gjson.Number:
		return "number"
	case v.Type == gjson.True || v.Type == gjson.False:
		return "bool"
	case v.IsArray():
		return "array"
	case v.IsObject():
		return "object"
	}
	return "null"
}

// num formats a bound or a value of the configuration's range errors.
func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
