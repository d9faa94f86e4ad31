//go:build gca_memstats

package main

import (
	"runtime"
	"unsafe"
)

// Build variant for tools/modbench (-variants memstats): an export that
// returns the Go heap's allocation counters, so the benchmark can report
// allocations, bytes allocated and GC cycles per request.

var memstatsBuf [3]uint64

//go:wasmexport gca_memstats
func gcaMemstats() uint32 {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	memstatsBuf = [3]uint64{ms.Mallocs, ms.TotalAlloc, uint64(ms.NumGC)}
	return uint32(uintptr(unsafe.Pointer(&memstatsBuf)))
}
