package gateway

import (
	"sitegate/agent/mudwatch"
	"sitegate/drivers/camera"
	config "sitegate/firmware-config"
	"sitegate/models/mud"
)

// newMudWatcher builds the mud check of a camera that has regions of interest; nil otherwise.
func (g *Gateway) newMudWatcher(cc config.Camera, cam *camera.Camera) *mudwatch.Watcher {
	if len(cc.ROIs) == 0 {
		return nil
	}
	var regions []mud.Region
	for _, r := range cc.ROIs {
		reg := mud.Region{Name: r.Name}
		for _, p := range r.Polygon {
			if len(p) == 2 { // validated with the config
				reg.Polygon = append(reg.Polygon, [2]float64{p[0], p[1]})
			}
		}
		regions = append(regions, reg)
	}
	w := mudwatch.New(mudwatch.Options{
		CameraID: cc.ID, Camera: cam, Regions: regions,
		Scorer:    mud.Config{Scorer: cc.Mud.Scorer, Model: cc.Mud.Model},
		Threshold: cc.Mud.Threshold, Rate: cc.Mud.Rate, Logger: g.log,
	})
	return w
}
