package scene

import (
	"math/rand/v2"
)

// SetOptions describes a labelled frame set.
type SetOptions struct {
	// Seed decides every picture; sets with different seeds share no picture.
	Seed uint64
	// PerCell is the number of pictures for each condition and severity; default 10.
	PerCell int
	// Width and Height of the pictures; default 640x360.
	Width, Height int
	// Conditions to draw; default all.
	Conditions []Condition
}

func (o SetOptions) withDefaults() SetOptions {
	if o.PerCell <= 0 {
		o.PerCell = 10
	}
	if o.Width <= 0 || o.Height <= 0 {
		o.Width, o.Height = 640, 360
	}
	if len(o.Conditions) == 0 {
		o.Conditions = Conditions
	}
	return o
}

// Specs lists the pictures of a set, in order. Severities are balanced so that clean and muddy
// (light plus heavy) trucks are equally many.
func (o SetOptions) Specs() []Spec {
	o = o.withDefaults()
	rng := rand.New(rand.NewPCG(o.Seed, 0x5175a6e))
	var out []Spec
	for _, c := range o.Conditions {
		for i := 0; i < o.PerCell*2; i++ {
			sev := Clean
			if i%2 == 1 {
				sev = Light
				if i%4 == 3 {
					sev = Heavy
				}
			}
			out = append(out, Random(rng, c, sev))
		}
	}
	return out
}
