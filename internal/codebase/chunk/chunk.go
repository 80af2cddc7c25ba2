// Package chunk cuts source files into the chunks codebase-mcp indexes. It
// implements [codebase.Chunker] with tree-sitter for Go, Python,
// JavaScript, TypeScript, TSX, Java, Rust and C, and with overlapping line
// windows for every other language and for files tree-sitter cannot parse
// within budget. docs/chunking.md describes the rules.
package chunk

import (
	"context"
	"runtime"
	"sort"
	"sync"
	"time"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/mcp-memory/servers/internal/codebase"
)

// Defaults for [Options].
const (
	DefaultMaxLines      = 150
	DefaultMaxBytes      = 12 << 10
	DefaultWindowLines   = 60
	DefaultWindowOverlap = 10
	DefaultParseBudget   = time.Second
	DefaultMaxErrorRatio = 0.5
)

// Options tune the chunker. Zero values take the defaults above.
type Options struct {
	// MaxLines caps a chunk's lines; a longer function, class or block is
	// split into parts that keep its symbol and kind.
	MaxLines int
	// MaxBytes caps a chunk's content in bytes, like MaxLines.
	MaxBytes int
	// WindowLines is the height of a line window in the fallback.
	WindowLines int
	// WindowOverlap is how many lines consecutive windows share.
	WindowOverlap int
	// ParseBudget bounds the tree-sitter parse of one file; a file over
	// budget falls back to line windows.
	ParseBudget time.Duration
	// MaxErrorRatio is the share of a file's bytes inside syntax errors
	// above which the file falls back to line windows.
	MaxErrorRatio float64
	// MaxIdleParsers is how many idle parsers are kept per language
	// (default GOMAXPROCS). Parsers beyond it are closed when returned.
	MaxIdleParsers int
}

func (o Options) withDefaults() Options {
	if o.MaxLines <= 0 {
		o.MaxLines = DefaultMaxLines
	}
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxBytes < 256 {
		o.MaxBytes = 256 // room for a few multi-byte runes per piece
	}
	if o.WindowLines <= 0 {
		o.WindowLines = DefaultWindowLines
	}
	if o.WindowOverlap < 0 || o.WindowOverlap >= o.WindowLines {
		o.WindowOverlap = 0
	} else if o.WindowOverlap == 0 {
		o.WindowOverlap = min(DefaultWindowOverlap, o.WindowLines-1)
	}
	if o.ParseBudget <= 0 {
		o.ParseBudget = DefaultParseBudget
	}
	if o.MaxErrorRatio <= 0 || o.MaxErrorRatio > 1 {
		o.MaxErrorRatio = DefaultMaxErrorRatio
	}
	if o.MaxIdleParsers <= 0 {
		o.MaxIdleParsers = runtime.GOMAXPROCS(0)
	}
	return o
}

// Chunker implements [codebase.Chunker]. It is safe for concurrent use;
// each call borrows a parser of its language from a bounded free list.
// Call [Chunker.Close] to release the idle parsers' C memory.
type Chunker struct {
	opts  Options
	langs map[string]*language

	mu     sync.Mutex
	closed bool
}

var _ codebase.Chunker = (*Chunker)(nil)

// New builds a chunker with the grammars of every supported language. It
// makes tree-sitter allocate with libc malloc directly instead of through
// the binding's Go callbacks (see useLibcAllocator); that setting is
// process-wide.
func New(opts Options) *Chunker {
	opts = opts.withDefaults()
	useLibcAllocator()
	c := &Chunker{opts: opts, langs: make(map[string]*language)}
	for name, def := range grammars() {
		c.langs[name] = newLanguage(name, def, opts.MaxIdleParsers)
	}
	return c
}

// Languages returns the language names chunked with tree-sitter, sorted.
func (c *Chunker) Languages() []string {
	names := make([]string, 0, len(c.langs))
	for n := range c.langs {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Close releases the idle parsers; parsers still in use by running calls
// are released when those calls return. Chunk must not be called after
// Close.
func (c *Chunker) Close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	for _, l := range c.langs {
		l.close()
	}
}

// Chunk cuts src, a file of the given language, into chunks. It fills
// every field except ID, ProjectID, RepositoryID and FilePath. Source in a
// supported language is cut along its syntax tree; other languages, files
// whose parse exceeds the budget and files that are mostly syntax errors
// come back as overlapping line windows. Invalid UTF-8 and NUL bytes are
// replaced by U+FFFD first, so every text field is valid UTF-8. It returns
// nil when ctx is already done or src holds no non-blank line.
func (c *Chunker) Chunk(ctx context.Context, language string, src []byte) []codebase.Chunk {
	if ctx.Err() != nil {
		return nil
	}
	src = sanitize(src)
	lines := newLineIndex(src)
	if lines.allBlank() {
		return nil
	}
	f := &file{opts: c.opts, language: language, src: src, lines: lines}
	l := c.langs[language]
	if l == nil {
		return f.windows()
	}
	chunks, ok := c.chunkTree(ctx, l, f)
	if !ok {
		if ctx.Err() != nil {
			return nil
		}
		return f.windows()
	}
	return chunks
}

// chunkTree parses f and cuts it along the tree. ok is false when the
// parse ran over budget or the tree is mostly errors.
func (c *Chunker) chunkTree(ctx context.Context, l *language, f *file) (chunks []codebase.Chunk, ok bool) {
	w := l.get(c.opts.ParseBudget)
	defer l.put(w)
	tree := w.parse(f.src)
	if tree == nil {
		return nil, false
	}
	defer tree.Close()
	if ctx.Err() != nil {
		return nil, false
	}
	root := tree.RootNode()
	cur := root.Walk()
	defer cur.Close()
	if f.errorRatio(root, cur) > c.opts.MaxErrorRatio {
		return nil, false
	}
	f.collectComments(l, root)
	wk := walker{l: l, f: f, cur: cur}
	wk.walkRoot(root)
	return f.build(wk.units, wk.header), true
}

// worker is one parser, borrowed by one goroutine.
type worker struct {
	parser *sitter.Parser
	// spent marks a parser whose parse hit the timeout: it is closed
	// instead of reused (see parse).
	spent bool
}

// parse returns nil when the parse ran over the parser's timeout. A parser
// stopped by its timeout is never reused: in tree-sitter 0.25.0 (pinned by
// go-tree-sitter v0.25.0) ts_parser_reset does not clear the "balancing
// was cancelled" flag, so the next parse on it aborts the whole process
// with "Assertion `self->finished_tree.ptr' failed" when the timeout hit
// during subtree balancing (tree-sitter PR 4176, fixed in 0.25.1).
func (w *worker) parse(src []byte) *sitter.Tree {
	t := w.parser.Parse(src, nil)
	if t == nil {
		w.spent = true
	}
	return t
}

func (w *worker) close() {
	w.parser.Close()
}
