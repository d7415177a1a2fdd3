package washscene

import (
	"image"
	"math"
	"math/rand/v2"
	"time"
)

// Bay is the bay's region in the frame (relative coordinates), as a camera's wash block would
// name it.
var Bay = [][2]float64{{0.12, 0.35}, {0.88, 0.35}, {0.88, 0.95}, {0.12, 0.95}}

// Truck is one truck's visit: it drives in from the left over DriveS, stands StandS and drives
// out to the right.
type Truck struct {
	Enter  float64 // seconds into the scene when its front reaches the bay
	StandS float64
	DriveS float64 // default 3
	Tone   uint8   // body brightness
	Length float64 // share of the frame's width; default 0.6
}

// Person walks across the bay from left to right.
type Person struct{ At, Dur float64 }

// Spray is water spraying with no truck in the bay (a hose test, the wheel wash cycling).
type Spray struct{ At, Dur float64 }

// Light changes the scene's brightness to Gain over RampS seconds from At (0 ramp: at once).
type Light struct{ At, RampS, Gain float64 }

// Script is a scene.
type Script struct {
	Seconds float64
	Trucks  []Truck
	People  []Person
	Sprays  []Spray
	Lights  []Light
	Rain    bool
	Seed    uint64
}

// Stay is a truck's true stay in the bay: from when it covers half of the bay's width to when
// it covers less again.
type Stay struct{ Start, End float64 }

// Duration of the stay.
func (s Stay) Duration() time.Duration {
	return time.Duration((s.End - s.Start) * float64(time.Second))
}

func (t Truck) withDefaults() Truck {
	if t.DriveS <= 0 {
		t.DriveS = 3
	}
	if t.Length <= 0 {
		t.Length = 0.6
	}
	return t
}

// span is the truck's rear and front at time s (relative x), ok false when it is out of frame.
func (t Truck) span(s float64) (rear, front float64, ok bool) {
	t = t.withDefaults()
	standFront := 0.5 + t.Length/2 // centred in the frame while standing
	switch {
	case s < t.Enter-t.DriveS*0.3 || s > t.Enter+t.DriveS+t.StandS+t.DriveS:
		return 0, 0, false
	case s < t.Enter+t.DriveS:
		front = 0.12 + (standFront-0.12)*(s-t.Enter)/t.DriveS
	case s < t.Enter+t.DriveS+t.StandS:
		front = standFront
	default:
		front = standFront + (1.2+t.Length-standFront)*(s-t.Enter-t.DriveS-t.StandS)/t.DriveS
	}
	return front - t.Length, front, true
}

// Truth is the trucks' true stays.
func (sc Script) Truth() []Stay {
	var out []Stay
	for _, t := range sc.Trucks {
		t = t.withDefaults()
		var st Stay
		in := false
		for s := t.Enter - t.DriveS; s <= t.Enter+2*t.DriveS+t.StandS+1; s += 0.01 {
			r, f, ok := t.span(s)
			cover := 0.0
			if ok {
				cover = (min(f, 0.88) - max(r, 0.12)) / 0.76
			}
			if cover >= 0.5 && !in {
				in, st.Start = true, s
			} else if cover < 0.5 && in {
				in, st.End = false, s
				out = append(out, st)
			}
		}
	}
	return out
}

// texture is the bay's fixed look: concrete with joints, a wall behind, a drain.
type texture struct {
	w, h int
	base []float64
}

func newTexture(w, h int, seed uint64) *texture {
	rng := rand.New(rand.NewPCG(seed, 99))
	t := &texture{w: w, h: h, base: make([]float64, w*h)}
	for y := 0; y < h; y++ {
		fy := float64(y) / float64(h)
		for x := 0; x < w; x++ {
			fx := float64(x) / float64(w)
			v := 150.0 // wall
			if fy > 0.3 {
				v = 105 + 12*math.Sin(fx*31+fy*7) // floor
				if int(fx*12)%2 == 0 && int(fy*40)%9 == 0 {
					v -= 35 // joints
				}
			}
			if fy > 0.25 && fy < 0.3 {
				v = 70 // the wall's foot
			}
			if fx > 0.45 && fx < 0.55 && fy > 0.9 {
				v = 50 // drain
			}
			t.base[y*w+x] = v + rng.NormFloat64()*9
		}
	}
	return t
}

// Renderer draws a script's frames.
type Renderer struct {
	sc   Script
	w, h int
	tex  *texture
}

// NewRenderer draws sc at w x h.
func NewRenderer(sc Script, w, h int) *Renderer {
	return &Renderer{sc: sc, w: w, h: h, tex: newTexture(w, h, sc.Seed)}
}

func (r *Renderer) gain(s float64) float64 {
	g := 1.0
	for _, l := range r.sc.Lights {
		switch {
		case s < l.At:
		case l.RampS <= 0 || s >= l.At+l.RampS:
			g = l.Gain
		default:
			g += (l.Gain - g) * (s - l.At) / l.RampS
		}
	}
	return g
}

