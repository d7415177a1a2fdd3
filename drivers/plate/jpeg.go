package plate

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"time"
)

// ValidJPEG reports whether b is a JPEG, cheaply: it starts with SOI (FF D8), ends with EOI
// (FF D9) once trailing zero padding (some cameras pad to a block) is trimmed, and its header
// decodes (image/jpeg's DecodeConfig: frame size and components, no pixels). Three magic bytes
// would take any file that happens to start like one, or a picture cut short in transfer.
func ValidJPEG(b []byte) bool {
	b = bytes.TrimRight(b, "\x00")
	n := len(b)
	if n < 4 || b[0] != 0xFF || b[1] != 0xD8 || b[n-2] != 0xFF || b[n-1] != 0xD9 {
		return false
	}
	c, err := jpeg.DecodeConfig(bytes.NewReader(b))
	return err == nil && c.Width > 0 && c.Height > 0
}

// Bounds of a read's time around the server's clock: a camera whose clock is a year behind
// (or reset to year 1) or a day ahead gives times no passage can use.
const (
	MaxAge   = 365 * 24 * time.Hour
	MaxAhead = 24 * time.Hour
)

// CheckTime returns an error saying why t, a read's own time, is too far from received, the
// server's clock when the read arrived; nil when it is within MaxAge before and MaxAhead after.
func CheckTime(t, received time.Time) error {
	switch d := t.Sub(received); {
	case d > MaxAhead:
		return fmt.Errorf("more than %v in the future of the server's clock", MaxAhead)
	case d < -MaxAge:
		return fmt.Errorf("more than a year in the past of the server's clock")
	}
	return nil
}
