//go:build !nocv

package cli_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gocv.io/x/gocv"

	"sitegate/agent/framestore"
	"sitegate/agent/mudlearn"
	"sitegate/agent/wire"
	"sitegate/testbench/broker"
	"sitegate/testbench/coverscene"
)

// TestLearnCoverAutoMosquitto: with cover.learn auto, the gateway fits the camera's cover model
// by itself once learn_every cover reviews came in, under the same guard as `sitegate learn
// cover`, and the status names the cover model in force.
func TestLearnCoverAutoMosquitto(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	if os.Getenv("SITEGATE_TEST_EXEC") != "" {
		t.Skip("compute-heavy: frames drawn by the cover generator")
	}
	b := broker.StartMosquitto(t)
	gate := coverscene.RandomGate(2001) // an evaluation gate: never fitted on
	s := newSite(t, b.URL())
	cfg, _ := os.ReadFile(s.config)
	text := strings.Replace(string(cfg), "        url: wheels.avi\n", "        url: wheels.avi\n        cover:\n          rois:\n"+
		roisYAML(gate.Regions(), "            ")+"          learn: auto\n          learn_every: 12\n", 1)
	text += "status: {interval: 1s}\n"
	if err := os.WriteFile(s.config, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}

	// The cover frames the agent kept of 12 earlier passages (6 covered, 6 open), as its
	// watcher keeps them, and their reviews.
	store, err := framestore.Open(filepath.Join(s.dir, "data", "frames"), framestore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var reviews []string
	t0 := time.Now().Add(-time.Hour)
	for i := 0; i < 12; i++ {
		label := coverscene.Covered
		if i%2 == 1 {
			label = coverscene.Open
		}
		spec := coverscene.RandomSpec(rand.New(rand.NewPCG(uint64(i), 11)), label)
		img, _ := coverscene.Render(gate, spec, int64(100+i), 320, 180)
		m, err := gocv.ImageToMatRGB(img)
		if err != nil {
			t.Fatal(err)
		}
		id := fmt.Sprintf("0193a1b2-7c3d-7e4f-8a9b-%012d", i)
		putKept(t, store, framestore.Kept{PassageID: id, Camera: "wheels", Check: "cover", At: t0.Add(time.Duration(i) * time.Minute)}, m, gate.Regions())
		m.Close()
		reviews = append(reviews, fmt.Sprintf(`{"schema":"sitegate.review/v1","passage_id":%q,"check":"cover","label":%q,"by":"officer-7"}`, id, label))
	}

	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
	runAgent(t, s)
	latestStatus(t, msgs, 20*time.Second, "online status", func(st wire.Status) bool { return st.State == wire.Online })
	for _, r := range reviews {
		broker.Publish(t, b.URL(), "sitegate/v1/e2e-site/gw-07/review", []byte(r), false)
	}
	st := latestStatus(t, msgs, 120*time.Second, "an automatic cover fit", func(st wire.Status) bool {
		return st.Reviews != nil && st.Reviews.Labelled == 12 && st.Reviews.Fits >= 1 && len(st.Cameras) == 1
	})
	m, err := mudlearn.Open(mudlearn.ModelsDirOf(filepath.Join(s.dir, "data"), "cover"), "wheels").Current()
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case st.Reviews.Adopted == 0 && m != nil:
		t.Fatalf("no fit adopted, yet model %+v in force", m)
	case st.Reviews.Adopted > 0 && (m == nil || m.F1After <= m.F1Before || m.Frames < 12):
		t.Fatalf("adopted model %+v no better than the one before it", m)
	}
	if mm, _ := mudlearn.Open(mudlearn.ModelsDirOf(filepath.Join(s.dir, "data"), "mud"), "wheels").Current(); mm != nil {
		t.Fatalf("cover reviews fitted a mud model: %+v", mm)
	}
	want := "classic/shipped"
	if m != nil {
		want = "classic/wheels-v1"
	}
	named := latestStatus(t, msgs, 10*time.Second, "the cover model in force named in the status", func(st wire.Status) bool {
		return st.Cameras[0].CoverModel == want
	})
	t.Logf("automatic cover learning: %d fits, %d adopted, model %q", st.Reviews.Fits, st.Reviews.Adopted, named.Cameras[0].CoverModel)
}