// Frame is the scene at s seconds.
func (r *Renderer) Frame(s float64) *image.Gray {
	w, h := r.w, r.h
	rng := rand.New(rand.NewPCG(r.sc.Seed, uint64(s*1000)+1))
	f := make([]float64, w*h)
	copy(f, r.tex.base)
	fill := func(x0, y0, x1, y1 float64, v func(fx, fy float64) float64) {
		for y := max(0, int(y0*float64(h))); y < min(h, int(y1*float64(h))); y++ {
			for x := max(0, int(x0*float64(w))); x < min(w, int(x1*float64(w))); x++ {
				f[y*w+x] = v(float64(x)/float64(w), float64(y)/float64(h))
			}
		}
	}
	for _, t := range r.sc.Trucks {
		t = t.withDefaults()
		rear, front, ok := t.span(s)
		if !ok {
			continue
		}
		tone := float64(t.Tone)
		cab := front - 0.14*t.Length/0.6
		// bed with ribs, cab with a window, wheels
		fill(rear, 0.38, cab-0.01, 0.82, func(fx, fy float64) float64 {
			if int((fx-rear)*60)%4 == 0 {
				return tone * 0.7
			}
			return tone
		})
		fill(cab, 0.45, front, 0.82, func(fx, fy float64) float64 {
			if fy < 0.6 && fx > cab+0.02 && fx < front-0.01 {
				return 40
			}
			return tone*0.8 + 30
		})
		for _, wx := range []float64{rear + 0.06, rear + 0.16, front - 0.07} {
			fill(wx-0.035, 0.8, wx+0.035, 0.93, func(fx, fy float64) float64 { return 25 })
		}
		// spray while standing: bright speckles low around the truck
		if s > t.Enter+t.DriveS && s < t.Enter+t.DriveS+t.StandS {
			for i := 0; i < w*h/40; i++ {
				x, y := rng.IntN(w), int(float64(h)*(0.7+0.3*rng.Float64()))
				f[y*w+x] = 230
			}
		}
	}
	for _, p := range r.sc.People {
		if s < p.At || s > p.At+p.Dur {
			continue
		}
		x := 0.05 + 0.9*(s-p.At)/p.Dur
		fill(x-0.02, 0.55, x+0.02, 0.9, func(fx, fy float64) float64 { return 45 })
		fill(x-0.012, 0.5, x+0.012, 0.56, func(fx, fy float64) float64 { return 160 })
	}
	for _, sp := range r.sc.Sprays {
		if s < sp.At || s > sp.At+sp.Dur {
			continue
		}
		for i := 0; i < w*h/30; i++ {
			x, y := int(float64(w)*(0.2+0.6*rng.Float64())), int(float64(h)*(0.6+0.4*rng.Float64()))
			f[y*w+x] = 230
		}
	}
	g := r.gain(s)
	if r.sc.Rain {
		g *= 0.8
	}
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i, v := range f {
		v = v*g + rng.NormFloat64()*4
		img.Pix[i] = uint8(min(255, max(0, v)))
	}
	if r.sc.Rain {
		for i := 0; i < w*h/300; i++ {
			x, y := rng.IntN(w), rng.IntN(h-6)
			for k := 0; k < 6; k++ {
				img.Pix[(y+k)*w+x] = uint8(min(255, int(img.Pix[(y+k)*w+x])+50))
			}
		}
	}
	return img
}

// Random is a scene of n trucks, each standing between 8 s and 90 s (a third of them less than
// 30 s), with people walking through, spray with no truck, slow and sudden light changes and,
// with rain, rain all along.
func Random(seed uint64, n int, rain bool) Script {
	rng := rand.New(rand.NewPCG(seed, 7))
	sc := Script{Seed: seed, Rain: rain}
	at := 10.0
	for i := 0; i < n; i++ {
		stand := 8 + rng.Float64()*82
		t := Truck{Enter: at, StandS: stand, DriveS: 2 + rng.Float64()*3, Tone: uint8(40 + rng.IntN(180)), Length: 0.5 + rng.Float64()*0.2}
		sc.Trucks = append(sc.Trucks, t)
		end := at + 2*t.DriveS + stand
		gap := 15 + rng.Float64()*40
		// in the gap: a person, spray, a light change
		switch rng.IntN(4) {
		case 0:
			sc.People = append(sc.People, Person{At: end + 3, Dur: 5 + rng.Float64()*6})
		case 1:
			sc.Sprays = append(sc.Sprays, Spray{At: end + 4, Dur: 2 + rng.Float64()*4})
		case 2:
			sc.Lights = append(sc.Lights, Light{At: end + 2, RampS: 2 + rng.Float64()*8, Gain: 0.6 + rng.Float64()*0.8})
		case 3:
			sc.Lights = append(sc.Lights, Light{At: end + 5, Gain: 0.7 + rng.Float64()*0.6})
		}
		at = end + gap
	}
	sc.Seconds = at + 10
	return sc
}
