//go:build !nocv

package camera

import (
	"errors"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"sync"

	"gocv.io/x/gocv"
)

// source is an open capture: the reader loop talks to this rather than to gocv directly, so a
// test can stand in for a hung stream.
type source interface {
	// Read decodes the next frame into m; false at the end of a file or on a stream error.
	Read(m *gocv.Mat) bool
	// FPS is the nominal frame rate the source reports (0 if unknown).
	FPS() float64
	Close() error
}

// kind is how a URL is opened.
type kind int

const (
	kindFile kind = iota
	kindStream
	kindDevice
)

func classify(u string) kind {
	lower := strings.ToLower(u)
	switch {
	case strings.HasPrefix(lower, "rtsp://"), strings.HasPrefix(lower, "rtsps://"),
		strings.HasPrefix(lower, "http://"), strings.HasPrefix(lower, "https://"):
		return kindStream
	case strings.HasPrefix(u, "/dev/"):
		return kindDevice
	default:
		return kindFile
	}
}

type captureSource struct{ vc *gocv.VideoCapture }

func (s captureSource) Read(m *gocv.Mat) bool { return s.vc.Read(m) }
func (s captureSource) FPS() float64          { return s.vc.Get(gocv.VideoCaptureFPS) }
func (s captureSource) Close() error          { return s.vc.Close() }

var rtspTCP sync.Once

// openCapture opens u with OpenCV. It may block for as long as the backend's own open timeout.
func openCapture(u string) (source, error) {
	var (
		vc  *gocv.VideoCapture
		err error
	)
	switch classify(u) {
	case kindStream:
		if strings.HasPrefix(strings.ToLower(u), "rtsp") {
			// OpenCV's FFmpeg backend reads this when it opens; UDP loses frames on site networks.
			rtspTCP.Do(func() {
				if os.Getenv("OPENCV_FFMPEG_CAPTURE_OPTIONS") == "" {
					os.Setenv("OPENCV_FFMPEG_CAPTURE_OPTIONS", "rtsp_transport;tcp")
				}
			})
		}
		vc, err = gocv.VideoCaptureFileWithAPI(u, gocv.VideoCaptureFFmpeg)
	case kindDevice:
		if n, convErr := strconv.Atoi(strings.TrimPrefix(u, "/dev/video")); convErr == nil && n >= 0 {
			vc, err = gocv.VideoCaptureDeviceWithAPI(n, gocv.VideoCaptureV4L2)
		} else {
			vc, err = gocv.VideoCaptureFileWithAPI(u, gocv.VideoCaptureV4L2)
		}
	default:
		path := strings.TrimPrefix(u, "file://")
		if _, statErr := os.Stat(path); statErr != nil {
			return nil, statErr
		}
		vc, err = gocv.VideoCaptureFile(path)
	}
	if err == nil && vc != nil && !vc.IsOpened() {
		err = errors.New("capture did not open")
	}
	if err != nil {
		if vc != nil {
			vc.Close() // gocv allocates the capture even when opening fails
		}
		// gocv's message repeats the URL, password included; the caller names the camera.
		return nil, errors.New("open: OpenCV could not open the source")
	}
	return captureSource{vc: vc}, nil
}

// maxSide bounds the frame sizes passed on; anything larger is a decoder fault, not a camera.
const maxSide = 16384

// checkFrame reports why m cannot be used as a frame, or nil.
func checkFrame(m *gocv.Mat) error {
	if m.Empty() {
		return errors.New("empty frame")
	}
	w, h := m.Cols(), m.Rows()
	if w <= 0 || h <= 0 || w > maxSide || h > maxSide {
		return fmt.Errorf("bad frame size %dx%d", w, h)
	}
	switch m.Type() {
	case gocv.MatTypeCV8UC1, gocv.MatTypeCV8UC3, gocv.MatTypeCV8UC4:
	default:
		return fmt.Errorf("unsupported frame type %v", m.Type())
	}
	return nil
}

// playbackFPS is the rate at which a file is played: its own, or 25 when it does not say.
func playbackFPS(reported float64) float64 {
	if math.IsNaN(reported) || reported < 0.5 || reported > 240 {
		return 25
	}
	return reported
}
