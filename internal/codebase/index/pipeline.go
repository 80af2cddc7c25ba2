package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/mcp-memory/servers/internal/apperr"
	"github.com/mcp-memory/servers/internal/codebase"
	"github.com/mcp-memory/servers/internal/codebase/pgstore"
	"github.com/mcp-memory/servers/internal/codebase/scan"
	"github.com/mcp-memory/servers/internal/codebase/terms"
)

// maxEmbedBytes caps the text sent to the embedder per chunk; providers
// refuse inputs beyond their context and the head says most.
const maxEmbedBytes = 16 << 10

// run is the state of one job execution.
type run struct {
	s        *Service
	job      Job
	progress func(Job)
	start    time.Time

	mu     sync.Mutex // guards phases (parse workers add to it)
	phases map[string]time.Duration

	commit                       string
	filesTotal, filesDone        int
	unchanged, changed, deleted  int
	chunksWritten                int
	chunksEmbedded, chunksReused int
	filesByLanguage, skipped     map[string]int
	embedErr                     error
	missingEmbeddings            int
	settings                     pgstore.Settings
	// outage is set when the database went away during the current pass.
	outage atomic.Bool
}

func newRun(s *Service, job Job, progress func(Job)) *run {
	return &run{s: s, job: job, progress: progress, start: time.Now(),
		phases: map[string]time.Duration{}, skipped: map[string]int{}, settings: s.settings()}
}

func (r *run) addPhase(name string, since time.Time) {
	d := time.Since(since)
	r.mu.Lock()
	r.phases[name] += d
	r.mu.Unlock()
}

// prepared is one batch, read, chunked and embedded, ready to write.
type prepared struct {
	files   []pgstore.FileRow
	chunks  []pgstore.ChunkRow
	touched []pgstore.FileRow
	deleted []string
	done    int // files of the batch, for progress
	skipped map[string]int

	// Set by seal, which hands files and chunks over to batch.
	sealed                              bool
	batch                               pgstore.Batch
	nFiles, nChunks, nTouched, nDeleted int
	missingEmbeddings                   int
}

// seal counts the batch and encodes it for the store, then drops the
// rows: from here on only the encoded batch holds them.
func (p *prepared) seal(projectID, repositoryID string) error {
	if p.sealed {
		return nil
	}
	p.nFiles, p.nChunks, p.nTouched, p.nDeleted = len(p.files), len(p.chunks), len(p.touched), len(p.deleted)
	for _, c := range p.chunks {
		if c.Embedding == nil {
			p.missingEmbeddings++
		}
	}
	p.batch = pgstore.Batch{ProjectID: projectID, RepositoryID: repositoryID,
		Files: p.files, Chunks: p.chunks, Touched: p.touched, Deleted: p.deleted}
	if err := p.batch.Encode(); err != nil {
		return err
	}
	p.batch.Files, p.batch.Chunks, p.files, p.chunks = nil, nil, nil, nil
	p.sealed = true
	return nil
}

