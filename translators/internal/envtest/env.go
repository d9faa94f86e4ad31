// Package envtest builds translator Envs for tests.
package envtest

import (
	"strconv"

	"github.com/gemini-code-api/gemini-code-api/translators/models"
	"github.com/gemini-code-api/gemini-code-api/translators/translator"
)

// Created is the time (Unix seconds) answers built with Env report.
const Created = 1700000000

// Env is a translator.Env for tests over the model map mm (nil: the
// default map): answers report Created, and ids are numbered in order
// (prefix, then 24 digits), so the same request gives the same answer on
// every run.
func Env(mm *models.Map) *translator.Env {
	if mm == nil {
		mm = models.Default()
	}
	env := translator.NewEnv(mm)
	n := 0
	env.Now = func() int64 { return Created }
	env.NewID = func(prefix string) string {
		n++
		s := strconv.Itoa(n)
		for len(s) < 24 {
			s = "0" + s
		}
		return prefix + s
	}
	return env
}

// With is Env(mm) with set applied: test-specific options.
func With(mm *models.Map, set func(*translator.Env)) *translator.Env {
	env := Env(mm)
	set(env)
	return env
}
