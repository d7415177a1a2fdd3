package hikvision

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"sitegate/drivers/plate"
	"sitegate/drivers/plate/platetest"
)

// TestCaptures decodes the real payloads in testdata/captures (sources in its README).
func TestCaptures(t *testing.T) {
	cases := []struct {
		file   string
		event  string
		plate  string // ANPR/licensePlate as sent
		status int    // the push's answer
		reason string
	}{
		// A European camera: the plate is read, and refused as not a Chinese plate.
		{"hikvision_next_ipc1_anpr_plate_detected.xml", "ANPR", "KH35192", 400, plate.ReasonPlate},
		{"hikvision_next_cam1_DS-2CD2T46G2-ISU_io_notification.xml", "IO", "", 200, ""},
		{"hikvision_next_fielddetection_vehicle.xml", "fielddetection", "", 200, ""},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "captures", c.file))
			if err != nil {
				t.Fatal(err)
			}
			a, err := ParseAlert(b)
			if err != nil {
				t.Fatal(err)
			}
			if a.EventType != c.event || a.LicensePlate != c.plate {
				t.Fatalf("alert %+v, want event %s plate %q", a, c.event, c.plate)
			}
			s, sk := platetest.NewServer(0)
			rec := push(s.Handler(), "exit-1", "application/xml", b)
			if rec.Code != c.status || (c.reason != "" && s.Stats().Rejected[c.reason] != 1) || len(sk.All()) != 0 {
				t.Fatalf("push: status %d, stats %+v, reads %d", rec.Code, s.Stats(), len(sk.All()))
			}
		})
	}
}

// TestCaptureFields reads the rest of the ANPR capture: time with offset, UUID, picture count.
func TestCaptureFields(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "captures", "hikvision_next_ipc1_anpr_plate_detected.xml"))
	if err != nil {
		t.Fatal(err)
	}
	a, err := ParseAlert(b)
	if err != nil {
		t.Fatal(err)
	}
	if a.Pictures() != 2 || a.ConfidenceLevel != "100" || a.UUID == "" || a.IsDataRetransmission != "false" {
		t.Errorf("alert %+v", a)
	}
	tm, err := parseTime(a.DateTime, time.UTC)
	if err != nil || !tm.Equal(time.Date(2023, 8, 11, 12, 49, 0, 0, time.UTC)) {
		t.Errorf("dateTime %q: %v %v", a.DateTime, tm, err)
	}
}