// pipeline runs the job. A nil error means the outcome is final (which
// may be failed: nothing indexable, wrong embedder, embedding failure);
// an error means the job stopped (cancelled, lease lost, shutdown, or a
// failure the caller records).
func (r *run) pipeline(ctx context.Context) (pgstore.Outcome, error) {
	s, job := r.s, r.job
	var st pgstore.Settings
	var ok bool
	if err := r.persist(ctx, func() error {
		var err error
		st, ok, err = s.store.Settings(ctx, job.ProjectID)
		return err
	}); err != nil {
		return pgstore.Outcome{}, err
	}
	if ok && st != r.settings {
		msg := apperr.MessageOf(mismatchError(job.ProjectID, job.RepoPath, st, r.settings))
		return r.outcome(codebase.JobFailed, "failed", msg), nil
	}

	if err := r.setPhase(ctx, "scanning"); err != nil {
		return pgstore.Outcome{}, err
	}
	t := time.Now()
	res, err := scan.Scan(ctx, job.RepoPath, scan.Options{MaxFileSize: s.cfg.MaxFileSize, Logger: s.log})
	r.addPhase("scan", t)
	if err != nil {
		return pgstore.Outcome{}, fmt.Errorf("scan %s: %w", job.RepoPath, err)
	}
	r.commit = res.Commit
	r.filesByLanguage = res.FilesByLanguage
	maps.Copy(r.skipped, res.Skipped)
	if len(res.Files) == 0 {
		out := r.outcome(codebase.JobFailed, "failed", "nothing to index: "+res.Describe())
		return out, nil
	}

	// A database outage during a pass may have lost commits that were
	// acknowledged (a crash with synchronous_commit off, a failover), so
	// after one the files are compared again and what is missing redone.
	for pass := 0; ; pass++ {
		r.outage.Store(false)
		if err := r.sync(ctx, res, pass); err != nil {
			return pgstore.Outcome{}, err
		}
		if !r.outage.Load() || pass == 3 {
			break
		}
	}
	if r.embedErr == nil {
		if err := r.fillMissing(ctx); err != nil {
			return pgstore.Outcome{}, err
		}
	}
	return r.finish(ctx)
}

// sync brings the stored files of the repository in line with the scan:
// changed files are re-indexed, vanished ones deleted. The first pass
// sets the progress counters; later passes only repair.
func (r *run) sync(ctx context.Context, res *scan.Result, pass int) error {
	s, job := r.s, r.job
	t := time.Now()
	var stored map[string]pgstore.FileState
	if err := r.persist(ctx, func() error {
		var err error
		stored, err = s.store.FileStates(ctx, job.ProjectID, job.RepositoryID)
		return err
	}); err != nil {
		return err
	}
	var todo []codebase.File
	seen := make(map[string]bool, len(res.Files))
	unchanged := 0
	for _, f := range res.Files {
		seen[f.Path] = true
		old, ok := stored[f.Path]
		if (pass > 0 || !job.Force) && ok && old.Size == f.Size && old.ModTime.Equal(f.ModTime.Truncate(time.Microsecond)) {
			unchanged++
			continue
		}
		todo = append(todo, f)
	}
	var gone []string
	for p := range stored {
		if !seen[p] {
			gone = append(gone, p)
		}
	}
	r.addPhase("compare", t)
	if pass == 0 {
		r.unchanged = unchanged
		r.filesTotal = len(res.Files)
		r.filesDone = r.unchanged
		if err := r.setPhase(ctx, "indexing"); err != nil {
			return err
		}
	} else {
		if len(todo) == 0 && len(gone) == 0 {
			return nil
		}
		s.log.InfoContext(ctx, "indexing_repair", "context", r.logContext(map[string]any{
			"files": len(todo), "deleted": len(gone), "reason": "commits lost in a database outage"}))
		r.filesDone -= len(todo) // counted again as they are redone
	}
	if err := r.indexFiles(ctx, todo, stored); err != nil {
		return err
	}
	if len(gone) > 0 {
		if err := r.setPhase(ctx, "deleting"); err != nil {
			return err
		}
		t = time.Now()
		for i := 0; i < len(gone); i += s.cfg.BatchFiles {
			b := &prepared{deleted: gone[i:min(i+s.cfg.BatchFiles, len(gone))]}
			if err := r.write(ctx, b); err != nil {
				return err
			}
			r.deleted += len(b.deleted)
		}
		r.addPhase("delete", t)
	}
	return nil
}

// persist runs an idempotent database step through [Service.persist] and
// notes whether the database went away meanwhile.
func (r *run) persist(ctx context.Context, step func() error) error {
	return r.s.persist(ctx, step, func() { r.outage.Store(true) })
}

// setPhase records the job's phase (and renews its lease).
func (r *run) setPhase(ctx context.Context, phase string) error {
	return r.persist(ctx, func() error {
		cancel, err := r.s.store.UpdateProgress(ctx, r.progressRow(phase))
		if err == nil && cancel {
			return errCancelled
		}
		return err
	})
}

