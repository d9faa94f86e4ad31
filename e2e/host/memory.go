package host

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/tetratelabs/wazero/api"
)

// WasmResult codes (proxy-wasm-cpp-host include/proxy-wasm/wasm_api_impl.h).
const (
	resOK                  = 0
	resNotFound            = 1
	resBadArgument         = 2
	resSerializationFailed = 3
	resInvalidMemoryAccess = 6
	resEmpty               = 7
	resCasMismatch         = 8
	resInternalFailure     = 10
	resBrokenConnection    = 11
	resUnimplemented       = 12
)

var errMem = errors.New("invalid memory access")

// readBytes copies size bytes at ptr out of guest memory. The copy matters:
// wazero's Read returns a view that a later guest allocation can overwrite
// (or a memory.grow can detach), which is one of proxytest's flaws.
func readBytes(mod api.Module, ptr, size uint32) ([]byte, error) {
	if size == 0 {
		return []byte{}, nil
	}
	b, ok := mod.Memory().Read(ptr, size)
	if !ok {
		return nil, errMem
	}
	out := make([]byte, size)
	copy(out, b)
	return out, nil
}

func readString(mod api.Module, ptr, size uint32) (string, error) {
	b, err := readBytes(mod, ptr, size)
	return string(b), err
}

// copyOut allocates len(data) bytes in the guest with its exported
// proxy_on_memory_allocate (malloc for older SDKs), copies data in and
// writes the pointer and size to *ptrPtr / *sizePtr, as cpp-host's
// WasmBase::copyToPointerSize does. Empty data yields (0, 0).
func copyOut(ctx context.Context, mod api.Module, data []byte, ptrPtr, sizePtr uint32) uint32 {
	var addr uint32
	if len(data) > 0 {
		alloc := allocFunc(ctx, mod)
		if alloc == nil {
			return resInvalidMemoryAccess
		}
		res, err := alloc.Call(ctx, uint64(len(data)))
		if err != nil {
			// The guest trapped while allocating (out of memory, a Go
			// runtime abort): in proxy-wasm-cpp-host that fails the VM, and
			// the guest call that asked for the data never resumes.
			// Panicking in a host function aborts the calling guest call
			// with this error, which marks the VM failed.
			panic(fmt.Errorf("proxy_on_memory_allocate(%d) trapped: %w", len(data), err))
		}
		if len(res) == 0 {
			return resInvalidMemoryAccess
		}
		addr = uint32(res[0])
		if !mod.Memory().Write(addr, data) {
			return resInvalidMemoryAccess
		}
	}
	if !mod.Memory().WriteUint32Le(ptrPtr, addr) || !mod.Memory().WriteUint32Le(sizePtr, uint32(len(data))) {
		return resInvalidMemoryAccess
	}
	return resOK
}

// allocFunc returns the module's allocator export (proxy_on_memory_allocate,
// or malloc for older SDKs), looked up once per VM (see vm.fns).
func allocFunc(ctx context.Context, mod api.Module) api.Function {
	v, _ := ctx.Value(vmCtxKey{}).(*vm)
	if v != nil && v.alloc != nil && v.allocMod == mod {
		return v.alloc
	}
	f := mod.ExportedFunction("proxy_on_memory_allocate")
	if f == nil {
		f = mod.ExportedFunction("malloc")
	}
	if v != nil && f != nil {
		v.alloc, v.allocMod = f, mod
	}
	return f
}

// encodePairs serializes a header map the proxy-wasm way:
// u32 count, count*(u32 keyLen, u32 valLen), then key\0 value\0 ...
func encodePairs(m [][2]string) []byte {
	size := 4
	for _, p := range m {
		size += 8 + len(p[0]) + len(p[1]) + 2
	}
	out := make([]byte, size)
	binary.LittleEndian.PutUint32(out, uint32(len(m)))
	off := 4
	for _, p := range m {
		binary.LittleEndian.PutUint32(out[off:], uint32(len(p[0])))
		binary.LittleEndian.PutUint32(out[off+4:], uint32(len(p[1])))
		off += 8
	}
	for _, p := range m {
		off += copy(out[off:], p[0]) + 1
		off += copy(out[off:], p[1]) + 1
	}
	return out
}

// decodePairs parses the format above; malformed input yields an error.
func decodePairs(b []byte) ([][2]string, error) {
	if len(b) == 0 {
		return nil, nil
	}
	if len(b) < 4 {
		return nil, errMem
	}
	n := int(binary.LittleEndian.Uint32(b))
	if n > len(b)/8 {
		return nil, errMem
	}
	sizes := 4
	data := 4 + 8*n
	out := make([][2]string, 0, n)
	for i := 0; i < n; i++ {
		if sizes+8 > len(b) {
			return nil, errMem
		}
		kl := int(binary.LittleEndian.Uint32(b[sizes:]))
		vl := int(binary.LittleEndian.Uint32(b[sizes+4:]))
		sizes += 8
		if data+kl+1+vl+1 > len(b) {
			return nil, errMem
		}
		k := string(b[data : data+kl])
		data += kl + 1
		v := string(b[data : data+vl])
		data += vl + 1
		out = append(out, [2]string{k, v})
	}
	return out, nil
}

func le64(v int64) []byte {
	b := make([]byte, 8)
	binary.LittleEndian.PutUint64(b, uint64(v))
	return b
}

// MemoryBytes returns the size in bytes of each VM's linear memory, in VM
// order. A Go module never returns memory to the host, so this is each VM's
// high-water mark: what Envoy would have allocated for it. Each read takes
// the VM's lock, so it never observes a guest call half-way.
func (h *Host) MemoryBytes() []uint64 {
	h.rrMu.Lock()
	vms := append([]*vm(nil), h.vms...)
	h.rrMu.Unlock()
	out := make([]uint64, len(vms))
	for i, v := range vms {
		v.mu.Lock()
		out[i] = uint64(v.mod.Memory().Size())
		v.mu.Unlock()
	}
	return out
}
