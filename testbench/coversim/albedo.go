package coversim

import "math"

// albedo is the surface colour at a hit and its specular strength.
func (s *scene) albedo(h hit) (Vec3, float64) {
	tr := s.tr
	lp := h.lp
	switch h.mat {
	case matGround:
		return s.ground(h.p), 0
	case matHoarding:
		c := s.g.Hoarding
		if h.p.Z > 2.2 {
			c = srgb(225, 225, 220)
		}
		if math.Mod(math.Abs(h.p.X), 2.0) < 0.04 {
			c = c.mul(0.6)
		}
		c = c.mul(0.8 + 0.3*fbm(h.p.X*0.5, h.p.Z*0.5, uint64(s.g.Seed)+3, 2))
		if h.p.Z < 0.5 {
			c = c.lerp(srgb(110, 90, 70), 0.5*fbm(h.p.X*2, h.p.Z*6, uint64(s.g.Seed)+4, 2))
		}
		return c, 0
	case matCab:
		// windscreen at the front, side windows high on the doors
		nl := tr.dirLocal(h.n)
		if (nl.X > 0.5 && lp.Z > 2.05 && lp.Z < 3.0 && math.Abs(lp.Y) < 1.1) ||
			(math.Abs(nl.Y) > 0.5 && lp.Z > 2.1 && lp.Z < 2.95 && lp.X > tr.L/2+1.3) {
			return srgb(30, 40, 50), 0.8
		}
		return tr.paint, 0.3
	case matWallOuter:
		return s.outerWall(lp, tr.dirLocal(h.n))
	case matWallTop:
		if tr.covKind != coverNone && tr.covered(clamp(lp.X, tr.x0, -tr.x0), clamp(lp.Y, tr.y0, -tr.y0)) {
			return s.coverAlbedo(lp), s.coverSpec()
		}
		return tr.bedPaint.mul(0.7), 0.1
	case matWallInner:
		c := srgb(85, 80, 75).mul(0.7 + 0.5*fbm(lp.X*3, lp.Z*8, tr.seed+5, 3))
		if tr.loadKind != "none" {
			c = c.lerp(tr.loadCol, 0.4*smoothstep(0.2, 0.8, fbm(lp.X*1.5, lp.Z*3, tr.seed+6, 2)))
		}
		return c, 0.05
	case matFloor:
		return srgb(80, 75, 70), 0
	case matChassis:
		return srgb(35, 35, 37), 0.1
	case matWheel:
		return srgb(22, 22, 22), 0
	case matLoad:
		return s.loadAlbedo(lp), 0
	case matCover:
		return s.coverAlbedo(lp), s.coverSpec()
	}
	return v3(0.1, 0.1, 0.1), 0
}

func (s *scene) ground(p Vec3) Vec3 {
	seed := uint64(s.g.Seed)
	var c Vec3
	switch s.g.Ground {
	case "asphalt":
		c = srgb(75, 74, 72).mul(0.85 + 0.3*fbm(p.X*4, p.Y*4, seed, 3))
	case "dirt":
		c = srgb(125, 105, 80).mul(0.7 + 0.5*fbm(p.X*1.5, p.Y*1.5, seed, 4))
	default:
		c = srgb(150, 148, 140).mul(0.8 + 0.3*fbm(p.X*2, p.Y*2, seed, 3))
		if math.Mod(math.Abs(p.X+100), 5) < 0.03 || math.Mod(math.Abs(p.Y+100), 4) < 0.03 {
			c = c.mul(0.5) // slab joints
		}
	}
	// mud tracked out along the wheel paths
	mud := smoothstep(0.45, 0.75, fbm(p.X*0.8, p.Y*1.6, seed+1, 3)) * math.Exp(-math.Pow((math.Abs(p.Y)-0.9)/0.7, 2))
	c = c.lerp(srgb(95, 75, 55), 0.7*mud)
	if math.Abs(math.Abs(p.Y)-3.6) < 0.08 {
		c = srgb(200, 170, 50).mul(0.8) // lane line
	}
	if s.li.wet {
		c = c.mul(0.55)
	}
	return c
}

func (s *scene) outerWall(lp, nl Vec3) (Vec3, float64) {
	tr := s.tr
	// the tarp's hem or the lid's lip hangs over the top of the boards
	if tr.covKind == coverTarp || tr.covKind == coverLid {
		depth := 0.25
		if tr.covKind == coverLid {
			depth = 0.08
		}
		if lp.Z > tr.top-depth && lp.Z <= tr.top+0.01 && tr.covered(clamp(lp.X, tr.x0, -tr.x0), clamp(lp.Y, tr.y0, -tr.y0)) {
			return s.coverAlbedo(lp), s.coverSpec()
		}
	}
	c := tr.bedPaint
	along := lp.X
	if math.Abs(nl.X) > 0.5 {
		along = lp.Y
	}
	if math.Mod(along+20, 0.45) < 0.06 {
		c = c.mul(0.75) // stiffening ribs
	}
	if math.Abs(nl.Y) > 0.5 && lp.Z > tr.F+0.05 && lp.Z < tr.F+0.17 {
		if int(math.Floor((along+20)/0.3))%2 == 0 {
			c = srgb(200, 30, 30)
		} else {
			c = srgb(230, 230, 230) // reflective tape
		}
	}
	if nl.X < -0.5 && math.Abs(lp.Y) < 0.8 && lp.Z > tr.F+0.3 && lp.Z < tr.F+0.9 {
		// the enlarged plate number painted on the tailboard
		c = srgb(230, 210, 60)
		if lp.Z > tr.F+0.4 && lp.Z < tr.F+0.8 && math.Mod(lp.Y+10, 0.26) < 0.16 && math.Abs(lp.Y) < 0.7 {
			c = srgb(20, 20, 20)
		}
	}
	// mud splashed up from the wheels
	m := smoothstep(0.5, 0.8, fbm(lp.X*2, lp.Z*3, tr.seed+7, 3)) * smoothstep(tr.F+0.8, tr.F, lp.Z)
	c = c.lerp(srgb(100, 80, 60), 0.8*m)
	return c, 0.15
}

