package caption

import (
	_ "embed"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	"sync"

	"golang.org/x/image/font"
	"golang.org/x/image/font/opentype"
	"golang.org/x/image/math/fixed"
)

//go:embed font/NotoSansSC-Bold-evidence.otf
var fontData []byte

var (
	parseOnce sync.Once
	parsed    *opentype.Font
	parseErr  error

	facesMu sync.Mutex
	faces   = map[int]font.Face{}
)

// Font is the embedded font, parsed once.
func Font() (*opentype.Font, error) {
	parseOnce.Do(func() { parsed, parseErr = opentype.Parse(fontData) })
	return parsed, parseErr
}

// face is the font at px pixels, cached (faces are not safe for concurrent use: callers hold
// facesMu while drawing).
func face(px int) (font.Face, error) {
	if f, ok := faces[px]; ok {
		return f, nil
	}
	fnt, err := Font()
	if err != nil {
		return nil, fmt.Errorf("caption font: %w", err)
	}
	f, err := opentype.NewFace(fnt, &opentype.FaceOptions{Size: float64(px), DPI: 72, Hinting: font.HintingNone})
	if err != nil {
		return nil, fmt.Errorf("caption font: %w", err)
	}
	faces[px] = f
	return f, nil
}

// Covers reports whether the font draws every character of s; a missing one is drawn as a
// box.
func Covers(s string) bool {
	fnt, err := Font()
	if err != nil {
		return false
	}
	var b [1]byte
	_ = b
	for _, r := range s {
		if r == ' ' {
			continue
		}
		if i, err := fnt.GlyphIndex(nil, r); err != nil || i == 0 {
			return false
		}
	}
	return true
}

// Text is one line to draw: its baseline's left end at At, Px pixels high.
type Text struct {
	S     string
	At    image.Point
	Px    int
	Color color.Color
}

// Draw writes t onto dst with a dark outline, legible on any background. It returns the
// line's width in pixels.
func Draw(dst draw.Image, t Text) (int, error) {
	facesMu.Lock()
	defer facesMu.Unlock()
	f, err := face(max(t.Px, 6))
	if err != nil {
		return 0, err
	}
	d := font.Drawer{Dst: dst, Face: f}
	outline := max(1, t.Px/14)
	d.Src = image.NewUniform(color.RGBA{A: 255})
	for dx := -outline; dx <= outline; dx++ {
		for dy := -outline; dy <= outline; dy++ {
			if dx == 0 && dy == 0 {
				continue
			}
			d.Dot = fixed.P(t.At.X+dx, t.At.Y+dy)
			d.DrawString(t.S)
		}
	}
	d.Src = image.NewUniform(t.Color)
	d.Dot = fixed.P(t.At.X, t.At.Y)
	d.DrawString(t.S)
	return d.MeasureString(t.S).Ceil(), nil
}
