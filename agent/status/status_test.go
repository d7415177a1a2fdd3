package status

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"sitegate/agent/wire"
)

// TestStatusClock: the status message and the metrics say whether the clock is synchronised.
func TestStatusClock(t *testing.T) {
	r := New(Sources{Site: "m", Gateway: "gw-01",
		Clock: func() wire.ClockStatus { return wire.ClockStatus{Source: "adjtimex", MaxErrorMs: 16000} },
	}, quiet())
	var got map[string]any
	if err := json.Unmarshal(r.Payload(wire.Online), &got); err != nil {
		t.Fatal(err)
	}
	c, ok := got["clock"].(map[string]any)
	if !ok || c["synced"] != false || c["source"] != "adjtimex" || c["max_error_ms"] != 16000.0 {
		t.Fatalf("status clock = %v", got["clock"])
	}
	if off := r.Status(wire.Offline); off.Clock != nil {
		t.Errorf("the Last Will carries the clock: %+v", off.Clock)
	}
	rec := httptest.NewRecorder()
	r.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), "sitegate_clock_synced 0") {
		t.Errorf("metrics lack sitegate_clock_synced 0:\n%s", rec.Body)
	}
}
