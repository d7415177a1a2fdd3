package wire

import (
	"slices"
	"strings"
	"testing"
)

// topicCases are the contract's topics (CONTRACT 6) and how they parse; they seed the fuzz test.
var topicCases = []struct {
	topic string
	want  Topic
}{
	{"sitegate/v1/demo-site/gw-01/status", Topic{Site: "demo-site", Gateway: "gw-01", Kind: "status"}},
	{"sitegate/v1/demo-site/gw-01/passage", Topic{Site: "demo-site", Gateway: "gw-01", Kind: "passage"}},
	{"sitegate/v1/s/g/evidence/0192f1c2/wheels.jpg", Topic{Site: "s", Gateway: "g", Kind: "evidence", Rest: []string{"0192f1c2", "wheels.jpg"}}},
	{"sitegate/v1/s/g/config/desired", Topic{Site: "s", Gateway: "g", Kind: "config", Rest: []string{"desired"}}},
	{"sitegate/v1/s/g/cmd/ping/reply", Topic{Site: "s", Gateway: "g", Kind: "cmd", Rest: []string{"ping", "reply"}}},
	{"sitegate/v1/s/registry", Topic{Site: "s", Kind: "registry"}},
}

func TestBuildersMatchTheContract(t *testing.T) {
	g := Topics("demo-site", "gw-01")
	for got, want := range map[string]string{
		g.Root():                       "sitegate/v1/demo-site/gw-01",
		g.All():                        "sitegate/v1/demo-site/gw-01/#",
		g.Status():                     "sitegate/v1/demo-site/gw-01/status",
		g.Passage():                    "sitegate/v1/demo-site/gw-01/passage",
		g.Evidence("id-1", "a.jpg"):    "sitegate/v1/demo-site/gw-01/evidence/id-1/a.jpg",
		g.Drops():                      "sitegate/v1/demo-site/gw-01/drops",
		g.ConfigDesired():              "sitegate/v1/demo-site/gw-01/config/desired",
		g.ConfigReported():             "sitegate/v1/demo-site/gw-01/config/reported",
		g.RegistryReported():           "sitegate/v1/demo-site/gw-01/registry/reported",
		g.Cmd("ping"):                  "sitegate/v1/demo-site/gw-01/cmd/ping",
		g.CmdReply("ping"):             "sitegate/v1/demo-site/gw-01/cmd/ping/reply",
		SiteRegistryTopic("demo-site"): "sitegate/v1/demo-site/registry",
	} {
		if got != want {
			t.Errorf("built %q, want %q", got, want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, c := range topicCases {
		got, err := Parse(c.topic)
		if err != nil || got.Site != c.want.Site || got.Gateway != c.want.Gateway || got.Kind != c.want.Kind || !slices.Equal(got.Rest, c.want.Rest) {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", c.topic, got, err, c.want)
		}
	}
	for _, bad := range []string{"", "sitegate/v1", "sitegate/v1/s", "sitegate/v2/s/g/status", "other/v1/s/g/status", "sitegate/v1//g/status", "sitegate/v1/s/g/"} {
		if got, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %+v, want an error", bad, got)
		}
	}
	// What the builders make parses back to the same gateway.
	g := Topics("s", "g")
	if got, _ := Parse(g.Evidence("p", "n.jpg")); got.Topics() != g {
		t.Errorf("round trip gave %+v", got.Topics())
	}
}

// FuzzParse: any topic either fails to parse or parses into parts that build it again.
func FuzzParse(f *testing.F) {
	for _, c := range topicCases {
		f.Add(c.topic)
	}
	f.Fuzz(func(t *testing.T, topic string) {
		got, err := Parse(topic)
		if err != nil {
			return
		}
		parts := []string{Prefix, got.Site}
		if got.Gateway != "" {
			parts = append(parts, got.Gateway)
		}
		parts = append(append(parts, got.Kind), got.Rest...)
		if again := strings.Join(parts, "/"); again != topic {
			t.Fatalf("Parse(%q) = %+v, which joins to %q", topic, got, again)
		}
	})
}
