package gateway

import (
	"path/filepath"
	"slices"

	"sitegate/agent/control"
	"sitegate/agent/washbay"
	"sitegate/drivers/camera"
	"sitegate/drivers/modbus"
	config "sitegate/firmware-config"
	"sitegate/models/vision/quality"
	"sitegate/models/washcam"
)

// newWashBay builds lane lc's wash bay, where its config names one (nil otherwise). cams are the
// lane's cameras, in config order; the one with a wash block gives each stay's frame.
func newWashBay(g *Gateway, lc config.Lane, cams []*camera.Camera) *washbay.Bay {
	w := lc.Wash
	o := washbay.Options{Lane: lc.ID, Source: w.Source, Poll: w.Poll.D(),
		Store: control.Store{Dir: filepath.Join(g.cfg.Store.Dir, "control")}, Logger: g.log}
	i := slices.IndexFunc(lc.Cameras, func(c config.Camera) bool { return len(c.Wash.ROIs) > 0 })
	if w.Source == config.WashFromCamera {
		i = slices.IndexFunc(lc.Cameras, func(c config.Camera) bool { return c.ID == w.Camera })
	}
	if i >= 0 && i < len(cams) {
		o.Frame, o.FrameCamera = washbay.CameraJPEG(cams[i]), lc.Cameras[i].ID
	}
	switch w.Source {
	case config.WashFromModbus:
		table, _ := modbus.ParseTable(w.Modbus.Table) // validated
		o.Input = washbay.ModbusInput{
			Client:    &modbus.Client{Addr: w.Modbus.Address, Unit: byte(w.Modbus.Unit), Timeout: 2 * w.Poll.D()},
			Table:     table,
			Index:     uint16(w.Modbus.Index),
			ActiveLow: w.Modbus.Active == "low",
		}
	case config.WashFromCamera:
		if i < 0 || i >= len(cams) {
			return nil // validated
		}
		det, err := washcam.New(detectorConfig(lc.Cameras[i].Wash), region(lc.Cameras[i].Wash.ROIs))
		if err != nil {
			g.log.Error("wash camera not watched", "lane", lc.ID, "camera", w.Camera, "err", err)
			return nil
		}
		o.Input = &washbay.CameraInput{Frames: washbay.CameraFrames(cams[i], det.Box(), quality.Limits{}), Detector: det}
	default:
		return nil
	}
	return washbay.New(o)
}

func detectorConfig(w config.CameraWash) washcam.Config {
	return washcam.Config{Cols: w.Cols, Rows: w.Rows, CellDiff: w.CellDiff, TextureDiff: w.TextureDiff,
		OnShare: w.OnShare, OffShare: w.OffShare, MinOn: w.MinOn.D(), MinOff: w.MinOff.D(), Learn: w.Learn, Relearn: w.Relearn.D()}
}

func region(rois []config.ROI) [][]washcam.Point {
	var out [][]washcam.Point
	for _, r := range rois {
		var p []washcam.Point
		for _, q := range r.Polygon {
			if len(q) == 2 {
				p = append(p, washcam.Point{X: q[0], Y: q[1]})
			}
		}
		out = append(out, p)
	}
	return out
}
