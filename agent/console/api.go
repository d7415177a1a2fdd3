package console

import (
	"net/http"

	"sitegate/agent/wire"
	"sitegate/drivers/camera"
	"sitegate/drivers/serialport"
)

// stateView is GET /api/state: everything the live page shows.
type stateView struct {
	Site          string             `json:"site"`
	Gateway       string             `json:"gateway"`
	Version       string             `json:"version"`
	Time          string             `json:"time"`
	User          string             `json:"user"`
	Role          string             `json:"role"`
	ConfigVersion int64              `json:"config_version"`
	Lanes         []laneView         `json:"lanes"`
	Cameras       []cameraView       `json:"cameras"`
	Outbox        *wire.OutboxStats  `json:"outbox,omitempty"`
	OutboxAgeS    float64            `json:"outbox_oldest_age_s"`
	Uplink        *wire.UplinkStatus `json:"uplink,omitempty"`
	Problems      []problem          `json:"problems"`
	Passages      []passageView      `json:"passages"`
}

type laneView struct {
	wire.LaneStatus
	Trace  [][2]float64 `json:"trace"`
	Decks  []string     `json:"trace_deck"`
	Plates []plateView  `json:"last_plates"`
}

type plateView struct {
	Text       string  `json:"text"`
	Confidence float64 `json:"confidence"`
	At         string  `json:"at"`
}

type cameraView struct {
	Lane   string         `json:"lane"`
	ID     string         `json:"id"`
	Status *camera.Status `json:"status,omitempty"`
	ROIs   []roiJSON      `json:"rois"`
	Mud    mudView        `json:"mud"`
	Cover  *mudView       `json:"cover,omitempty"` // absent when the camera has no cover check
}

type mudView struct {
	Judged    bool    `json:"judged"`
	Score     float64 `json:"score"`
	Threshold float64 `json:"threshold"`
}

// problem is an open equipment problem, read from the status.
type problem struct {
	What   string `json:"what"`
	Detail string `json:"detail"`
}

type passageView struct {
	wire.Passage
	Pictures []string `json:"pictures"` // evidence names the console still holds
}

func (s *Server) state(w http.ResponseWriter, r *http.Request) {
	ss := sessionOf(r)
	src := s.o.Sources
	v := stateView{User: ss.user, Role: ss.role, Lanes: []laneView{}, Cameras: []cameraView{}, Problems: []problem{}, Passages: []passageView{}}
	var st wire.Status
	if src.Status != nil {
		st = src.Status()
	}
	v.Site, v.Gateway, v.Version, v.Time = st.Site, st.Gateway, st.Version, st.Time
	v.Outbox, v.OutboxAgeS, v.Uplink = st.Outbox, st.OutboxOldestAgeS, st.Uplink
	if src.ConfigVersion != nil {
		v.ConfigVersion = src.ConfigVersion()
	}
	recent := s.recent.list()
	for _, l := range st.Lanes {
		lv := laneView{LaneStatus: l, Plates: []plateView{}}
		lv.Trace, lv.Decks = s.traces.points(l.ID)
		for _, p := range recent {
			if p.Lane == l.ID && p.Plate != nil && len(lv.Plates) < 5 {
				lv.Plates = append(lv.Plates, plateView{Text: p.Plate.Text, Confidence: p.Plate.Confidence, At: p.EndedAt})
			}
		}
		v.Lanes = append(v.Lanes, lv)
	}
	running := src.Running
	if src.Cameras != nil {
		for _, c := range src.Cameras() {
			cv := cameraView{Lane: c.Lane, ID: c.ID, ROIs: []roiJSON{}}
			if c.Status != nil {
				cs := c.Status()
				cv.Status = &cs
			}
			if c.Mud != nil {
				cv.Mud.Judged, cv.Mud.Score, cv.Mud.Threshold = c.Mud()
			}
			if c.Cover != nil {
				cv.Cover = &mudView{}
				cv.Cover.Judged, cv.Cover.Score, cv.Cover.Threshold = c.Cover()
			}
			if running != nil {
				for _, l := range running().Lanes {
					for _, cc := range l.Cameras {
						if l.ID == c.Lane && cc.ID == c.ID {
							for _, roi := range cc.ROIs {
								cv.ROIs = append(cv.ROIs, roiJSON{Name: roi.Name, Polygon: roi.Polygon})
							}
						}
					}
				}
			}
			v.Cameras = append(v.Cameras, cv)
		}
	}
	v.Problems = problems(st)
	for _, p := range recent {
		pv := passageView{Passage: p, Pictures: []string{}}
		for _, e := range p.Evidence {
			if s.recent.has(p.ID, e.Name) {
				pv.Pictures = append(pv.Pictures, e.Name)
			}
		}
		v.Passages = append(v.Passages, pv)
	}
	writeJSON(w, http.StatusOK, v)
}

// problems are the equipment problems the status shows: a scale not reading, a camera not
// streaming, the broker unreachable, the registry not loaded, the clock not synchronised.
func problems(st wire.Status) []problem {
	out := []problem{}
	for _, l := range st.Lanes {
		if l.Scale.State == serialport.StateDown {
			out = append(out, problem{What: "scale " + l.ID, Detail: l.Scale.State + " " + l.Scale.LastError})
		}
		if l.LastError != "" {
			out = append(out, problem{What: "lane " + l.ID, Detail: l.LastError})
		}
	}
	for _, c := range st.Cameras {
		if c.State != camera.StateStreaming {
			out = append(out, problem{What: "camera " + c.ID, Detail: string(c.State) + " " + c.LastError})
		}
	}
	for _, p := range st.Plates {
		if p.Error != "" {
			out = append(out, problem{What: "plate listener " + p.Listen, Detail: p.Error})
		}
	}
	if st.Uplink != nil && !st.Uplink.Connected {
		out = append(out, problem{What: "uplink", Detail: "not connected " + st.Uplink.LastError})
	}
	if st.Registry != nil && st.Registry.Error != "" {
		out = append(out, problem{What: "registry", Detail: st.Registry.Error})
	}
	if st.Clock != nil && !st.Clock.Synced {
		out = append(out, problem{What: "clock", Detail: "not synchronised (" + st.Clock.Source + ")"})
	}
	return out
}
