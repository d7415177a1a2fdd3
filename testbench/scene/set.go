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
	// Gates, when given, draws PerCell pictures of each condition and severity pair at each
	// gate, with RandomAt (every shape and paint, the hazards of a real gate); without, every
	// picture is at the reference gate, drawn by Random.
	Gates []Gate
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
	gates := o.Gates
	if len(gates) == 0 {
		gates = []Gate{{}}
	}
	for _, g := range gates {
		for _, c := range o.Conditions {
			for i := 0; i < o.PerCell*2; i++ {
				sev := Clean
				if i%2 == 1 {
					sev = Light
					if i%4 == 3 {
						sev = Heavy
					}
				}
				if len(o.Gates) == 0 {
					out = append(out, Random(rng, c, sev))
				} else {
					out = append(out, RandomAt(rng, g, c, sev))
				}
			}
		}
	}
	return out
}
