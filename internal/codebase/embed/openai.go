package embed

import (
	"encoding/json"
	"fmt"
	"strings"
)

// openAI speaks the OpenAI embeddings API, which vLLM, llama.cpp's server,
// LM Studio and others implement: POST /v1/embeddings {"model", "input":
// [...]} → {"data": [{"index", "embedding"}, ...]}, where data may come in
// any order and index says which input each vector belongs to.
type openAI struct{}

func (openAI) provider() string { return ProviderOpenAI }

func (openAI) endpoint(base string) string {
	if strings.HasSuffix(base, "/v1") {
		return base + "/embeddings"
	}
	return base + "/v1/embeddings"
}

func (openAI) body(model string, texts []string) any {
	return struct {
		Model          string   `json:"model"`
		Input          []string `json:"input"`
		EncodingFormat string   `json:"encoding_format"`
	}{model, texts, "float"}
}

func (openAI) decode(data []byte, n int) ([][]float32, error) {
	var resp struct {
		Data []struct {
			Index     *int      `json:"index"`
			Embedding []float32 `json:"embedding"`
		} `json:"data"`
	}
	if err := json.Unmarshal(data, &resp); err != nil {
		return nil, fmt.Errorf("decode openai embeddings: %w", err)
	}
	if len(resp.Data) != n {
		return nil, fmt.Errorf("openai returned %d embeddings for %d texts", len(resp.Data), n)
	}
	out := make([][]float32, n)
	for _, d := range resp.Data {
		if d.Index == nil || *d.Index < 0 || *d.Index >= n || out[*d.Index] != nil {
			return nil, fmt.Errorf("openai returned a missing, out-of-range or repeated index among %d embeddings", n)
		}
		if d.Embedding == nil {
			return nil, fmt.Errorf("openai returned no embedding for index %d", *d.Index)
		}
		out[*d.Index] = d.Embedding
	}
	return out, nil
}

func (openAI) hint(Config) string {
	return "check --embedder-url / EMBEDDER_URL (the server's base URL, e.g. http://127.0.0.1:8000 for vLLM) " +
		"and the network, or use --embedder builtin"
}

func (openAI) notFound(Config) string {
	return "check --embedder-url (the base URL, with or without /v1) and --embedder-model"
}
