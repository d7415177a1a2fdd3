package mudlearn

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"sitegate/agent/framestore"
	config "sitegate/firmware-config"
	"sitegate/models/cover"
	"sitegate/models/mud"
)

// Camera is what learning needs of a camera's config: the check learned (Check "mud", the
// default for "", or "cover") and that check's block.
type Camera struct {
	Check     string
	ID        string
	Scorer    mud.Config
	Threshold float64
	Regions   []mud.Region
}

// CameraOf is what learning needs of camera cc's check ("mud" or "cover"), and the check's
// learning settings (learn: off | auto, learn_every).
func CameraOf(check string, cc config.Camera) (cam Camera, learn string, every int) {
	rois, sc := cc.ROIs, mud.Config{Scorer: cc.Mud.Scorer, Model: cc.Mud.Model}
	threshold, learn, every := cc.Mud.Threshold, cc.Mud.Learn, cc.Mud.LearnEvery
	if check == "cover" {
		rois, sc = cc.Cover.ROIs, mud.Config{Scorer: cc.Cover.Scorer, Model: cc.Cover.Model}
		threshold, learn, every = cc.Cover.Threshold, cc.Cover.Learn, cc.Cover.LearnEvery
	}
	var regions []mud.Region
	for _, r := range rois {
		reg := mud.Region{Name: r.Name}
		for _, p := range r.Polygon {
			if len(p) == 2 { // validated with the config
				reg.Polygon = append(reg.Polygon, [2]float64{p[0], p[1]})
			}
		}
		regions = append(regions, reg)
	}
	return Camera{Check: check, ID: cc.ID, Scorer: sc, Threshold: threshold, Regions: regions}, learn, every
}

func (c Camera) scorerName() string {
	if c.Scorer.Scorer == "" {
		return mud.Classic
	}
	return c.Scorer.Scorer
}

func (c Camera) check() string {
	if c.Check == "" {
		return "mud"
	}
	return c.Check
}

// positive reads a review's label: muddy for mud; open, torn, heaped or uncovered for cover.
func (c Camera) positive(label string) bool {
	if c.check() == "cover" {
		alarm, _ := cover.IsAlarmLabel(label)
		return alarm
	}
	return label == "muddy"
}

func (c Camera) regionNames() []string {
	out := make([]string, len(c.Regions))
	for i, r := range c.Regions {
		out[i] = r.Name
	}
	return out
}

// FramesDir and ModelsDir are where a store keeps the judged frames and the learned mud models;
// ModelsDirOf is where it keeps a check's (models/mud, models/cover).
func FramesDir(storeDir string) string { return filepath.Join(storeDir, "frames") }
func ModelsDir(storeDir string) string { return ModelsDirOf(storeDir, "mud") }
func ModelsDirOf(storeDir, check string) string {
	return filepath.Join(storeDir, "models", check)
}

// Report is the outcome of learning one camera.
type Report struct {
	Camera      string  `json:"camera"`
	Scorer      string  `json:"scorer"`
	Reviewed    int     `json:"reviewed"`
	Muddy       int     `json:"muddy"`
	Clean       int     `json:"clean"`
	Unreadable  int     `json:"unreadable,omitempty"`
	ModelBefore string  `json:"model_before"`
	ModelAfter  string  `json:"model_after"`
	F1Before    float64 `json:"f1_before"`
	F1After     float64 `json:"f1_after"`
	Improves    bool    `json:"improves"`
	Adopted     bool    `json:"adopted"`
	Why         string  `json:"why,omitempty"`
}

// Learn fits the camera's model to its reviewed frames under storeDir and compares it, on
// held-out folds, with the model in force; with adopt, an improving fit becomes the next
// version in force.
func Learn(storeDir string, cam Camera, adopt bool, o Options) (Report, error) {
	vs := Open(ModelsDirOf(storeDir, cam.check()), cam.ID)
	cur, err := vs.Current()
	if err != nil {
		return Report{}, err
	}
	rep := Report{Camera: cam.ID, Scorer: cam.scorerName()}
	inForce := Rule{Threshold: cam.Threshold}
	before := 0
	if cur != nil && cur.Head.Scorer == cam.scorerName() && sameNames(cur.Head.Regions, cam.regionNames()) {
		h := cur.Head
		inForce.Head, before = &h, cur.Version
	}
	rep.ModelBefore, rep.ModelAfter = Name(rep.Scorer, cam.ID, before), Name(rep.Scorer, cam.ID, before)
	entries, err := framestore.List(FramesDir(storeDir), cam.ID)
	if err != nil {
		return rep, err
	}
	frames, unreadable, err := Rescore(entries, cam)
	if err != nil {
		return rep, err
	}
	rep.Unreadable = unreadable
	for _, f := range frames {
		rep.Reviewed++
		if f.Muddy {
			rep.Muddy++
		} else {
			rep.Clean++
		}
	}
	r, err := Fit(rep.Scorer, cam.regionNames(), frames, inForce, o)
	if err != nil {
		rep.Why = err.Error()
		if errors.Is(err, ErrTooFew) {
			return rep, nil
		}
		return rep, err
	}
	rep.F1Before, rep.F1After, rep.Improves, rep.Why = r.F1Before, r.F1After, r.Adopt, r.Why
	if !adopt || !r.Adopt {
		return rep, nil
	}
	m, err := vs.Adopt(Model{FittedAt: time.Now(), Head: r.Head, Frames: r.Frames, F1Before: r.F1Before, F1After: r.F1After})
	if err != nil {
		return rep, fmt.Errorf("mudlearn: %w", err)
	}
	rep.Adopted, rep.ModelAfter = true, Name(rep.Scorer, cam.ID, m.Version)
	return rep, nil
}

func sameNames(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
