//go:build gca_gcoff

package main

import "runtime/debug"

// Build variant for tools/modbench (-variants gcoff): the collector never
// runs, which tells how much of the module's time is garbage collection.
// Memory grows without bound: for measurements only.
func init() { debug.SetGCPercent(-1) }
