package embed

import (
	"encoding/json"
	"fmt"
)

// ollama speaks Ollama's batch embedding API: POST /api/embed
// {"model", "input": [...]} → {"embeddings": [[...], ...]} in input order.
type ollama struct{}

func (ollama) provider() string { return ProviderOllama }

func (ollama) endpoint(base string) string { return base + "/api/embed" }

func (ollama) body(model string, texts []string) any {
	return struct {
		Model string   `json:"model"`
		Input []string `json:"input"`
	}{model, texts}
}

func (ollama) decode(data []byte, n int) ([][]float32, error) {
	var resp struct {
		Embeddings [][]float32 `json:"embeddings"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, fmt.Errorf("decode ollama embeddings: %w", err)
	}
	if len(resp.Embeddings) != n {
		return nil, fmt.Errorf("ollama returned %d embeddings for %d texts", len(resp.Embeddings), n)
	}
	return resp.Embeddings, nil
}

func (ollama) hint(cfg Config) string {
	return fmt.Sprintf("start Ollama (`ollama serve`) and pull the model (`ollama pull %s`), "+
		"or point --embedder-url / EMBEDDER_URL at a running Ollama, or use --embedder builtin", cfg.Model)
}

func (ollama) notFound(cfg Config) string {
	return fmt.Sprintf("the model is not installed: run `ollama pull %s`, or check --embedder-model and that --embedder-url is an Ollama server", cfg.Model)
}