func (r *run) progressRow(phase string) pgstore.Progress {
	pct := 0.0
	if r.filesTotal > 0 {
		pct = float64(r.filesDone) / float64(r.filesTotal) * 100
	}
	return pgstore.Progress{ProjectID: r.job.ProjectID, JobID: r.job.ID, Owner: r.s.owner, Phase: phase,
		FilesTotal: r.filesTotal, FilesDone: r.filesDone, ChunksWritten: r.chunksWritten, ProgressPercent: pct}
}

// indexFiles reads, chunks, embeds and writes the changed files in
// batches, in a pipeline of three stages that run at once: Workers
// goroutines read and chunk files in order, flowing from one batch into
// the next without waiting for its slowest file; one goroutine embeds
// each finished batch; this goroutine writes the batches in order, one
// transaction each. Channels between the stages hold no batch, so at
// most about six batches are in memory (two being parsed, one waiting,
// one being embedded, one waiting, one being written).
func (r *run) indexFiles(ctx context.Context, todo []codebase.File, stored map[string]pgstore.FileState) error {
	var batches [][]codebase.File
	var cur []codebase.File
	var size int64
	for _, f := range todo {
		if len(cur) > 0 && (len(cur) >= r.s.cfg.BatchFiles || size+f.Size > r.s.cfg.BatchBytes) {
			batches = append(batches, cur)
			cur, size = nil, 0
		}
		cur = append(cur, f)
		size += f.Size
	}
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	if len(batches) == 0 {
		return nil
	}
	pctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		stop()
		wg.Wait() // no stage outlives the call (the chunker may be closed after it)
	}()
	goStage := func(f func()) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			f()
		}()
	}
	send := func(ch chan<- *prepared, p *prepared) bool {
		select {
		case ch <- p:
			return true
		case <-pctx.Done():
			return false
		}
	}

	// Stage 1: the feeder hands out files in order; batches enter
	// inParse in the same order, and the assembler waits for each.
	type fileJob struct {
		b *parsing
		i int
	}
	jobs := make(chan fileJob)
	inParse := make(chan *parsing, 1)
	goStage(func() {
		defer close(jobs)
		defer close(inParse)
		for _, files := range batches {
			b := newParsing(files)
			select {
			case inParse <- b:
			case <-pctx.Done():
				return
			}
			for i := range files {
				select {
				case jobs <- fileJob{b, i}:
				case <-pctx.Done():
					return
				}
			}
		}
	})
	var busy atomic.Int64 // nanoseconds the parse workers worked
	for range r.s.cfg.Workers {
		goStage(func() {
			for j := range jobs {
				t := time.Now()
				f := j.b.files[j.i]
				var oldp *pgstore.FileState
				if old, ok := stored[f.Path]; ok {
					oldp = &old
				}
				j.b.results[j.i] = r.prepareFile(pctx, f, oldp)
				busy.Add(int64(time.Since(t)))
				j.b.fileDone()
			}
		})
	}
	defer func() {
		r.mu.Lock()
		r.phases["parse"] += time.Duration(busy.Load() / int64(r.s.cfg.Workers))
		r.mu.Unlock()
	}()
	parsed := make(chan *prepared)
	goStage(func() {
		defer close(parsed)
		for b := range inParse {
			select {
			case <-b.done:
			case <-pctx.Done():
				return
			}
			if !send(parsed, b.assemble()) {
				return
			}
		}
	})

	// Stage 2: embed.
	embedded := make(chan *prepared)
	var embedStageErr error // set before embedded is closed
	goStage(func() {
		defer close(embedded)
		for p := range parsed {
			if err := r.embed(pctx, p.chunks); err != nil {
				embedStageErr = err
				return
			}
			// Encoding here keeps it off the writer, the pipeline's
			// critical path.
			if err := p.seal(r.job.ProjectID, r.job.RepositoryID); err != nil {
				embedStageErr = err
				return
			}
			if !send(embedded, p) {
				return
			}
		}
	})

	// Stage 3: write, in order.
	for p := range embedded {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		if err := r.write(ctx, p); err != nil {
			return err
		}
	}
	if ctx.Err() != nil {
		return context.Cause(ctx)
	}
	return embedStageErr
}

