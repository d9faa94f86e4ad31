//go:build !gca_panictest

package filter

// panicPoint is where a test build (-tags gca_panictest, guard_hook_panictest.go)
// makes a callback panic on request; in every other build it is empty and
// compiled away.
func panicPoint(*httpContext, string) {}
