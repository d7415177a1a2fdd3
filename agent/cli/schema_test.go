package cli_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"sitegate/testbench/broker"
)

const asyncAPIPath = "../../docs/asyncapi.yaml"

var (
	apiOnce    sync.Once
	apiDoc     map[string]any
	apiSchemas map[string]*jsonschema.Schema
	apiErr     error
)

// asyncAPI loads docs/asyncapi.yaml and compiles every schema in components.schemas.
func asyncAPI(t *testing.T) (map[string]any, map[string]*jsonschema.Schema) {
	t.Helper()
	apiOnce.Do(func() {
		raw, err := os.ReadFile(asyncAPIPath)
		if err != nil {
			apiErr = err
			return
		}
		var y any
		if err := yaml.Unmarshal(raw, &y); err != nil {
			apiErr = err
			return
		}
		j, err := json.Marshal(y)
		if err != nil {
			apiErr = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
		if err != nil {
			apiErr = err
			return
		}
		apiDoc = doc.(map[string]any)
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft2020)
		if err := c.AddResource("asyncapi.json", doc); err != nil {
			apiErr = err
			return
		}
		apiSchemas = map[string]*jsonschema.Schema{}
		comps := apiDoc["components"].(map[string]any)["schemas"].(map[string]any)
		for name := range comps {
			s, err := c.Compile("asyncapi.json#/components/schemas/" + name)
			if err != nil {
				apiErr = fmt.Errorf("schema %s: %w", name, err)
				return
			}
			apiSchemas[name] = s
		}
	})
	if apiErr != nil {
		t.Fatalf("docs/asyncapi.yaml: %v", apiErr)
	}
	return apiDoc, apiSchemas
}

// topicSchemas maps a topic (by its shape) to the schema of its payload.
var topicSchemas = []struct {
	re     *regexp.Regexp
	schema string
}{
	{regexp.MustCompile(`^sitegate/v1/[^/]+/[^/]+/status$`), "Status"},
	{regexp.MustCompile(`^sitegate/v1/[^/]+/[^/]+/passage$`), "Passage"},
	{regexp.MustCompile(`^sitegate/v1/[^/]+/[^/]+/drops$`), "Drops"},
	{regexp.MustCompile(`^sitegate/v1/[^/]+/[^/]+/evidence_chunk/[^/]+/[^/]+$`), "EvidenceChunk"},
	{regexp.MustCompile(`^sitegate/v1/[^/]+/[^/]+/decision$`), "Decision"},
	{regexp.MustCompile(`^sitegate/v1/[^/]+/[^/]+/amendment$`), "Passage"},
	{regexp.MustCompile(`^sitegate/v1/[^/]+/[^/]+/config/desired$`), "ConfigDesired"},
	{regexp.MustCompile(`^sitegate/v1/[^/]+/[^/]+/config/reported$`), "ConfigReported"},
	{regexp.MustCompile(`^sitegate/v1/[^/]+/[^/]+/registry/reported$`), "RegistryReported"},
	{regexp.MustCompile(`^sitegate/v1/[^/]+/[^/]+/cmd/[^/]+/reply$`), "CommandReply"},
	{regexp.MustCompile(`^sitegate/v1/[^/]+/[^/]+/cmd/[^/]+$`), "Command"},
	{regexp.MustCompile(`^sitegate/v1/[^/]+/registry$`), "Registry"},
	{regexp.MustCompile(`^sitegate/v1/[^/]+/[^/]+/manifests/reported$`), "ManifestsReported"},
	{regexp.MustCompile(`^sitegate/v1/[^/]+/manifests$`), "Manifests"},
	{regexp.MustCompile(`^sitegate/v1/[^/]+/[^/]+/alarm$`), "Alarm"},
	{regexp.MustCompile(`^sitegate/v1/[^/]+/[^/]+/review$`), "Review"},
}

// checkPayload validates a JSON payload seen on topic against the AsyncAPI schema of its
// channel. Evidence (binary) is skipped; a topic no channel describes is an error.
func checkPayload(t *testing.T, topic string, payload []byte) {
	t.Helper()
	if strings.Contains(topic, "/evidence/") {
		return
	}
	_, schemas := asyncAPI(t)
	for _, ts := range topicSchemas {
		if !ts.re.MatchString(topic) {
			continue
		}
		v, err := jsonschema.UnmarshalJSON(bytes.NewReader(payload))
		if err != nil {
			t.Errorf("%s: not JSON: %v", topic, err)
			return
		}
		if err := schemas[ts.schema].Validate(v); err != nil {
			t.Errorf("%s does not match schema %s: %v\n%s", topic, ts.schema, err, payload)
		}
		return
	}
	t.Errorf("%s is in no channel of docs/asyncapi.yaml", topic)
}

// inbound are the topics operators publish; tests send malformed ones on purpose.
var inbound = regexp.MustCompile(`/(config/desired|cmd/[^/]+|registry|manifests|review)$`)

// checkAll validates every message the agent published on msgs, until msgs is empty.
func checkAll(t *testing.T, msgs <-chan broker.Msg) int {
	t.Helper()
	n := 0
	for {
		select {
		case m := <-msgs:
			if len(m.Payload) == 0 || (inbound.MatchString(m.Topic) && !strings.HasSuffix(m.Topic, "/registry/reported")) {
				continue
			}
			checkPayload(t, m.Topic, m.Payload)
			n++
		case <-time.After(2 * time.Second):
			// A second subscriber can lag behind the one a test awaited on: the stream counts
			// as drained only once it has been quiet for a while.
			return n
		}
	}
}

// TestAsyncAPIExamples validates every example in docs/asyncapi.yaml against its message's schema.
func TestAsyncAPIExamples(t *testing.T) {
	doc, schemas := asyncAPI(t)
	msgs := doc["components"].(map[string]any)["messages"].(map[string]any)
	n := 0
	for name, m := range msgs {
		mm := m.(map[string]any)
		ref, _ := mm["payload"].(map[string]any)["$ref"].(string)
		exs, _ := mm["examples"].([]any)
		if ref == "" {
			continue
		}
		s := schemas[strings.TrimPrefix(ref, "#/components/schemas/")]
		if s == nil {
			t.Fatalf("message %s: no schema %s", name, ref)
		}
		for i, ex := range exs {
			if err := s.Validate(ex.(map[string]any)["payload"]); err != nil {
				t.Errorf("message %s example %d: %v", name, i, err)
			}
			n++
		}
	}
	if n < 10 {
		t.Fatalf("only %d examples checked", n)
	}
	// Every schema can fail: an empty object matches none of the payload schemas.
	for _, name := range []string{"Status", "Passage", "ConfigReported", "CommandReply", "Registry"} {
		if schemas[name].Validate(map[string]any{}) == nil {
			t.Errorf("schema %s accepts {}", name)
		}
	}
}
