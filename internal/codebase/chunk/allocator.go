package chunk

/*
#include <stdlib.h>

// Declared here rather than included: the header lives in the binding's
// module. The symbol is linked from the binding's C objects.
extern void ts_set_allocator(
	void *(*new_malloc)(size_t),
	void *(*new_calloc)(size_t, size_t),
	void *(*new_realloc)(void *, size_t),
	void (*new_free)(void *));

static void chunk_use_libc_allocator(void) {
	ts_set_allocator(malloc, calloc, realloc, free);
}
*/
import "C"

// useLibcAllocator points tree-sitter's allocator at libc directly.
//
// go-tree-sitter v0.25.0 routes every allocation of the C library through
// an exported Go function that calls C.malloc (or C.free) again: two
// cgo transitions per allocation, about a quarter of the parse time. The
// memory comes from libc malloc either way, so memory the binding frees
// with C.free stays compatible. The setting is process-wide and
// idempotent.
func useLibcAllocator() {
	C.chunk_use_libc_allocator()
}
