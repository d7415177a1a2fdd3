//go:build !nocv

package cli_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"sitegate/agent/wire"
	"sitegate/testbench/broker"
	"sitegate/testbench/mjpegcam"
)

// TestCameraUnpluggedAlarm: a camera whose stream goes away for longer than the alarm time
// raises one camera_down alarm through the outbox, and its return closes it with one more
// message naming the same alarm; status lists it while it is open.
func TestCameraUnpluggedAlarm(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end")
	}
	b := broker.StartMosquitto(t)
	jpg, err := sceneJPEG("clean")
	if err != nil {
		t.Fatal(err)
	}
	cam, err := mjpegcam.Start(jpg, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer cam.Close()
	s := newSite(t, b.URL())
	cfg, _ := os.ReadFile(s.config)
	text := strings.Replace(string(cfg), "url: wheels.avi", "url: "+cam.URL(), 1)
	text += "alarms: {debounce: 2s}\nstatus: {interval: 1s}\n"
	if err := os.WriteFile(s.config, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	msgs := broker.Subscribe(t, b.URL(), "sitegate/v1/e2e-site/#")
	runAgent(t, s)
	await(t, msgs, 30*time.Second, "the camera streaming", func(m broker.Msg) bool {
		return strings.HasSuffix(m.Topic, "/status") && strings.Contains(string(m.Payload), `"state":"streaming"`)
	})
	cam.SetDown(true) // unplugged: the stream ends, the camera answers nothing useful
	alarmEpisode(t, msgs, "a camera_down alarm", func(a wire.Alarm) bool {
		return a.Kind == wire.AlarmCameraDown && a.Device == "wheels"
	}, func(open wire.Alarm) {
		await(t, msgs, 10*time.Second, "status listing the open alarm", func(m broker.Msg) bool {
			var st wire.Status
			if !strings.HasSuffix(m.Topic, "/status") || json.Unmarshal(m.Payload, &st) != nil {
				return false
			}
			for _, a := range st.Alarms {
				if a.ID == open.ID {
					return true
				}
			}
			return false
		})
	}, func() { cam.SetDown(false) }) // plugged back in
}
