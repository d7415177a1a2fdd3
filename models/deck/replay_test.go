package deck

import (
	"os"
	"testing"
	"time"

	"sitegate/drivers/indicator"
	"sitegate/drivers/indicator/toledo"
	"sitegate/drivers/serialport/capture"
)

// TestReplayTrustsTheIndicator replays a recorded Toledo truck visit (motion flags, damaged
// frames) through the deck: the weight is taken on the indicator's word, once.
func TestReplayTrustsTheIndicator(t *testing.T) {
	f, err := os.Open("../../drivers/indicator/toledo/testdata/truck.cap")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	c, err := capture.Parse(f)
	if err != nil {
		t.Fatal(err)
	}
	at := t0
	dec := toledo.New(c.Playback(), indicator.Options{Now: func() time.Time { at = at.Add(100 * time.Millisecond); return at }})
	d := New(Params{OnKg: 500, OffKg: 200, OffHold: time.Second, StableWindow: time.Hour, StableBandKg: 20})
	var evs []Event
	for {
		r, err := dec.Next()
		if err != nil {
			break
		}
		evs = append(evs, d.Update(r)...)
	}
	// The recording ends as the next truck drives on.
	if got := summary(evs); got != "arrived stable(31200) departed(31200) arrived" {
		t.Fatalf("got %q: with a one-hour software window only the indicator's stable flag can capture", got)
	}
}
