//go:build wasip1

package filter

import (
	"strconv"
	"unsafe"
)

// The proxy-wasm ABI's metric calls (proxy-wasm-go-sdk's internal
// declarations, the same imports).

//go:wasmimport env proxy_define_metric
func proxyDefineMetric(metricType uint32, name *byte, nameSize int32, returnID *uint32) uint32

//go:wasmimport env proxy_increment_metric
func proxyIncrementMetric(id uint32, offset int64) uint32

//go:wasmimport env proxy_record_metric
func proxyRecordMetric(id uint32, value uint64) uint32

//go:wasmimport env proxy_get_metric
func proxyGetMetric(id uint32, returnValue *uint64) uint32

func defineMetric(typ uint32, name string) uint32 {
	var id uint32
	if proxyDefineMetric(typ, unsafe.StringData(name), int32(len(name)), &id) != 0 {
		panic("gemini-code-api: cannot define metric " + name)
	}
	return id
}

func incrementMetric(id uint32, offset int64) {
	if proxyIncrementMetric(id, offset) != 0 {
		panic(metricPanic("increment", id))
	}
}

func recordMetric(id uint32, value uint64) {
	if proxyRecordMetric(id, value) != 0 {
		panic(metricPanic("record", id))
	}
}

func metricValue(id uint32) uint64 {
	var v uint64
	if proxyGetMetric(id, &v) != 0 {
		panic(metricPanic("read", id))
	}
	return v
}

func metricPanic(op string, id uint32) string {
	return "gemini-code-api: " + op + " of metric " + strconv.FormatUint(uint64(id), 10) + " failed"
}
