package host

import (
	"syscall"

	"github.com/tetratelabs/wazero/experimental"
)

// reservedMemory backs a VM's linear memory with one anonymous mapping of
// its maximum size (Config.MemoryLimitPages): address space is reserved up
// front and pages are only committed when the module touches them, so
// memory.grow never moves or copies the memory. This is how V8 (and the
// other Wasm runtimes of proxy-wasm-cpp-host) grow a linear memory;
// wazero's default copies it into a larger Go slice instead, a cost Envoy
// never pays. Where the mapping fails, wazero's default is used.
type reservedMemory struct{}

func (reservedMemory) Allocate(capBytes, maxBytes uint64) experimental.LinearMemory {
	b, err := syscall.Mmap(-1, 0, int(maxBytes), syscall.PROT_READ|syscall.PROT_WRITE,
		syscall.MAP_PRIVATE|syscall.MAP_ANON|syscall.MAP_NORESERVE)
	if err != nil {
		return &sliceMemory{}
	}
	return &mappedMemory{buf: b}
}

type mappedMemory struct{ buf []byte }

func (m *mappedMemory) Reallocate(size uint64) []byte {
	if size > uint64(len(m.buf)) {
		return nil
	}
	return m.buf[:size:size]
}

func (m *mappedMemory) Free() {
	if m.buf != nil {
		_ = syscall.Munmap(m.buf)
		m.buf = nil
	}
}

// sliceMemory is wazero's default behaviour, for when mmap is refused.
type sliceMemory struct{ buf []byte }

func (m *sliceMemory) Reallocate(size uint64) []byte {
	if size > uint64(cap(m.buf)) {
		nb := make([]byte, size, max(size, 2*uint64(cap(m.buf))))
		copy(nb, m.buf)
		m.buf = nb
	}
	m.buf = m.buf[:size]
	return m.buf
}

func (m *sliceMemory) Free() { m.buf = nil }
