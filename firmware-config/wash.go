package config

import (
	"net"
	"slices"
	"strconv"
	"time"
)

// Wash sources (lanes[].wash.source).
const (
	WashNone       = "none"
	WashFromModbus = "modbus"
	WashFromCamera = "camera"
)

// Wash is how a lane sees its wash bay (the wash check, CONTRACT 10): the wash controller's
// "vehicle in bay" output read over Modbus TCP, or one of the lane's cameras watching the bay.
type Wash struct {
	Source string     `yaml:"source"` // none | modbus | camera
	Modbus WashModbus `yaml:"modbus"`
	// Camera is the lane's camera (cameras[].id, with a wash block) that sees the bay, for
	// source camera.
	Camera string `yaml:"camera"`
	// Window is how long before reaching the exit deck a truck's wash may have ended.
	Window Duration `yaml:"window"`
	// Poll is how often the input is read.
	Poll Duration `yaml:"poll"`
}

// WashModbus is the bit of the wash controller that is set while a vehicle is in the bay.
type WashModbus struct {
	Address string `yaml:"address"` // host:port of the controller (Modbus TCP)
	Unit    int    `yaml:"unit"`    // the unit (slave) id
	Table   string `yaml:"table"`   // discrete | coil
	Index   int    `yaml:"index"`   // the bit's 0-based address
	Active  string `yaml:"active"`  // high: set while a vehicle is in the bay | low: cleared
}

// CameraWash is a camera's view of the wash bay (cameras[].wash): the bay's region and the
// presence detector's tuning (models/washcam). A camera has a wash block when Rois is set; its
// frame from the middle of each stay goes into the passage's evidence, whatever the source.
type CameraWash struct {
	ROIs []ROI `yaml:"rois"`
	// Cols and Rows divide the region's bounding box into cells.
	Cols int `yaml:"cols"`
	Rows int `yaml:"rows"`
	// CellDiff and TextureDiff: how far a cell's normalised brightness and edge energy must be
	// from the empty bay's for the cell to count as changed (relative).
	CellDiff    float64 `yaml:"cell_diff"`
	TextureDiff float64 `yaml:"texture_diff"`
	// OnShare and OffShare: the share of changed cells from which the bay looks occupied, and
	// to which it must fall to look empty again.
	OnShare  float64 `yaml:"on_share"`
	OffShare float64 `yaml:"off_share"`
	// MinOn and MinOff: how long the bay must look occupied (empty) before it is.
	MinOn  Duration `yaml:"min_on"`
	MinOff Duration `yaml:"min_off"`
	// Learn is the reference's update rate from each empty frame; Relearn how long the bay may
	// look occupied before the scene is taken as changed and learned again.
	Learn   float64  `yaml:"learn"`
	Relearn Duration `yaml:"relearn"`
}

// WashRule is the wash rule: a truck must stand in the bay at least MinDuration.
type WashRule struct {
	MinDuration Duration `yaml:"min_duration"`
}

func validateWash(w Wash, p string, ps *problems) {
	if !slices.Contains([]string{WashNone, WashFromModbus, WashFromCamera}, w.Source) {
		ps.add(p+".source", "%q is not one of none, modbus, camera", w.Source)
		return
	}
	if w.Source == WashNone {
		return
	}
	if w.Window.D() < time.Minute || w.Window.D() > 2*time.Hour {
		ps.add(p+".window", "%s is not 1m to 2h", w.Window)
	}
	if w.Poll.D() < 100*time.Millisecond || w.Poll.D() > 10*time.Second {
		ps.add(p+".poll", "%s is not 100ms to 10s", w.Poll)
	}
	if w.Source == WashFromCamera {
		return // validateWashCamera
	}
	m, mp := w.Modbus, p+".modbus"
	if host, port, err := net.SplitHostPort(m.Address); err != nil || host == "" {
		ps.add(mp+".address", "%q is not host:port", m.Address)
	} else if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		ps.add(mp+".address", "%q has no valid port", m.Address)
	}
	if m.Unit < 0 || m.Unit > 255 {
		ps.add(mp+".unit", "%d is not 0 to 255", m.Unit)
	}
	if !slices.Contains([]string{"discrete", "coil"}, m.Table) {
		ps.add(mp+".table", "%q is not one of discrete, coil", m.Table)
	}
	if m.Index < 0 || m.Index > 65535 {
		ps.add(mp+".index", "%d is not 0 to 65535", m.Index)
	}
	if !slices.Contains([]string{"high", "low"}, m.Active) {
		ps.add(mp+".active", "%q is not one of high, low", m.Active)
	}
}

func validateWashRule(r WashRule, ps *problems) {
	if r.MinDuration < 0 || r.MinDuration.D() > 30*time.Minute {
		ps.add("rules.wash.min_duration", "%s is not 0 to 30m", r.MinDuration)
	}
}

// validateWashCamera checks lane l's wash camera and its cameras' wash blocks; p is the lane's
// path.
func validateWashCamera(l Lane, p string, ps *problems) {
	for j, c := range l.Cameras {
		cp := indexPath(p+".cameras", j) + ".wash"
		w := c.Wash
		if len(w.ROIs) == 0 {
			continue
		}
		validateROIs(w.ROIs, cp+".rois", ps)
		if w.Cols < 2 || w.Cols > 64 {
			ps.add(cp+".cols", "%d is not 2 to 64", w.Cols)
		}
		if w.Rows < 2 || w.Rows > 64 {
			ps.add(cp+".rows", "%d is not 2 to 64", w.Rows)
		}
		if w.CellDiff <= 0 || w.CellDiff > 1 {
			ps.add(cp+".cell_diff", "%g is not above 0 and at most 1", w.CellDiff)
		}
		if w.TextureDiff <= 0 || w.TextureDiff > 10 {
			ps.add(cp+".texture_diff", "%g is not above 0 and at most 10", w.TextureDiff)
		}
		if w.OnShare <= 0 || w.OnShare > 1 {
			ps.add(cp+".on_share", "%g is not above 0 and at most 1", w.OnShare)
		}
		if w.OffShare <= 0 || w.OffShare >= w.OnShare {
			ps.add(cp+".off_share", "%g is not above 0 and below on_share (%g)", w.OffShare, w.OnShare)
		}
		if w.MinOn.D() < 0 || w.MinOn.D() > 10*time.Minute {
			ps.add(cp+".min_on", "%s is not 0 to 10m", w.MinOn)
		}
		if w.MinOff.D() < 0 || w.MinOff.D() > 10*time.Minute {
			ps.add(cp+".min_off", "%s is not 0 to 10m", w.MinOff)
		}
		if w.Learn <= 0 || w.Learn > 1 {
			ps.add(cp+".learn", "%g is not above 0 and at most 1", w.Learn)
		}
		if w.Relearn.D() < time.Minute || w.Relearn.D() > 24*time.Hour {
			ps.add(cp+".relearn", "%s is not 1m to 24h", w.Relearn)
		}
	}
	if l.Wash.Source != WashFromCamera {
		return
	}
	i := slices.IndexFunc(l.Cameras, func(c Camera) bool { return c.ID == l.Wash.Camera })
	switch {
	case l.Wash.Camera == "":
		ps.add(p+".wash.camera", "must name one of the lane's cameras for source camera")
	case i < 0:
		ps.add(p+".wash.camera", "%q is not one of the lane's cameras", l.Wash.Camera)
	case len(l.Cameras[i].Wash.ROIs) == 0:
		ps.add(indexPath(p+".cameras", i)+".wash.rois", "must give the bay's region: camera %q sees the wash bay (wash.camera)", l.Wash.Camera)
	}
}
