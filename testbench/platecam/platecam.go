// Package platecam emulates plate cameras, byte for byte as they are sold: the generic JSON push
// (POST /v1/plate, CONTRACT section 3); Hikvision ISAPI (HTTP-listening pushes, the alertStream
// that sitegate pulls, snapshot and barrier gate); Dahua ITC (the snapManager event stream,
// snapshot, openStrobe); Vzenith, Qianyi and compatible gate cameras (AlarmInfoPlate pushes,
// heartbeats, offline resends, barrier commands in the replies). It also records what a real
// camera sends (Recorder) and replays a recording (Replay), so a capture becomes a test.
//
// The emulators are written from the vendors' wire formats (docs/plate-cameras.md), not from
// sitegate's decoders, so that each decoder is tested against a second implementation.
//
// It uses only the standard library (no OpenCV), so it works in nocv builds. It belongs to the
// testbench and must not import sitegate/agent or sitegate/models.
package platecam

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// PushRequest is one plate read to push. Zero optional fields are left out of the JSON.
type PushRequest struct {
	Lane       string
	Plate      string
	Color      string    // blue, yellow, green, white, black; "" to leave out
	Confidence float64   // 0 to leave out
	Time       time.Time // zero to leave out (the listener then uses the time received)
	// Image attaches a small generated JPEG when ImageJPEG is nil.
	Image bool
	// ImageJPEG is sent as image_jpeg_base64 as it is (it need not be a valid JPEG, for tests).
	ImageJPEG []byte
	// Extra adds vendor fields to the JSON object.
	Extra map[string]any
}

// Client is the HTTP client Push uses.
var Client = &http.Client{Timeout: 10 * time.Second}

// Push posts r to target: either a full URL or a base such as http://127.0.0.1:8088, to which
// /v1/plate is added. Any answer but 200 is an error carrying the status and the answer's body.
func Push(ctx context.Context, target string, r PushRequest) error {
	u, err := url.Parse(target)
	if err != nil {
		return fmt.Errorf("platecam %s: %w", target, err)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/v1/plate"
	}
	body, err := r.MarshalJSON()
	if err != nil {
		return fmt.Errorf("platecam %s: %w", u, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("platecam %s: %w", u, err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := Client.Do(req)
	if err != nil {
		return fmt.Errorf("platecam %s: %w", u, err)
	}
	defer resp.Body.Close()
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("platecam %s: %s: %s", u, resp.Status, strings.TrimSpace(string(answer)))
	}
	return nil
}

// MarshalJSON renders r as the contract's push body.
func (r PushRequest) MarshalJSON() ([]byte, error) {
	m := make(map[string]any, len(r.Extra)+6)
	for k, v := range r.Extra {
		m[k] = v
	}
	m["lane"] = r.Lane
	m["plate"] = r.Plate
	if r.Color != "" {
		m["color"] = r.Color
	}
	if r.Confidence != 0 {
		m["confidence"] = r.Confidence
	}
	if !r.Time.IsZero() {
		m["time"] = r.Time.Format("2006-01-02T15:04:05.000Z07:00")
	}
	img := r.ImageJPEG
	if img == nil && r.Image {
		var err error
		if img, err = PlateJPEG(160, 48); err != nil {
			return nil, err
		}
	}
	if img != nil {
		m["image_jpeg_base64"] = base64.StdEncoding.EncodeToString(img)
	}
	return json.Marshal(m)
}

// PlateJPEG draws a w×h plate-like picture (a blue plate with a white border and bars standing
// in for characters) and encodes it as a JPEG.
func PlateJPEG(w, h int) ([]byte, error) {
	if w < 8 || h < 8 || w > 4096 || h > 4096 {
		return nil, fmt.Errorf("platecam: image size %dx%d out of range", w, h)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	blue := color.RGBA{R: 20, G: 60, B: 170, A: 255}
	white := color.RGBA{R: 245, G: 245, B: 245, A: 255}
	border := max(1, h/12)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := blue
			edge := x < border || y < border || x >= w-border || y >= h-border
			bar := y > h/4 && y < h*3/4 && (x*16/w)%2 == 1 && x > w/16 && x < w*15/16
			if edge || bar {
				c = white
			}
			img.SetRGBA(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		return nil, fmt.Errorf("platecam: %w", err)
	}
	return b.Bytes(), nil
}
