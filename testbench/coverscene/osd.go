package coverscene

import (
	"fmt"
	"math/rand/v2"
)

// glyphs is a 5x7 font for a camera's on-screen display: each row of a glyph is 5 bits, the
// high bit on the left.
var glyphs = map[rune][7]uint8{
	'0': {0x0e, 0x11, 0x13, 0x15, 0x19, 0x11, 0x0e},
	'1': {0x04, 0x0c, 0x04, 0x04, 0x04, 0x04, 0x0e},
	'2': {0x0e, 0x11, 0x01, 0x02, 0x04, 0x08, 0x1f},
	'3': {0x1f, 0x02, 0x04, 0x02, 0x01, 0x11, 0x0e},
	'4': {0x02, 0x06, 0x0a, 0x12, 0x1f, 0x02, 0x02},
	'5': {0x1f, 0x10, 0x1e, 0x01, 0x01, 0x11, 0x0e},
	'6': {0x06, 0x08, 0x10, 0x1e, 0x11, 0x11, 0x0e},
	'7': {0x1f, 0x01, 0x02, 0x04, 0x08, 0x08, 0x08},
	'8': {0x0e, 0x11, 0x11, 0x0e, 0x11, 0x11, 0x0e},
	'9': {0x0e, 0x11, 0x11, 0x0f, 0x01, 0x02, 0x0c},
	'-': {0, 0, 0, 0x1f, 0, 0, 0},
	':': {0, 0x0c, 0x0c, 0, 0x0c, 0x0c, 0},
	'C': {0x0e, 0x11, 0x10, 0x10, 0x10, 0x11, 0x0e},
	'H': {0x11, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11},
	'A': {0x0e, 0x11, 0x11, 0x1f, 0x11, 0x11, 0x11},
	'M': {0x11, 0x1b, 0x15, 0x15, 0x11, 0x11, 0x11},
	' ': {},
}

// osd writes the camera's date and time (top left) and channel name (bottom right) into the
// display-referred picture, white with a dark outline, as most site cameras do.
func osd(buf []vec, W, H int, rng *rand.Rand, g Gate) {
	when := fmt.Sprintf("2026-%02d-%02d %02d:%02d:%02d", 1+rng.IntN(12), 1+rng.IntN(28), rng.IntN(24), rng.IntN(60), rng.IntN(60))
	ch := fmt.Sprintf("CAM %02d", 1+int(uint64(g.Seed)%16))
	px := max(1, W/320)
	text(buf, W, H, when, 6*px, 6*px, px)
	text(buf, W, H, ch, W-len(ch)*6*px-8*px, H-14*px, px)
}

func text(buf []vec, W, H int, s string, x0, y0, px int) {
	on := func(gl [7]uint8, gx, gy int) bool {
		return gx >= 0 && gx < 5 && gy >= 0 && gy < 7 && gl[gy]&(0x10>>gx) != 0
	}
	for i, r := range s {
		gl := glyphs[r]
		for gy := -1; gy <= 7; gy++ {
			for gx := -1; gx <= 5; gx++ {
				lit := on(gl, gx, gy)
				edge := !lit && (on(gl, gx-1, gy) || on(gl, gx+1, gy) || on(gl, gx, gy-1) || on(gl, gx, gy+1))
				if !lit && !edge {
					continue
				}
				c := vec{0.95, 0.95, 0.95}
				if edge {
					c = vec{0.05, 0.05, 0.05}
				}
				for dy := 0; dy < px; dy++ {
					for dx := 0; dx < px; dx++ {
						x, y := x0+(i*6+gx)*px+dx, y0+gy*px+dy
						if x >= 0 && y >= 0 && x < W && y < H {
							buf[y*W+x] = c
						}
					}
				}
			}
		}
	}
}
