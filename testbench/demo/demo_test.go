//go:build !nocv

package demo

import (
	"bytes"
	"context"
	"image/jpeg"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sitegate/agent/lane"
)

// TestDemoShowsThreeVerdicts runs `sitegate demo` as a user would see it: three passages with
// the right verdicts, their evidence saved and decodable.
func TestDemoShowsThreeVerdicts(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	var mu sync.Mutex
	var got []lane.Passage
	files := map[string]string{}
	var out bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	err := Run(ctx, Options{Dir: t.TempDir(), Out: &out, OnPassage: func(p lane.Passage, f map[string]string) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, p)
		if f["wheels.jpg"] != "" {
			files[p.ID] = f["wheels.jpg"]
		}
	}})
	if err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	mu.Lock()
	defer mu.Unlock()
	want := []struct {
		plate  string
		alarms []string
	}{{"浙F12345", []string{"overload"}}, {"苏A99999", []string{"registry", "mud"}}, {"浙F66666", []string{}}}
	if len(got) != len(want) {
		t.Fatalf("%d passages, want %d\n%s", len(got), len(want), out.String())
	}
	for i, w := range want {
		p := got[i]
		if p.Plate == nil || p.Plate.Text != w.plate || !slices.Equal(p.Alarms, w.alarms) || p.Weight == nil {
			t.Errorf("passage %d: plate %+v weight %+v alarms %v; want %s %v", i+1, p.Plate, p.Weight, p.Alarms, w.plate, w.alarms)
		}
		f, ok := files[p.ID]
		if !ok {
			t.Errorf("passage %d: wheels.jpg not saved", i+1)
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := jpeg.Decode(bytes.NewReader(data)); err != nil {
			t.Errorf("passage %d: saved evidence does not decode: %v", i+1, err)
		}
	}
	if !strings.Contains(out.String(), "3 passages received") {
		t.Errorf("the live view does not end with its summary:\n%s", out.String())
	}
}
