//go:build !nocv

package mudlearn

import (
	"path/filepath"

	"gocv.io/x/gocv"

	"sitegate/agent/framestore"
)

// Rescore scores the reviewed frames of entries of the camera's check with the camera's scorer as it is now
// (the shipped scorer under any learned head), and returns them with how many could not be read.
func Rescore(entries []framestore.Entry, cam Camera) ([]Frame, int, error) {
	s, err := newScorer(cam)
	if err != nil {
		return nil, 0, err
	}
	defer s.Close()
	var out []Frame
	bad := 0
	for _, e := range entries {
		if e.Label == nil || e.Kept.Check != cam.check() || e.Label.Check != cam.check() {
			continue
		}
		m := gocv.IMRead(filepath.Join(e.Dir, framestore.FrameFile), gocv.IMReadColor)
		if m.Empty() {
			m.Close()
			bad++
			continue
		}
		res, err := s.Score(m, cam.Regions)
		m.Close()
		if err != nil {
			bad++
			continue
		}
		f := Frame{PassageID: e.Kept.PassageID, Muddy: cam.positive(e.Label.Label)}
		for _, r := range res.Regions {
			f.Scores = append(f.Scores, r.Score)
		}
		out = append(out, f)
	}
	return out, bad, nil
}
