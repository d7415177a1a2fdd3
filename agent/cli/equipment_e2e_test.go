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
	alarmEpisode(t, msgs, "an indicator_silent alarm", func(a wire.Alarm) bool {
		return a.Kind == wire.AlarmIndicatorSilent && a.Lane == "exit-1"
	}, nil, func() {
		// The indicator comes back: frames every 100 ms.
		ctx, cancel := context.WithCancel(context.Background())
		t.Cleanup(cancel)
		emu := indicatoremu.New(lockedWriter{s}, 100*time.Millisecond, indicatoremu.Options{Seed: 1})
		go emu.Run(ctx)
	})
}

// alarmEpisode waits for an open alarm that match accepts (valid against the schema), calls
// during with it, calls recover, and waits for the alarm to close: the closed message names the
// open one (id and since), and no second open message for it comes in between.
func alarmEpisode(t *testing.T, msgs <-chan broker.Msg, what string, match func(wire.Alarm) bool, during func(wire.Alarm), recover func()) {
	t.Helper()
	isAlarm := func(state string) func(broker.Msg) bool {
		return func(m broker.Msg) bool {
			var a wire.Alarm
			return strings.HasSuffix(m.Topic, "/alarm") && json.Unmarshal(m.Payload, &a) == nil && a.State == state && match(a)
		}
	}
	opened := await(t, msgs, 60*time.Second, what, isAlarm(wire.AlarmOpen))
	checkPayload(t, opened.Topic, opened.Payload)
	var open wire.Alarm
	json.Unmarshal(opened.Payload, &open)
	if during != nil {
		during(open)
	}
	recover()
	seen := 0
	closed := await(t, msgs, 90*time.Second, what+" closed", func(m broker.Msg) bool {
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
