package platecam

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math/rand/v2"
)

// MaxPictureBytes is the largest picture Picture makes: about the size of a camera's scene shot.
const MaxPictureBytes = 100 << 10

// Picture returns a real JPEG of a w×h scene-like picture (a plate on a grey, noisy road), made
// exactly size bytes long by padding it with JPEG comment segments when size is larger than the
// encoded picture. size 0 keeps the encoded size; seed varies the noise, so two pictures differ.
// Cameras send pictures of 20-170 kB; a test that checks that a decoder reads a part by its
// Content-Length wants a big one, a test that only checks the plate wants a small one.
func Picture(w, h, size int, seed uint64) ([]byte, error) {
	if w < 8 || h < 8 || w > 4096 || h > 4096 {
		return nil, fmt.Errorf("platecam: image size %dx%d out of range", w, h)
	}
	if size < 0 || size > MaxPictureBytes {
		return nil, fmt.Errorf("platecam: picture size %d out of range (0..%d)", size, MaxPictureBytes)
	}
	rng := rand.New(rand.NewPCG(seed, 0x5174e))
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	plate := image.Rect(w*3/8, h*5/8, w*5/8, h*5/8+max(4, h/10))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			g := uint8(110 + rng.IntN(12))
			c := color.RGBA{R: g, G: g, B: g + 8, A: 255}
			if (image.Point{X: x, Y: y}).In(plate) {
				c = color.RGBA{R: 20, G: 60, B: 170, A: 255}
				if (x*12/w)%2 == 1 {
					c = color.RGBA{R: 240, G: 240, B: 240, A: 255}
				}
			}
			img.SetRGBA(x, y, c)
		}
	}
	for q := 90; q > 10; q -= 10 {
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: q}); err != nil {
			return nil, fmt.Errorf("platecam: %w", err)
		}
		out, ok := padJPEG(b.Bytes(), size)
		if ok {
			return out, nil
		}
	}
	return nil, fmt.Errorf("platecam: a %dx%d picture does not fit in %d bytes", w, h, size)
}

// padJPEG inserts COM segments after SOI so that the JPEG is exactly size bytes (size 0: as it
// is). It fails when the picture is larger than size, or shorter by less than a segment's 4
// bytes of framing.
func padJPEG(j []byte, size int) ([]byte, bool) {
	if size == 0 || size == len(j) {
		return j, true
	}
	pad := size - len(j)
	if pad < 4 {
		return nil, false
	}
	out := make([]byte, 0, size)
	out = append(out, j[:2]...) // SOI
	for pad > 0 {
		n := min(pad, 0xFFFF+2) // a segment: FF FE, a 2-byte length counting itself, the data
		if rest := pad - n; rest > 0 && rest < 4 {
			n -= 4
		}
		out = append(out, 0xFF, 0xFE, byte((n-2)>>8), byte(n-2))
		for i := 4; i < n; i++ {
			out = append(out, 'x')
		}
		pad -= n
	}
	return append(out, j[2:]...), true
}

// pictures are the two pictures an emulated camera attaches to a read: the plate crop and the
// scene.
func pictures(sceneBytes int, seed uint64) (plate, scene []byte, err error) {
	if plate, err = Picture(160, 48, 0, seed); err != nil {
		return nil, nil, err
	}
	w, h := 320, 240
	if sceneBytes > 60<<10 {
		w, h = 640, 480
	}
	scene, err = Picture(w, h, sceneBytes, seed+1)
	return plate, scene, err
}
