package chunk_test

import (
	"context"
	"strings"
	"testing"

	"github.com/mcp-memory/servers/internal/codebase/chunk"
)

// TestChunker_Chunk_WindowsRespectByteCap cuts a text file of long lines
// into windows that end before they pass MaxBytes, cover every line in
// order, and skip the blank tail.
func TestChunker_Chunk_WindowsRespectByteCap(t *testing.T) {
	line := strings.Repeat("word ", 40) // 200 bytes
	var b strings.Builder
	for range 30 {
		b.WriteString(line + "\n")
	}
	b.WriteString("\n\n\n\n")
	src := []byte(b.String())
	got := newChunker(t, chunk.Options{MaxBytes: 1000}).Chunk(context.Background(), "text", src)
	checkInvariants(t, "text", src, got)
	next := 1
	for i, ch := range got {
		if len(ch.Content) > 1000 {
			t.Errorf("window %d has %d bytes, over the 1000-byte cap", i, len(ch.Content))
		}
		if ch.StartLine > next {
			t.Errorf("window %d starts at line %d, lines %d-%d are in no window", i, ch.StartLine, next, ch.StartLine-1)
		}
		next = ch.EndLine + 1
	}
	if len(got) < 6 || next != 31 {
		t.Errorf("%d windows ending at line %d, want at least 6 windows covering lines 1-30", len(got), next-1)
	}
}
