package gatesim

import (
	"bytes"
	"image"
	"image/jpeg"
	"math/rand"
	"testing"
)

func BenchmarkRender720(b *testing.B) {
	g := NamedGates()[1]
	g.Width, g.Height = 1280, 720
	for i := 0; i < b.N; i++ {
		rng := rand.New(rand.NewSource(int64(i)))
		t := RandomTruck(rng, g, i%2 == 1)
		c := RandomCondition(rng, g)
		Render(g, t, c, rng)
	}
}

func BenchmarkJPEG720(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 1280, 720))
	var buf bytes.Buffer
	for i := 0; i < b.N; i++ {
		buf.Reset()
		jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80})
	}
}
