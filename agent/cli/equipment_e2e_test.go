package cli_test

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"sitegate/agent/wire"
	"sitegate/testbench/broker"
	"sitegate/testbench/indicatoremu"
)

// TestIndicatorSilentAlarm: an indicator that sends nothing for longer than its silence timeout
// raises one indicator_silent alarm through the outbox, and its return closes it with one more
// message naming the same alarm.
func TestIndicatorSilentAlarm(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	b := broker.StartMosquitto(t)
	s := newSite(t, b.URL())
	cfg, _ := os.ReadFile(s.config)
	text := strings.Replace(string(cfg), "      stable_band_kg: 40\n", "      stable_band_kg: 40\n      silence_timeout: 2s\n", 1)
	text += "alarms: {debounce: 2s}\n"
	if err := os.WriteFile(s.config, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
	runAgent(t, s)
	isAlarm := func(state string) func(broker.Msg) bool {
		return func(m broker.Msg) bool {
			var a wire.Alarm
			return strings.HasSuffix(m.Topic, "/alarm") && json.Unmarshal(m.Payload, &a) == nil &&
				a.Kind == wire.AlarmIndicatorSilent && a.State == state && a.Lane == "exit-1"
		}
	}
	opened := await(t, msgs, 60*time.Second, "an indicator_silent alarm", isAlarm(wire.AlarmOpen))
	checkPayload(t, opened.Topic, opened.Payload)
	var open wire.Alarm
	json.Unmarshal(opened.Payload, &open)

	// The indicator comes back: frames every 100 ms.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	emu := indicatoremu.New(lockedWriter{s}, 100*time.Millisecond, indicatoremu.Options{Seed: 1})
	go emu.Run(ctx)
	seen := 0
	closed := await(t, msgs, 60*time.Second, "the alarm closed", func(m broker.Msg) bool {
		if isAlarm(wire.AlarmOpen)(m) {
			seen++
		}
		return isAlarm(wire.AlarmClosed)(m)
	})
	checkPayload(t, closed.Topic, closed.Payload)
	var c wire.Alarm
	json.Unmarshal(closed.Payload, &c)
	if c.ID != open.ID || c.Since != open.Since {
		t.Errorf("closed %+v does not name the open alarm %+v", c, open)
	}
	if seen != 0 {
		t.Errorf("%d more open messages for one episode", seen)
	}
}