// parsing is a batch whose files the parse workers are reading and
// chunking; done is closed when the last one is finished.
type parsing struct {
	files   []codebase.File
	results []fileResult
	left    atomic.Int64
	done    chan struct{}
}

func newParsing(files []codebase.File) *parsing {
	b := &parsing{files: files, results: make([]fileResult, len(files)), done: make(chan struct{})}
	b.left.Store(int64(len(files)))
	return b
}

// fileDone counts one finished file.
func (b *parsing) fileDone() {
	if b.left.Add(-1) == 0 {
		close(b.done)
	}
}

// fileResult is one file after reading and chunking.
type fileResult struct {
	row     *pgstore.FileRow // stored with chunks
	chunks  []pgstore.ChunkRow
	touched bool   // content unchanged: only size and mtime change
	remove  bool   // was indexed, no longer indexable: delete it
	skip    string // skip reason, if skipped
}

// assemble turns the finished files of the batch into what is written.
func (b *parsing) assemble() *prepared {
	p := &prepared{done: len(b.files), skipped: map[string]int{}}
	for i, fr := range b.results {
		switch {
		case fr.skip != "":
			p.skipped[fr.skip]++
			if fr.remove {
				p.deleted = append(p.deleted, b.files[i].Path)
			}
		case fr.touched:
			p.touched = append(p.touched, *fr.row)
		case fr.row != nil:
			p.files = append(p.files, *fr.row)
			p.chunks = append(p.chunks, fr.chunks...)
		}
	}
	return p
}

// prepareFile reads one file, detects an unchanged content by its hash,
// and otherwise chunks it and computes chunk ids and terms.
func (r *run) prepareFile(ctx context.Context, f codebase.File, old *pgstore.FileState) fileResult {
	if ctx.Err() != nil {
		return fileResult{}
	}
	data, err := scan.ReadFile(r.job.RepoPath, f.Path)
	if err != nil {
		// Gone or unreadable since the scan: it must not stay indexed stale.
		return fileResult{skip: codebase.SkipUnreadable, remove: old != nil}
	}
	// PostgreSQL text holds neither NUL nor invalid UTF-8; the scanner
	// only sniffs the first 8 KiB.
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 {
		return fileResult{skip: codebase.SkipBinary, remove: old != nil}
	}
	f.ModTime = f.ModTime.Truncate(time.Microsecond)
	hash := codebase.ContentHash(data)
	row := &pgstore.FileRow{File: f, ContentHash: hash, Content: string(data), Commit: r.commit}
	if old != nil && !r.job.Force && old.ContentHash == hash {
		row.Content = ""
		return fileResult{row: row, touched: true}
	}
	chunks := r.s.chunker.Chunk(ctx, f.Language, data)
	out := make([]pgstore.ChunkRow, len(chunks))
	ordinals := make(map[string]int, len(chunks))
	for i, c := range chunks {
		c.ProjectID, c.RepositoryID, c.FilePath = r.job.ProjectID, r.job.RepositoryID, f.Path
		if c.Language == "" {
			c.Language = f.Language
		}
		if c.ContentHash == "" {
			c.ContentHash = codebase.ContentHash([]byte(c.Content))
		}
		key := c.Symbol + "\x00" + c.ContentHash
		c.ID = codebase.ChunkID(c.ProjectID, c.RepositoryID, c.FilePath, c.Symbol, c.ContentHash, ordinals[key])
		ordinals[key]++
		d := terms.ForChunk(c)
		c.Comments = "" // in the terms now, not stored: free it early
		out[i] = pgstore.ChunkRow{Chunk: c, TSV: d.AppendTSVectorBinary(nil),
			FieldLen: [4]int32{int32(d.Len(terms.ClassA)), int32(d.Len(terms.ClassB)), int32(d.Len(terms.ClassC)), int32(d.Len(terms.ClassD))}}
	}
	return fileResult{row: row, chunks: out}
}

