//go:build !unix

package e2e_test

// lockFile is a no-op where flock is not available: concurrent test
// binaries may then race on the first npm ci.
func lockFile(string) (func(), error) { return func() {}, nil }
