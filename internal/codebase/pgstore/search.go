package pgstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/pgvector/pgvector-go"

	"github.com/mcp-memory/servers/internal/codebase/search"
)

// The search service's queries. The store imports the search package for
// its row types (the consumer owns them, as ardanlabs' userdb imports
// userbus); search never imports pgstore.
var _ search.Store = (*Store)(nil)

// contextLines is how many lines of the indexed file surround a result.
const contextLines = 10

// SearchState returns what a search checks before ranking in one round
// trip: project and repository existence, chunk count, active index jobs,
// lexical generation and the associations of q.Words.
func (s *Store) SearchState(ctx context.Context, q search.StateQuery) (search.State, error) {
	const qState = `SELECT
	    EXISTS (SELECT 1 FROM projects WHERE project_id = $1),
	    $2::uuid IS NULL OR EXISTS (SELECT 1 FROM repositories WHERE project_id = $1 AND repository_id = $2::uuid),
	    coalesce(ls.n_chunks, 0), coalesce(ls.generation, 0),
	    (SELECT count(*) FROM index_jobs WHERE project_id = $1 AND status IN ('pending', 'running'))
	    FROM (SELECT 1) one LEFT JOIN lexical_stats ls ON ls.project_id = $1`
	var repo *string
	if q.RepositoryID != "" {
		repo = &q.RepositoryID
	}
	st := search.State{Associations: map[string][]search.Association{}}
	err := s.do(ctx, "search_state", func(ctx context.Context, c *pgxpool.Conn) error {
		clear(st.Associations)
		b := &pgx.Batch{}
		b.Queue(qState, q.ProjectID, repo)
		if len(q.Words) > 0 {
			b.Queue(qAssociations, q.ProjectID, q.Words)
		}
		br := c.SendBatch(ctx, b)
		defer br.Close()
		if err := br.QueryRow().Scan(&st.ProjectExists, &st.RepositoryExists, &st.Chunks, &st.Generation, &st.ActiveJobs); err != nil {
			return err
		}
		if len(q.Words) == 0 {
			return nil
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		return scanAssociations(rows, st.Associations)
	})
	return st, mapErr(err, "search state")
}

// LexicalStats returns the project's chunk count, summed field lengths and
// the document frequencies of terms, in one round trip.
func (s *Store) LexicalStats(ctx context.Context, projectID string, terms []string) (search.Stats, error) {
	const qStats = `SELECT n_chunks, sum_len FROM lexical_stats WHERE project_id = $1`
	const qDF = `SELECT term, df FROM term_df WHERE project_id = $1 AND term = ANY($2)`
	st := search.Stats{DF: make(map[string]int64, len(terms))}
	err := s.do(ctx, "search_lexical_stats", func(ctx context.Context, c *pgxpool.Conn) error {
		b := &pgx.Batch{}
		b.Queue(qStats, projectID)
		b.Queue(qDF, projectID, terms)
		br := c.SendBatch(ctx, b)
		defer br.Close()
		var sum []int64
		err := br.QueryRow().Scan(&st.N, &sum)
		if err != nil && err != pgx.ErrNoRows {
			return err
		}
		copy(st.SumLen[:], sum)
		rows, err := br.Query()
		if err != nil {
			return err
		}
		for rows.Next() {
			var t string
			var df int64
			if err := rows.Scan(&t, &df); err != nil {
				return err
			}
			st.DF[t] = df
		}
		return rows.Err()
	})
	return st, mapErr(err, "lexical statistics")
}

// filterSQL appends the WHERE conditions of f (beyond project_id, which is
// always $1) to where, adding their arguments to args.
func filterSQL(f search.Filter, where []string, args []any) ([]string, []any) {
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if f.RepositoryID != "" {
		where = append(where, "c.repository_id = "+arg(f.RepositoryID)+"::uuid")
	}
	if f.Extension != "" {
		// The extension is [A-Za-z0-9_+-]: only _ is a LIKE wildcard.
		where = append(where, "lower(c.file_path) LIKE "+arg("%."+strings.ReplaceAll(f.Extension, "_", `\_`)))
	}
	if f.DirLike != "" {
		where = append(where, "c.file_path LIKE "+arg(f.DirLike))
	}
	if f.DirRegex != "" {
		where = append(where, "c.file_path ~ "+arg(f.DirRegex))
	}
	if f.Language != "" {
		where = append(where, "lower(c.language) = "+arg(f.Language))
	}
	return where, args
}

// tsquery returns the OR query of terms. Terms are quoted lexemes, so they
// are taken literally (no parsing, no stemming).
func tsquery(terms []string) string {
	var b strings.Builder
	for i, t := range terms {
		if i > 0 {
			b.WriteString(" | ")
		}
		b.WriteByte('\'')
		b.WriteString(strings.NewReplacer(`'`, `''`, `\`, `\\`).Replace(t))
		b.WriteByte('\'')
	}
	return b.String()
}

// LexicalCandidates returns the chunks that hold any of q.MatchTerms (the
// GIN index on (project_id, tsv) finds them), the best q.Limit by a
// ts_rank weighted like BM25F's classes, with the per-class frequencies of
// q.ScoreTerms read from their tsvector positions.
func (s *Store) LexicalCandidates(ctx context.Context, q search.CandidateQuery) ([]search.Candidate, error) {
	if len(q.MatchTerms) == 0 {
		return nil, nil
	}
	args := []any{q.Filter.ProjectID, tsquery(q.MatchTerms)}
	where := []string{"c.project_id = $1", "c.tsv @@ $2::tsquery"}
	where, args = filterSQL(q.Filter, where, args)
	args = append(args, q.Limit)
	// ts_rank's weights are listed D, C, B, A. The tsvector comes back as
	// text and is read in Go: filtering lexemes in SQL (unnest) costs about
	// 0.1 ms per candidate, ten times more.
	// The text form is made after the LIMIT: in one SELECT, PostgreSQL
	// would make it for every match before sorting.
	query := `SELECT chunk_id, repository_id::text, file_path, kind, symbol, start_line, end_line, field_len, tsv::text,
	       EXISTS (SELECT 1 FROM search_generated_files g
	               WHERE g.project_id = $1 AND g.repository_id = top.repository_id AND g.path = top.file_path)
	    FROM (SELECT c.chunk_id, c.repository_id, c.file_path, c.kind, c.symbol, c.start_line, c.end_line, c.field_len, c.tsv
	          FROM chunks c
	          WHERE ` + strings.Join(where, " AND ") + `
	          ORDER BY ts_rank('{0.03, 0.03, 0.25, 1}', c.tsv, $2::tsquery, 1) DESC, c.chunk_id
	          LIMIT $` + strconv.Itoa(len(args)) + `) top`
	want := make(map[string]bool, len(q.ScoreTerms))
	for _, t := range q.ScoreTerms {
		want[t] = true
	}
	var out []search.Candidate
	err := s.do(ctx, "search_lexical_candidates", func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var fl []int32
		var tsv []byte
		for rows.Next() {
			var cd search.Candidate
			if err := rows.Scan(&cd.ChunkID, &cd.RepositoryID, &cd.FilePath, &cd.Kind, &cd.Symbol,
				&cd.StartLine, &cd.EndLine, &fl, &tsv, &cd.Generated); err != nil {
				return err
			}
			for i := 0; i < len(fl) && i < search.Classes; i++ {
				cd.FieldLen[i] = int(fl[i])
			}
			cd.TF = termFrequencies(tsv, want)
			out = append(out, cd)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, mapErr(err, "lexical candidates")
	}
	return out, nil
}

// termFrequencies reads a tsvector's text form ('lex':1A,2,5C 'other':3B;
// a position without a letter has weight D) and counts, for each lexeme in
// want (every lexeme when want is nil), its positions per weight class.
func termFrequencies(tsv []byte, want map[string]bool) map[string][search.Classes]int {
	out := map[string][search.Classes]int{}
	var lex []byte
	i := 0
	for i < len(tsv) {
		for i < len(tsv) && tsv[i] == ' ' {
			i++
		}
		if i >= len(tsv) || tsv[i] != '\'' {
			return out
		}
		i++
		lex = lex[:0]
		for i < len(tsv) {
			ch := tsv[i]
			if ch == '\\' && i+1 < len(tsv) {
				lex = append(lex, tsv[i+1])
				i += 2
				continue
			}
			if ch == '\'' {
				if i+1 < len(tsv) && tsv[i+1] == '\'' {
					lex = append(lex, '\'')
					i += 2
					continue
				}
				i++
				break
			}
			lex = append(lex, ch)
			i++
		}
		keep := want == nil || want[string(lex)]
		var tf [search.Classes]int
		if i < len(tsv) && tsv[i] == ':' {
			i++
			for i < len(tsv) && tsv[i] != ' ' {
				// digits, then an optional weight letter, then an optional comma
				for i < len(tsv) && tsv[i] >= '0' && tsv[i] <= '9' {
					i++
				}
				class := 3
				if i < len(tsv) && tsv[i] >= 'A' && tsv[i] <= 'D' {
					class = int(tsv[i] - 'A')
					i++
				}
				tf[class]++
				if i < len(tsv) && tsv[i] == ',' {
					i++
				}
			}
		}
		if keep {
			out[string(lex)] = tf
		}
	}
	return out
}

// VectorScores returns the cosine similarity of vec with the embeddings of
// ids (those of vec's dimension).
func (s *Store) VectorScores(ctx context.Context, projectID string, vec []float32, ids []string) (map[string]float64, error) {
	const q = `SELECT chunk_id, 1 - (embedding <=> $2) FROM chunks
	    WHERE project_id = $1 AND chunk_id = ANY($3) AND embedding IS NOT NULL AND vector_dims(embedding) = $4`
	out := make(map[string]float64, len(ids))
	err := s.do(ctx, "search_vector_scores", func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, q, projectID, pgvector.NewVector(vec), ids, len(vec))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var sim float64
			if err := rows.Scan(&id, &sim); err != nil {
				return err
			}
			out[id] = sim
		}
		return rows.Err()
	})
	if err != nil {
		return nil, mapErr(err, "vector scores")
	}
	return out, nil
}

// VectorNearest returns the k chunks nearest to vec by cosine distance
// among those that pass f: an exact scan of the project's embeddings, so
// filters never leave fewer than k results when k chunks pass them.
func (s *Store) VectorNearest(ctx context.Context, projectID string, vec []float32, f search.Filter, k int) ([]search.Scored, error) {
	f.ProjectID = projectID
	args := []any{projectID, pgvector.NewVector(vec), len(vec)}
	where := []string{"c.project_id = $1", "c.embedding IS NOT NULL", "vector_dims(c.embedding) = $3"}
	where, args = filterSQL(f, where, args)
	args = append(args, k)
	q := `SELECT c.chunk_id, 1 - (c.embedding <=> $2) FROM chunks c WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY c.embedding <=> $2, c.chunk_id LIMIT $` + strconv.Itoa(len(args))
	var out []search.Scored
	err := s.do(ctx, "search_vector_nearest", func(ctx context.Context, c *pgxpool.Conn) error {
		rows, err := c.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var sc search.Scored
			if err := rows.Scan(&sc.ChunkID, &sc.Score); err != nil {
				return err
			}
			out = append(out, sc)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, mapErr(err, "vector search")
	}
	return out, nil
}

// IndexEmbedder returns the embedder the project's vectors were made with,
// "" when nothing was indexed yet.
func (s *Store) IndexEmbedder(ctx context.Context, projectID string) (string, error) {
	st, ok, err := s.Settings(ctx, projectID)
	if err != nil || !ok {
		return "", err
	}
	return st.Embedder, nil
}

// qAssociations reads the translation model's terms of the words $2.
const qAssociations = `SELECT word, terms, probs FROM search_associations WHERE project_id = $1 AND word = ANY($2)`

// scanAssociations reads rows of qAssociations into out and closes them.
func scanAssociations(rows pgx.Rows, out map[string][]search.Association) error {
	defer rows.Close()
	for rows.Next() {
		var w string
		var ts []string
		var ps []float32
		if err := rows.Scan(&w, &ts, &ps); err != nil {
			return err
		}
		as := make([]search.Association, 0, len(ts))
		for i := range ts {
			if i < len(ps) {
				as = append(as, search.Association{Term: ts[i], P: float64(ps[i])})
			}
		}
		out[w] = as
	}
	return rows.Err()
}

// ReplaceAssociations stores m as the project's translation model in one
// transaction, so searches see the old model or the new one, never a mix.
func (s *Store) ReplaceAssociations(ctx context.Context, projectID string, m map[string][]search.Association) error {
	rows := make([][]any, 0, len(m))
	for w, as := range m {
		ts := make([]string, len(as))
		ps := make([]float32, len(as))
		for i, a := range as {
			ts[i], ps[i] = a.Term, float32(a.P)
		}
		rows = append(rows, []any{projectID, w, ts, ps})
	}
	err := s.tx(ctx, "search_replace_associations", func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM search_associations WHERE project_id = $1`, projectID); err != nil {
			return err
		}
		_, err := tx.CopyFrom(ctx, pgx.Identifier{"search_associations"},
			[]string{"project_id", "word", "terms", "probs"}, pgx.CopyFromRows(rows))
		return err
	})
	return mapErr(err, "term associations")
}

// TrainingDocs streams the doc comment and the distinct code terms
// (tsvector classes A and C: signature, directory parts, body) of every
// documented chunk of the project to fn, in one transaction without the
// per-statement timeout (it reads the whole project).
func (s *Store) TrainingDocs(ctx context.Context, projectID string, fn func(doc string, codeTerms []string) error) error {
	const q = `SELECT doc, tsv::text FROM chunks WHERE project_id = $1 AND doc <> ''`
	err := s.tx(ctx, "search_training_docs", func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = '30min'`); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, q, projectID)
		if err != nil {
			return err
		}
		defer rows.Close()
		var doc string
		var tsv []byte
		var code []string
		for rows.Next() {
			if err := rows.Scan(&doc, &tsv); err != nil {
				return err
			}
			code = code[:0]
			for t, tf := range termFrequencies(tsv, nil) {
				if tf[0]+tf[2] > 0 {
					code = append(code, t)
				}
			}
			if err := fn(doc, code); err != nil {
				return err
			}
		}
		return rows.Err()
	})
	return mapErr(err, "documented chunks")
}

// RefreshGenerated records which of the project's files begin with a
// "Code generated ... DO NOT EDIT" (or "@generated") header in their first
// 2,000 bytes, for the generated-file prior, and moves the project's
// lexical generation when that set changed; it returns how many files
// are generated.
func (s *Store) RefreshGenerated(ctx context.Context, projectID string) (int, error) {
	// One pass over the files' headers; only a change of the set moves the
	// generation (the flags feed the ranking prior, which in-memory
	// lexicons copy), so refreshing after every index job does not throw
	// away a lexicon loaded a moment before. The UPDATE runs even when
	// nothing changed (matching no row), so a missing privilege fails alike.
	const q = `WITH fresh AS MATERIALIZED (
	    SELECT repository_id, path FROM files
	    WHERE project_id = $1
	      AND left(content, 2000) ~ '(^|\n)\s*(//|#|/\*|\*|--)\s*(Code generated .*DO NOT EDIT|@generated)'),
	  del AS (DELETE FROM search_generated_files g
	    WHERE g.project_id = $1
	      AND NOT EXISTS (SELECT 1 FROM fresh f WHERE f.repository_id = g.repository_id AND f.path = g.path)
	    RETURNING 1),
	  ins AS (INSERT INTO search_generated_files (project_id, repository_id, path)
	    SELECT $1, repository_id, path FROM fresh
	    ON CONFLICT DO NOTHING
	    RETURNING 1)
	SELECT (SELECT count(*) FROM fresh), (SELECT count(*) FROM del) + (SELECT count(*) FROM ins)`
	var n, changed int64
	err := s.tx(ctx, "search_refresh_generated", func(ctx context.Context, tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SET LOCAL statement_timeout = '10min'`); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, q, projectID).Scan(&n, &changed); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `UPDATE lexical_stats SET generation = nextval('lexical_generation') WHERE project_id = $1 AND $2`,
			projectID, changed > 0)
		return err
	})
	return int(n), mapErr(err, "generated files")
}