// embed fills the chunks' embeddings: reused from chunks of the project
// with the same content, else computed. After an embedder failure the
// job stores the remaining chunks without embeddings (keyword search
// still finds them), ends failed and the next run embeds them.
func (r *run) embed(ctx context.Context, chunks []pgstore.ChunkRow) error {
	if len(chunks) == 0 || r.embedErr != nil {
		return nil
	}
	t := time.Now()
	defer r.addPhase("embed", t)
	var hashes []string
	byHash := map[string][]int{}
	for i, c := range chunks {
		if _, ok := byHash[c.ContentHash]; !ok {
			hashes = append(hashes, c.ContentHash)
		}
		byHash[c.ContentHash] = append(byHash[c.ContentHash], i)
	}
	known := map[string][]float32{}
	if !r.job.Force {
		if err := r.persist(ctx, func() error {
			var err error
			known, err = r.s.store.Embeddings(ctx, r.job.ProjectID, hashes)
			return err
		}); err != nil {
			return err
		}
	}
	var need []string
	for _, h := range hashes {
		if v, ok := known[h]; ok && len(v) == r.settings.Dimension {
			for _, i := range byHash[h] {
				chunks[i].Embedding = v
			}
			r.chunksReused += len(byHash[h])
		} else {
			need = append(need, h)
		}
	}
	texts := make([]string, len(need))
	for k, h := range need {
		texts[k] = embedText(chunks[byHash[h][0]].Content)
	}
	vecs, err := r.embedTexts(ctx, texts)
	if err != nil {
		if ctx.Err() != nil {
			return context.Cause(ctx)
		}
		r.embedErr = err
		r.s.log.WarnContext(ctx, "embedding_failed", "error", err.Error(), "context", r.logContext(map[string]any{
			"chunks": len(need), "note": "chunks are stored without embeddings and embedded by the next run"}))
		return nil
	}
	for k, h := range need {
		for _, i := range byHash[h] {
			chunks[i].Embedding = vecs[k]
		}
		r.chunksEmbedded += len(byHash[h])
	}
	return nil
}

// embedTexts embeds texts in EmbedBatch-sized calls, two at a time, and
// checks the dimension of every vector.
func (r *run) embedTexts(ctx context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	n := r.s.cfg.EmbedBatch
	sem := make(chan struct{}, 2)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var first error
	for i := 0; i < len(texts); i += n {
		j := min(i+n, len(texts))
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			vs, err := r.s.embedder.Embed(ctx, texts[i:j])
			if err == nil && len(vs) != j-i {
				err = fmt.Errorf("embedder %s returned %d vectors for %d texts", r.settings.Embedder, len(vs), j-i)
			}
			for k := 0; err == nil && k < len(vs); k++ {
				if len(vs[k]) != r.settings.Dimension {
					err = fmt.Errorf("embedder %s returned a vector of %d dimensions, expected %d", r.settings.Embedder, len(vs[k]), r.settings.Dimension)
				}
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				if first == nil {
					first = err
				}
				return
			}
			copy(out[i:j], vs)
		}()
	}
	wg.Wait()
	return out, first
}

// embedText is what the embedder sees of a chunk: its content, cut at a
// rune boundary below maxEmbedBytes.
func embedText(content string) string {
	if len(content) <= maxEmbedBytes {
		return content
	}
	cut := maxEmbedBytes
	for cut > 0 && !utf8.RuneStart(content[cut]) {
		cut--
	}
	return content[:cut]
}

