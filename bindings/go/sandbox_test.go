package uiza_test

// Helpers for tests that run against a uiza-sandbox. tests/go_binding.rs
// starts an HTTP and an HTTPS sandbox and passes them in the environment.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync/atomic"
	"testing"

	uiza "github.com/uiza/uiza-c/bindings/go"
)

type sandboxEnv struct {
	BaseURL    string // UIZA_TEST_BASE_URL, http://
	TLSBaseURL string // UIZA_TEST_TLS_BASE_URL, https://
	CAFile     string // UIZA_TEST_CA_FILE, the HTTPS sandbox's CA
	APIKey     string // UIZA_TEST_API_KEY
	EntityID   string // UIZA_TEST_ENTITY_ID
}

// env fails the test (rather than skipping it) when run without a sandbox.
func env(t *testing.T) sandboxEnv {
	t.Helper()
	get := func(name string) string {
		v := os.Getenv(name)
		if v == "" {
			t.Fatalf("%s is not set: run these tests with `cargo test --test go_binding`, which starts the sandbox", name)
		}
		return v
	}
	return sandboxEnv{
		BaseURL:    get("UIZA_TEST_BASE_URL"),
		TLSBaseURL: get("UIZA_TEST_TLS_BASE_URL"),
		CAFile:     get("UIZA_TEST_CA_FILE"),
		APIKey:     get("UIZA_TEST_API_KEY"),
		EntityID:   get("UIZA_TEST_ENTITY_ID"),
	}
}

// client is a client of the HTTP sandbox without retries, closed with t.
func (e sandboxEnv) client(t *testing.T, opts ...uiza.Option) *uiza.Client {
	t.Helper()
	opts = append([]uiza.Option{uiza.WithBaseURL(e.BaseURL), uiza.WithMaxRetries(0)}, opts...)
	c, err := uiza.NewClient(e.APIKey, opts...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// fault queues a fault (sandbox fault JSON) on the HTTP sandbox.
func (e sandboxEnv) fault(t *testing.T, faultJSON string) {
	t.Helper()
	resp, err := http.Post(e.BaseURL+"/__admin/faults", "application/json", strings.NewReader(faultJSON))
	if err != nil {
		t.Fatalf("POST /__admin/faults: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /__admin/faults %s: HTTP %d", faultJSON, resp.StatusCode)
	}
}

type stats struct {
	APIRequests   int `json:"api_requests"`
	Resets        int `json:"resets"`
	FaultsApplied int `json:"faults_applied"`
}

func (e sandboxEnv) stats(t *testing.T) stats {
	t.Helper()
	resp, err := http.Get(e.BaseURL + "/__admin/stats")
	if err != nil {
		t.Fatalf("GET /__admin/stats: %v", err)
	}
	defer resp.Body.Close()
	var s stats
	if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
		t.Fatalf("decode stats: %v", err)
	}
	return s
}

// noSecret fails if the API key shows up in a message.
func (e sandboxEnv) noSecret(t *testing.T, text string) {
	t.Helper()
	if strings.Contains(text, e.APIKey) {
		t.Fatal("the API key appears in an error message")
	}
}

var entities int64

// newEntity stores a fresh copy of the seed entity under a new id, so that
// a test counts only its own rotations (a request that an earlier test
// gave up on may still reset the seed entity later).
func (e sandboxEnv) newEntity(t *testing.T) string {
	t.Helper()
	id := fmt.Sprintf("go-entity-%d-%d", os.Getpid(), atomic.AddInt64(&entities, 1))
	entity := map[string]any{
		"id":     id,
		"name":   "Go test entity",
		"ingest": map[string]string{"url": "rtmp://example.invalid/live", "key": "live_initial_" + id},
		"status": "ready",
	}
	body, _ := json.Marshal(entity)
	resp, err := http.Post(e.BaseURL+"/__admin/entities", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST /__admin/entities: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("POST /__admin/entities: HTTP %d", resp.StatusCode)
	}
	return id
}

// adminGet decodes GET /__admin/<path> into v.
func (e sandboxEnv) adminGet(t *testing.T, path string, v any) {
	t.Helper()
	resp, err := http.Get(e.BaseURL + "/__admin/" + path)
	if err != nil {
		t.Fatalf("GET /__admin/%s: %v", path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /__admin/%s: HTTP %d", path, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("decode /__admin/%s: %v", path, err)
	}
}

// currentKey is the key the sandbox holds for entity id.
func (e sandboxEnv) currentKey(t *testing.T, id string) string {
	t.Helper()
	var entity struct {
		Ingest struct{ Key string } `json:"ingest"`
	}
	e.adminGet(t, "entities/"+id, &entity)
	return entity.Ingest.Key
}

// rotations is how many times the sandbox reset entity id's key.
func (e sandboxEnv) rotations(t *testing.T, id string) int {
	t.Helper()
	var r struct{ Rotations int }
	e.adminGet(t, "rotations/"+id, &r)
	return r.Rotations
}