// ChunkRows returns the rows of ids with their file's freshness data and
// the lines around them from the indexed file content; projectID "" looks
// in every project (get_chunks takes ids alone). Each file's content is
// sent once (with the first of its rows) and the context lines are cut in
// Go: splitting the file in SQL for every row cost about 0.07 ms of server
// CPU per row, most of a cached search's database time.
func (s *Store) ChunkRows(ctx context.Context, projectID string, ids []string) (map[string]search.Row, error) {
	const q = `SELECT c.project_id, c.chunk_id, c.repository_id::text, c.file_path, c.language, c.symbol, c.kind,
	       c.start_line, c.end_line, c.content, c.content_hash,
	       CASE WHEN row_number() OVER (PARTITION BY c.project_id, c.repository_id, c.file_path) = 1 THEN f.content END,
	       coalesce(f.size, -1), coalesce(f.mtime, 'epoch'), coalesce(f.content_hash, ''),
	       coalesce(f.indexed_at, r.indexed_at, 'epoch'), coalesce(nullif(f.commit, ''), r.commit, ''), coalesce(r.path, '')
	    FROM chunks c
	    LEFT JOIN files f ON f.project_id = c.project_id AND f.repository_id = c.repository_id AND f.path = c.file_path
	    LEFT JOIN repositories r ON r.project_id = c.project_id AND r.repository_id = c.repository_id
	    WHERE c.chunk_id = ANY($1)`
	// Two statements rather than "($2 = '' OR c.project_id = $2)": the
	// prepared statement's generic plan could not use the primary key, so
	// PostgreSQL planned every call again (about 0.5 ms of its CPU).
	query, args := q, []any{ids}
	if projectID != "" {
		query, args = q+` AND c.project_id = $2`, []any{ids, projectID}
	}
	type fileKey struct{ project, repo, path string }
	out := make(map[string]search.Row, len(ids))
	err := s.do(ctx, "search_chunk_rows", func(ctx context.Context, c *pgxpool.Conn) error {
		clear(out)
		rows, err := c.Query(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		files := map[fileKey]string{}
		var order []search.Row
		for rows.Next() {
			var r search.Row
			var content *string
			if err := rows.Scan(&r.ProjectID, &r.ChunkID, &r.RepositoryID, &r.FilePath, &r.Language, &r.Symbol, &r.Kind,
				&r.StartLine, &r.EndLine, &r.Content, &r.ContentHash, &content,
				&r.FileSize, &r.FileModTime, &r.FileHash, &r.IndexedAt, &r.Commit, &r.RepositoryPath); err != nil {
				return err
			}
			if content != nil {
				files[fileKey{r.ProjectID, r.RepositoryID, r.FilePath}] = *content
			}
			order = append(order, r)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for _, r := range order {
			if _, dup := out[r.ChunkID]; dup && projectID == "" {
				// The same id in two projects: ids embed the project, so
				// this only happens with forged ids; keep the first.
				continue
			}
			r.ContextBefore, r.ContextAfter = contextAround(files[fileKey{r.ProjectID, r.RepositoryID, r.FilePath}],
				r.StartLine, r.EndLine, contextLines)
			out[r.ChunkID] = r
		}
		return nil
	})
	if err != nil {
		return nil, mapErr(err, fmt.Sprintf("%d chunks", len(ids)))
	}
	return out, nil
}

// contextAround returns up to n lines of content before line start and
// after line end (lines numbered from 1, split on "\n"), as the SQL
// array_to_string(string_to_array(content, E'\n')[...], E'\n') it
// replaces gave them: lines past the end of the file are absent, and a
// missing file ("") has no context. The results share content's memory.
func contextAround(content string, start, end, n int) (before, after string) {
	if content == "" {
		return "", ""
	}
	return lineRange(content, max(start-n, 1), start-1), lineRange(content, end+1, end+n)
}

// lineRange returns lines lo..hi of content (1-based, inclusive, clipped to
// the lines there are), joined by their newlines.
func lineRange(content string, lo, hi int) string {
	if lo > hi {
		return ""
	}
	pos := 0
	for i := 1; i < lo; i++ {
		j := strings.IndexByte(content[pos:], '\n')
		if j < 0 {
			return "" // fewer than lo lines
		}
		pos += j + 1
	}
	end := pos
	for i := lo; ; i++ {
		j := strings.IndexByte(content[end:], '\n')
		if j < 0 {
			return content[pos:] // the last line
		}
		if i == hi {
			return content[pos : end+j]
		}
		end += j + 1
	}
}
