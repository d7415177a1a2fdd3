package hikvision

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sitegate/drivers/plate"
	"sitegate/drivers/plate/platetest"
)

func newTestControl(t *testing.T, cam *camera, password string) plate.Control {
	t.Helper()
	ctl, err := plate.NewControl(plate.ControlOptions{Camera: plate.Camera{ID: "front", Lane: "exit-1", Vendor: Vendor, URL: cam.srv.URL,
		Username: camUser, Password: password}, Logger: platetest.Quiet})
	if err != nil {
		t.Fatal(err)
	}
	if ctl.Barrier == nil || ctl.Snapshot == nil {
		t.Fatalf("control %+v lacks barrier or snapshot", ctl)
	}
	return ctl
}

func TestBarrierOpen(t *testing.T) {
	deviceError, err := os.ReadFile(filepath.Join("testdata", "captures", "hikvision_next_deviceError.xml"))
	if err != nil {
		t.Fatal(err)
	}
	ok := `<?xml version="1.0" encoding="UTF-8"?><ResponseStatus version="2.0" xmlns="http://www.isapi.org/ver20/XMLSchema"><requestURL>/ISAPI/Parking/channels/1/barrierGate</requestURL><statusCode>1</statusCode><statusString>OK</statusString><subStatusCode>ok</subStatusCode></ResponseStatus>`
	cases := []struct {
		name     string
		password string
		status   int
		answer   string
		errHas   string // "" for success
	}{
		{"opened", camPass, 200, ok, ""},
		{"empty 200", camPass, 200, "", ""},
		{"status error in a 200", camPass, 200, string(deviceError), "Device Error"},
		{"403 with status", camPass, 403, strings.Replace(string(deviceError), "Device Error", "Invalid Operation", 1), "HTTP 403"},
		{"404 plain", camPass, 404, "not found", "HTTP 404"},
		{"wrong password", "nope", 200, ok, "camera refused the credentials"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got struct{ method, ctype, body string }
			cam := newCamera(t, nil)
			cam.other = func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != BarrierPath {
					http.NotFound(w, r)
					return
				}
				b, _ := io.ReadAll(r.Body)
				got.method, got.ctype, got.body = r.Method, r.Header.Get("Content-Type"), string(b)
				w.WriteHeader(c.status)
				io.WriteString(w, c.answer)
			}
			err := newTestControl(t, cam, c.password).Barrier.Open(context.Background())
			if c.errHas == "" {
				if err != nil {
					t.Fatal(err)
				}
				if got.method != http.MethodPut || got.ctype != "application/xml" || !strings.Contains(got.body, "<BarrierGate><ctrlMode>open</ctrlMode></BarrierGate>") {
					t.Errorf("request %+v", got)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.errHas) {
				t.Errorf("error %v, want one mentioning %q", err, c.errHas)
			}
			if strings.Contains(err.Error(), c.password) {
				t.Errorf("error %v shows the password", err)
			}
		})
	}
}

func TestSnapshot(t *testing.T) {
	deviceError, _ := os.ReadFile(filepath.Join("testdata", "captures", "hikvision_next_deviceError.xml"))
	cases := []struct {
		name   string
		status int
		answer []byte
		errHas string
	}{
		{"jpeg", 200, sceneJPG, ""},
		{"device error", 200, deviceError, "Device Error"},
		{"not a jpeg", 200, []byte("hello"), "not a JPEG"},
		{"500", 500, nil, "HTTP 500"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cam := newCamera(t, nil)
			cam.other = func(w http.ResponseWriter, r *http.Request) {
				if r.Method != http.MethodGet || r.URL.Path != SnapshotPath {
					http.NotFound(w, r)
					return
				}
				w.WriteHeader(c.status)
				w.Write(c.answer)
			}
			img, err := newTestControl(t, cam, camPass).Snapshot.Snapshot(context.Background())
			if c.errHas == "" {
				if err != nil || !sameJPEG(img, c.answer) {
					t.Fatalf("snapshot %d bytes, %v", len(img), err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.errHas) {
				t.Errorf("error %v, want one mentioning %q", err, c.errHas)
			}
		})
	}
}

func TestControlOptions(t *testing.T) {
	ctl, err := NewControl(plate.ControlOptions{Camera: plate.Camera{ID: "front", Vendor: Vendor}})
	if err != nil || ctl.Barrier != nil || ctl.Snapshot != nil {
		t.Errorf("camera without URL: %+v, %v", ctl, err)
	}
	if _, err := NewControl(plate.ControlOptions{Camera: plate.Camera{ID: "front", Vendor: Vendor, URL: "192.168.1.64"}}); err == nil {
		t.Error("URL without scheme accepted")
	}
	if _, err := NewControl(plate.ControlOptions{Camera: plate.Camera{ID: "front", Vendor: Vendor, URL: "http://admin:pw@192.168.1.64"}}); err != nil {
		t.Error(err)
	}
}
