package config

import "time"

// MudLearning: how a camera's mud check learns its gate (docs/mud.md, "Learning from the
// site"). Mud.Learn is off or auto: auto fits the camera's model after every Mud.LearnEvery new
// reviews, adopted only when held-out F1 improves (as `sitegate learn mud`). Mud.EmptyLane is
// off or learn: learn the empty lane from frames taken while no truck is in the lane, and refuse
// a frame whose regions look like it ("no vehicle in the regions").
// Mud learning modes.
const (
	LearnOff       = "off"
	LearnAuto      = "auto"
	EmptyLaneOff   = "off"
	EmptyLaneLearn = "learn"
)

// Frames bounds the judged frames kept for reviews under store.dir/frames.
type Frames struct {
	MaxBytes Size     `yaml:"max_bytes"`
	MaxAge   Duration `yaml:"max_age"`
}

// Alarms configures equipment alarms (topic alarm).
type Alarms struct {
	// Debounce is how long a condition must hold before its alarm opens, and be gone before
	// it closes.
	Debounce Duration `yaml:"debounce"`
}

func validateMudLearning(m Mud, p string, ps *problems) {
	validateLearn(m.Learn, m.LearnEvery, p, ps)
	if m.EmptyLane != EmptyLaneOff && m.EmptyLane != EmptyLaneLearn {
		ps.add(p+".empty_lane", "%q is not off or learn", m.EmptyLane)
	}
}

// validateLearn checks a vision check's learn and learn_every under block path p.
func validateLearn(learn string, every int, p string, ps *problems) {
	if learn != LearnOff && learn != LearnAuto {
		ps.add(p+".learn", "%q is not off or auto", learn)
	}
	if every < 5 || every > 10000 {
		ps.add(p+".learn_every", "%d is outside 5..10000 reviews", every)
	}
}

func validateFramesAlarms(c *Config, ps *problems) {
	if c.Store.Frames.MaxBytes < 1<<20 {
		ps.add("store.frames.max_bytes", "%d is below 1MiB", c.Store.Frames.MaxBytes)
	}
	if c.Store.Frames.MaxAge.D() < time.Hour {
		ps.add("store.frames.max_age", "%s is below 1h", c.Store.Frames.MaxAge.D())
	}
	if d := c.Alarms.Debounce.D(); d < 0 || d > 24*time.Hour {
		ps.add("alarms.debounce", "%s is outside 0..24h", d)
	}
}