func (s *scene) coverSpec() float64 {
	switch s.tr.covKind {
	case coverLid:
		return 0.5
	case coverTarp:
		return 0.12
	}
	return 0
}

// stain mixes the load's colour into a cover where dirt has collected on it.
func (s *scene) stain(c Vec3, lp Vec3, amount float64) Vec3 {
	tr := s.tr
	m := smoothstep(0.55, 0.85, fbm(lp.X*0.9, lp.Y*1.3, tr.seed+51, 4))
	return c.lerp(tr.loadCol, amount*m)
}

func (s *scene) coverAlbedo(lp Vec3) Vec3 {
	tr := s.tr
	c := tr.covCol
	switch tr.covKind {
	case coverLid:
		if math.Mod(lp.X+20, tr.lidRibs) < 0.03 || math.Abs(lp.Y) < 0.015 {
			c = c.mul(0.55)
		}
		return s.stain(c.mul(0.9+0.15*fbm(lp.X*2, lp.Y*2, tr.seed+61, 2)), lp, 0.3)
	case coverTarp:
		if tr.striped {
			b := int(math.Floor((lp.X + 20) / 0.18))
			switch b % 5 {
			case 1:
				c = tr.covCol2
			case 3:
				c = srgb(190, 40, 40)
			}
		}
		c = c.mul(0.85 + 0.3*fbm(lp.X*3, lp.Y*5, tr.seed+71, 3)) // creases, fading
		// ropes across the bed and one along it
		if math.Mod(lp.X+20+0.3*lp.Y, tr.ropeEvery) < 0.025 || math.Abs(lp.Y-0.2*math.Sin(lp.X)) < 0.012 {
			return tr.ropeCol
		}
		return s.stain(c, lp, 0.5)
	}
	return c
}

func (s *scene) loadAlbedo(lp Vec3) Vec3 {
	tr := s.tr
	x, y := lp.X, lp.Y
	base := tr.loadCol
	sd := tr.seed
	switch tr.loadKind {
	case "none":
		c := srgb(90, 85, 80).mul(0.7 + 0.4*fbm(x*2, y*2, sd+81, 3))
		return c.lerp(srgb(110, 90, 65), 0.6*smoothstep(0.5, 0.8, fbm(x*1.2, y*1.2, sd+82, 3)))
	case "soil":
		c := base.mul(0.7 + 0.6*fbm(x*3, y*3, sd+83, 4))
		if fbm(x*0.7, y*0.7, sd+84, 2) > 0.6 {
			c = c.mul(0.75) // moist patches
		}
		if d1, _, id := cells(x*22, y*22, sd+85); d1 < 0.18 && id%6 == 0 {
			c = srgb(140, 135, 125) // stones
		}
		return c
	case "clay":
		d1, d2, id := cells(x*5, y*5, sd+13)
		c := base.mul(0.8 + 0.3*float64(id%7)/6)
		c = c.mul(0.6 + 0.4*smoothstep(0, 0.12, d2-d1))
		return c.mul(0.9 + 0.2*fbm(x*8, y*8, sd+86, 2))
	case "concrete":
		d1, d2, id := cells(x*4, y*4, sd+11)
		g := 0.75 + 0.45*float64(id%11)/10
		c := base.mul(g)
		if id%5 == 0 {
			c = tr.loadCol.hadamard(srgb(200, 170, 130)).mul(2) // soil between the chunks
		}
		if id%13 == 0 && math.Mod(x*3+y*7+20, 1) < 0.06 {
			c = srgb(90, 50, 30) // rebar
		}
		c = c.mul(0.35 + 0.65*smoothstep(0, 0.1, d2-d1))
		_ = d1
		return c.mul(0.85 + 0.3*fbm(x*12, y*12, sd+87, 2))
	case "brick":
		d1, d2, id := cells(x*6, y*6, sd+11)
		c := base.hadamard(v3(0.8+0.4*float64(id%5)/4, 0.8+0.3*float64(id%3)/2, 1))
		if id%4 == 0 {
			c = srgb(150, 148, 140) // mortar lumps
		}
		c = c.mul(0.35 + 0.65*smoothstep(0, 0.1, d2-d1))
		_ = d1
		return c
	case "gravel":
		d1, d2, id := cells(x*28, y*28, sd+91)
		c := base.mul(0.6 + 0.6*float64(id%9)/8)
		if id%7 == 0 {
			c = srgb(150, 120, 90)
		}
		return c.mul(0.5 + 0.5*smoothstep(0, 0.15, d2-d1) - 0.1*d1)
	case "sand":
		r := 0.92 + 0.08*math.Sin(x*20+6*fbm(x, y, sd+92, 2))
		return base.mul(r * (0.9 + 0.2*fbm(x*4, y*4, sd+93, 2)))
	default: // spoil
		c := base.mul(0.7 + 0.6*fbm(x*3, y*3, sd+94, 4))
		d1, d2, id := cells(x*5, y*5, sd+11)
		switch {
		case id%6 == 0:
			c = srgb(150, 148, 140).mul(0.8 + 0.4*float64(id%5)/4)
		case id%6 == 1:
			c = srgb(160, 80, 55)
		case id%37 == 2:
			c = srgb(40, 80, 170) // a scrap of plastic
		}
		if id%6 <= 1 {
			c = c.mul(0.4 + 0.6*smoothstep(0, 0.1, d2-d1))
		}
		_ = d1
		return c
	}
}