// write commits one batch with the job's progress.
func (r *run) write(ctx context.Context, p *prepared) error {
	t := time.Now()
	defer r.addPhase("write", t)
	if err := p.seal(r.job.ProjectID, r.job.RepositoryID); err != nil {
		return err
	}
	filesDone := r.filesDone + p.done
	for reason, n := range p.skipped {
		r.skipped[reason] += n
	}
	prog := r.progressRow("indexing")
	prog.FilesDone = filesDone
	prog.ChunksWritten = r.chunksWritten + p.nChunks
	if r.filesTotal > 0 {
		prog.ProgressPercent = float64(filesDone) / float64(r.filesTotal) * 100
	}
	b := p.batch
	b.Progress = prog
	var cancel bool
	if err := r.persist(ctx, func() error {
		var err error
		cancel, err = r.s.store.WriteBatch(ctx, b)
		return err
	}); err != nil {
		return err
	}
	r.filesDone = filesDone
	r.chunksWritten += p.nChunks
	r.changed += p.nFiles + p.nTouched
	r.missingEmbeddings += p.missingEmbeddings
	r.s.metrics.files.WithLabelValues("changed").Add(float64(p.nFiles))
	r.s.metrics.files.WithLabelValues("touched").Add(float64(p.nTouched))
	r.s.metrics.files.WithLabelValues("deleted").Add(float64(p.nDeleted))
	r.s.metrics.chunks.Add(float64(p.nChunks))
	if r.progress != nil {
		j := r.job
		j.Status, j.Phase = codebase.JobRunning, prog.Phase
		j.FilesTotal, j.FilesDone, j.ChunksWritten, j.ProgressPercent = r.filesTotal, r.filesDone, r.chunksWritten, prog.ProgressPercent
		r.progress(j)
	}
	if cancel {
		return errCancelled
	}
	return nil
}

// fillMissing embeds chunks of the project stored without an embedding
// (an earlier embedder failure, or an embedder change).
func (r *run) fillMissing(ctx context.Context) error {
	after := ""
	page := r.s.cfg.EmbedBatch * 4
	for {
		var ms []pgstore.MissingEmbedding
		if err := r.persist(ctx, func() error {
			var err error
			ms, err = r.s.store.MissingEmbeddings(ctx, r.job.ProjectID, after, page)
			return err
		}); err != nil {
			return err
		}
		if len(ms) == 0 {
			return nil
		}
		if after == "" {
			if err := r.setPhase(ctx, "embedding_missing"); err != nil {
				return err
			}
		}
		after = ms[len(ms)-1].ChunkID
		rows := make([]pgstore.ChunkRow, len(ms))
		for i, m := range ms {
			rows[i].ID, rows[i].ContentHash, rows[i].Content = m.ChunkID, m.ContentHash, m.Content
		}
		if err := r.embed(ctx, rows); err != nil {
			return err
		}
		if r.embedErr != nil {
			return nil
		}
		vecs := make(map[string][]float32, len(rows))
		for _, c := range rows {
			vecs[c.ID] = c.Embedding
		}
		t := time.Now()
		var cancel bool
		if err := r.persist(ctx, func() error {
			var err error
			cancel, err = r.s.store.SetEmbeddings(ctx, r.job.ProjectID, vecs, r.progressRow("embedding_missing"))
			return err
		}); err != nil {
			return err
		}
		r.addPhase("write", t)
		if cancel {
			return errCancelled
		}
	}
}

