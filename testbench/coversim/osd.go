package coversim

import (
	"fmt"
	"image"
	"image/color"
	"math/rand"
)

// glyphs is a 5x7 font for the camera's on-screen display: the date and time, and the name the
// installer gave the channel.
var glyphs = map[rune][7]string{
	'0': {".###.", "#...#", "#..##", "#.#.#", "##..#", "#...#", ".###."},
	'1': {"..#..", ".##..", "..#..", "..#..", "..#..", "..#..", ".###."},
	'2': {".###.", "#...#", "....#", "...#.", "..#..", ".#...", "#####"},
	'3': {"#####", "...#.", "..#..", "...#.", "....#", "#...#", ".###."},
	'4': {"...#.", "..##.", ".#.#.", "#..#.", "#####", "...#.", "...#."},
	'5': {"#####", "#....", "####.", "....#", "....#", "#...#", ".###."},
	'6': {"..##.", ".#...", "#....", "####.", "#...#", "#...#", ".###."},
	'7': {"#####", "....#", "...#.", "..#..", ".#...", ".#...", ".#..."},
	'8': {".###.", "#...#", "#...#", ".###.", "#...#", "#...#", ".###."},
	'9': {".###.", "#...#", "#...#", ".####", "....#", "...#.", ".##.."},
	'-': {".....", ".....", ".....", "#####", ".....", ".....", "....."},
	':': {".....", "..#..", "..#..", ".....", "..#..", "..#..", "....."},
	' ': {".....", ".....", ".....", ".....", ".....", ".....", "....."},
	'C': {".###.", "#...#", "#....", "#....", "#....", "#...#", ".###."},
	'E': {"#####", "#....", "#....", "####.", "#....", "#....", "#####"},
	'X': {"#...#", "#...#", ".#.#.", "..#..", ".#.#.", "#...#", "#...#"},
	'I': {".###.", "..#..", "..#..", "..#..", "..#..", "..#..", ".###."},
	'T': {"#####", "..#..", "..#..", "..#..", "..#..", "..#..", "..#.."},
	'A': {".###.", "#...#", "#...#", "#####", "#...#", "#...#", "#...#"},
	'M': {"#...#", "##.##", "#.#.#", "#.#.#", "#...#", "#...#", "#...#"},
	'G': {".###.", "#...#", "#....", "#.###", "#...#", "#...#", ".####"},
}

// osdText is the stamp a site camera burns into its picture, with a time of day fitting the light.
func osdText(g Gate, cond string, rng *rand.Rand) (stamp, name string) {
	hour := 7 + rng.Intn(10)
	switch cond {
	case "dusk":
		hour = 17 + rng.Intn(2)
	case "night-ir", "night-led":
		hour = (20 + rng.Intn(9)) % 24
	}
	stamp = fmt.Sprintf("2026-%02d-%02d %02d:%02d:%02d", 1+rng.Intn(12), 1+rng.Intn(28), hour, rng.Intn(60), rng.Intn(60))
	name = fmt.Sprintf("EXIT-%02d CAM", g.Index)
	return stamp, name
}

// drawText burns s into img at (x, y) in white with a dark edge, each font pixel scale wide.
func drawText(img *image.RGBA, s string, x, y, scale int) {
	b := img.Bounds()
	put := func(px, py int, c color.RGBA) {
		if px >= b.Min.X && py >= b.Min.Y && px < b.Max.X && py < b.Max.Y {
			img.SetRGBA(px, py, c)
		}
	}
	for i, r := range s {
		gl, ok := glyphs[r]
		if !ok {
			continue
		}
		ox := x + i*6*scale
		for pass := 0; pass < 2; pass++ {
			for gy, row := range gl {
				for gx, c := range row {
					if c != '#' {
						continue
					}
					for sy := 0; sy < scale; sy++ {
						for sx := 0; sx < scale; sx++ {
							px, py := ox+gx*scale+sx, y+gy*scale+sy
							if pass == 0 {
								put(px+1, py+1, color.RGBA{0, 0, 0, 255})
							} else {
								put(px, py, color.RGBA{235, 235, 235, 255})
							}
						}
					}
				}
			}
		}
	}
}
