package camera

import (
	"testing"
	"time"
)

// TestPacketRingKeepsWholeGroups: the ring starts at a key frame, drops whole groups once the
// next one starts before the window, and its byte bound drops groups too.
func TestPacketRingKeepsWholeGroups(t *testing.T) {
	t0 := time.Unix(1000, 0)
	r := packetRing{keep: 2 * time.Second}
	r.add(accessUnit{at: t0, size: 10}) // before any key frame: useless
	if len(r.aus) != 0 || r.dropped != 1 {
		t.Fatalf("a picture before the first key frame was kept: %d", len(r.aus))
	}
	for i := 0; i < 100; i++ { // 10 s at 10 fps, a key frame every second
		r.add(accessUnit{at: t0.Add(time.Duration(i) * 100 * time.Millisecond), pts: int64(i) * 9000, key: i%10 == 0, size: 10})
	}
	if !r.aus[0].key {
		t.Fatal("the ring does not start at a key frame")
	}
	if n := len(r.aus); n < 20 || n > 30 {
		t.Fatalf("ring holds %d pictures, want 2 to 3 seconds' worth", n)
	}
	if got := len(r.lastGOP()); got != 10 {
		t.Fatalf("last group: %d pictures, want 10", got)
	}
	from := t0.Add(9050 * time.Millisecond)
	if s := r.since(from); len(s) != 10 || !s[0].key {
		t.Fatalf("since: %d pictures", len(s))
	}
	r.maxBytes = 150
	r.trim(t0.Add(10 * time.Second))
	if r.bytes > 150 && len(r.lastGOP()) != len(r.aus) {
		t.Fatalf("byte bound not kept: %d bytes", r.bytes)
	}
}
