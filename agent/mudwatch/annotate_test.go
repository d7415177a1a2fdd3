//go:build !nocv

package mudwatch

import (
	"bytes"
	"image"
	"image/jpeg"
	"os"
	"path/filepath"
	"testing"
	"time"

	"sitegate/agent/checks"
	"sitegate/models/mud"
	"sitegate/testbench/scene"
)

// TestAnnotateChinese: the annotated frame writes the plate, the weight, the verdict and the
// other alarms in Chinese glyphs (zh) or English words (en) on the scene's top rows, and leaves
// the rest of the frame alone. SITEGATE_ANNOTATED_DIR keeps the images to look at.
func TestAnnotateChinese(t *testing.T) {
	truck := scene.Spec{Seed: 11, Condition: scene.Day, Severity: scene.Heavy, Shape: scene.Tipper3, Cab: "red", Body: "yellow"}
	at := time.Date(2026, 11, 27, 21, 14, 3, 120e6, time.FixedZone("CST", 8*3600))
	res := mud.Result{Score: 0.71, Regions: []mud.RegionScore{{Name: "wheels", Score: 0.71}, {Name: "body", Score: 0.3}}}
	c := checks.Caption{Plate: "苏A99999", WeightKg: 31200, Alarms: []string{"overload", "registry"}}
	dir := os.Getenv("SITEGATE_ANNOTATED_DIR")
	if dir == "" {
		dir = t.TempDir()
	}
	var sizes []int
	for _, lang := range []string{"zh", "en"} {
		frame, err := scene.Frame(truck, 1280, 720)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := frame.ToImage()
		if err != nil {
			t.Fatal(err)
		}
		b, err := annotate(&frame, regions(), res, verdictLine{check: CheckMud, score: res.Score, threshold: 0.5}, c, at, lang)
		frame.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "annotated-"+lang+".jpg"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		img, err := jpeg.Decode(bytes.NewReader(b))
		if err != nil || img.Bounds() != image.Rect(0, 0, 1280, 720) {
			t.Fatalf("%s: %v %v", lang, err, img.Bounds())
		}
		// The caption's rows (plate line: y 40..80) changed a lot; the bottom-right corner little.
		if d := diff(raw, img, image.Rect(10, 40, 400, 80)); d < 20 {
			t.Errorf("%s: the plate line changed the frame by %.1f on average", lang, d)
		}
		if d := diff(raw, img, image.Rect(1100, 650, 1280, 720)); d > 8 {
			t.Errorf("%s: a corner without text changed by %.1f", lang, d)
		}
		sizes = append(sizes, len(b))
	}
	if sizes[0] == sizes[1] {
		t.Errorf("zh and en images are the same size, %d bytes", sizes[0])
	}
}

// diff is the mean absolute difference of two images' pixels in r, 0..255.
func diff(a, b image.Image, r image.Rectangle) float64 {
	var sum, n float64
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			r1, g1, b1, _ := a.At(x, y).RGBA()
			r2, g2, b2, _ := b.At(x, y).RGBA()
			for _, d := range []int{int(r1>>8) - int(r2>>8), int(g1>>8) - int(g2>>8), int(b1>>8) - int(b2>>8)} {
				sum += float64(max(d, -d))
				n++
			}
		}
	}
	return sum / n
}