// finish records the repository's new state and builds the outcome.
func (r *run) finish(ctx context.Context) (pgstore.Outcome, error) {
	t := time.Now()
	defer r.addPhase("finish", t)
	s, job := r.s, r.job
	var byLang map[string]int
	var missing int
	if err := r.persist(ctx, func() error {
		if _, err := s.store.RepositoryDone(ctx, job.ProjectID, job.RepositoryID, r.commit, r.settings); err != nil {
			return err
		}
		var err error
		if byLang, err = s.store.ChunksByLanguage(ctx, job.ProjectID, job.RepositoryID); err != nil {
			return err
		}
		missing, err = s.store.CountMissingEmbeddings(ctx, job.ProjectID)
		return err
	}); err != nil {
		return pgstore.Outcome{}, err
	}
	total := 0
	for _, n := range byLang {
		total += n
	}
	if r.embedErr != nil || missing > 0 {
		reason := "an earlier embedder failure"
		if r.embedErr != nil {
			reason = apperr.MessageOf(r.embedErr)
			if apperr.CodeOf(r.embedErr) == apperr.Internal {
				reason = r.embedErr.Error()
			}
		}
		out := r.outcome(codebase.JobFailed, "failed", fmt.Sprintf(
			"embedding failed (%s): %d chunks of project %s are stored without embeddings; keyword search finds them, "+
				"semantic search does not; run the index again to embed them", reason, missing, job.ProjectID))
		out.ChunksByLanguage = byLang
		return out, nil
	}
	out := r.outcome(codebase.JobCompleted, "completed", "")
	out.ChunksByLanguage = byLang
	if r.changed == 0 && r.deleted == 0 {
		out.Message = fmt.Sprintf("up to date: %d files unchanged since the last index, %d chunks", r.unchanged, total)
	} else {
		out.Message = fmt.Sprintf("%d files indexed (%d changed, %d unchanged, %d deleted), %d chunks (%d written)",
			r.filesTotal, r.changed, r.unchanged, r.deleted, total, r.chunksWritten)
	}
	return out, nil
}

// outcome builds the job's final row from the run's counters.
func (r *run) outcome(status, phase, errMsg string) pgstore.Outcome {
	r.mu.Lock()
	secs := make(map[string]float64, len(r.phases)+1)
	for k, d := range r.phases {
		secs[k] = round3(d.Seconds())
	}
	r.mu.Unlock()
	secs["total"] = round3(time.Since(r.start).Seconds())
	return pgstore.Outcome{
		ProjectID: r.job.ProjectID, JobID: r.job.ID, Owner: r.s.owner,
		Status: status, Phase: phase, ErrorMessage: errMsg, Message: errMsg,
		FilesTotal: r.filesTotal, FilesDone: r.filesDone, ChunksWritten: r.chunksWritten,
		FilesByLanguage: nonNil(r.filesByLanguage), ChunksByLanguage: map[string]int{},
		Skipped: nonNil(r.skipped), Commit: r.commit, PhaseSeconds: secs,
	}
}

func nonNil(m map[string]int) map[string]int {
	if m == nil {
		return map[string]int{}
	}
	return m
}

func round3(f float64) float64 { return float64(int64(f*1000+0.5)) / 1000 }

// logContext is the context object of the job's log events.
func (r *run) logContext(extra map[string]any) map[string]any {
	m := map[string]any{"job_id": r.job.ID, "project_id": r.job.ProjectID,
		"repository_id": r.job.RepositoryID, "repo_path": r.job.RepoPath}
	maps.Copy(m, extra)
	return m
}

// report logs indexing_completed or indexing_failed and updates metrics.
func (r *run) report(ctx context.Context, out pgstore.Outcome, err error) {
	m := r.s.metrics
	for phase, secs := range out.PhaseSeconds {
		m.duration.WithLabelValues(phase).Observe(secs)
	}
	m.operations.WithLabelValues(out.Status).Inc()
	skipped := 0
	for _, n := range out.Skipped {
		skipped += n
	}
	lc := r.logContext(map[string]any{
		"status": out.Status, "files": out.FilesTotal, "files_changed": r.changed, "files_unchanged": r.unchanged,
		"files_deleted": r.deleted, "chunks_written": out.ChunksWritten, "chunks_embedded": r.chunksEmbedded,
		"chunks_reused_embeddings": r.chunksReused, "skipped": skipped, "skipped_by_reason": out.Skipped,
		"phase_seconds": out.PhaseSeconds, "commit": out.Commit,
	})
	switch out.Status {
	case codebase.JobCompleted:
		r.s.log.InfoContext(ctx, "indexing_completed", "context", lc)
	case codebase.JobCancelled:
		r.s.log.InfoContext(ctx, "indexing_cancelled", "context", lc)
	default:
		e := out.ErrorMessage
		if err != nil && !errors.Is(err, context.Canceled) {
			e = err.Error()
		}
		r.s.log.ErrorContext(ctx, "indexing_failed", "error", e, "context", lc)
	}
}
