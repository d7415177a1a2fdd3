//go:build !nocv

package cli

import (
	"fmt"
	"path/filepath"

	"gocv.io/x/gocv"

	"sitegate/models/cover"
	"sitegate/models/mud"
)

// scoreFrames scores each labelled frame with the camera's scorer of check (without its
// calibration, which the caller applies); a frame that cannot be read scores 0, has no regions
// and is listed.
func scoreFrames(check string, b checkBlock, dir string, rows []labelRow) ([]mud.Result, []string, error) {
	newScorer := mud.New
	if check == "cover" {
		newScorer = cover.New
	}
	s, err := newScorer(mud.Config{Scorer: b.Scorer, Model: b.Model})
	if err != nil {
		return nil, nil, err
	}
	defer s.Close()
	var regions []mud.Region
	for _, r := range b.ROIs {
		reg := mud.Region{Name: r.Name}
		for _, p := range r.Polygon {
			reg.Polygon = append(reg.Polygon, [2]float64{p[0], p[1]})
		}
		regions = append(regions, reg)
	}
	scores := make([]mud.Result, len(rows))
	var failed []string
	for i, r := range rows {
		m := gocv.IMRead(filepath.Join(dir, r.File), gocv.IMReadColor)
		if m.Empty() {
			m.Close()
			failed = append(failed, r.File)
			continue
		}
		res, err := s.Score(m, regions)
		m.Close()
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", r.File, err))
			continue
		}
		scores[i] = res
	}
	return scores, failed, nil
}
