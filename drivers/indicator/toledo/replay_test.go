package toledo

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"

	"sitegate/drivers/indicator"
	"sitegate/drivers/indicator/indicatortest"
	"sitegate/drivers/serialport/capture"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// TestReplayTruckCapture replays a recorded truck visit (sitegate scale record of the emulator,
// with corrupted frames and garbage) and compares the readings with the golden file.
func TestReplayTruckCapture(t *testing.T) {
	f, err := os.Open("testdata/truck.cap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := capture.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	got, st, _ := indicatortest.Decode(New(c.Playback(), indicator.Options{}))
	var b strings.Builder
	fmt.Fprintf(&b, "frames %d bad %d discarded %d\n", st.Frames, st.BadFrames, st.DiscardedBytes)
	for _, r := range got {
		fmt.Fprintf(&b, "%g motion=%v\n", r.Kg, r.Has(indicator.Motion))
	}
	if *update {
		os.WriteFile("testdata/truck.golden", []byte(b.String()), 0o644)
	}
	want, err := os.ReadFile("testdata/truck.golden")
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("replay differs from testdata/truck.golden (go test -update to accept):\n%s", b.String())
	}
	if st.BadFrames == 0 || st.Frames < 50 || !strings.Contains(b.String(), "31200 motion=false") {
		t.Errorf("the capture should hold a stable 31200 kg, and damaged frames: %+v", st)
	}
}
