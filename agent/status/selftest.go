package status

import "fmt"

// Check is one device's part of a selftest.
type Check struct {
	Kind   string `json:"kind"` // scale | camera | plate_listener | uplink | outbox | registry
	ID     string `json:"id"`
	State  string `json:"state"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

// Selftest reports each device's state and a short check of it, and whether all are well.
func (r *Reporter) Selftest() (ok bool, checks []Check) {
	s := r.Status("online")
	for _, l := range s.Lanes {
		c := Check{Kind: "scale", ID: l.ID, State: l.Scale.State, OK: l.Scale.State == "open" && l.LastReadingAt != ""}
		c.Detail = fmt.Sprintf("%s: %d frames, %d bad, deck %s, last %.0f kg", l.Scale.Port, l.Decoder.Frames, l.Decoder.BadFrames, l.Deck, l.LastKg)
		if l.Scale.LastError != "" {
			c.Detail += "; last error: " + l.Scale.LastError
		}
		checks = append(checks, c)
	}
	for _, c := range s.Cameras {
		checks = append(checks, Check{Kind: "camera", ID: c.ID, State: string(c.State), OK: c.State == "streaming",
			Detail: fmt.Sprintf("%.1f fps, %dx%d %s", c.FPS, c.Width, c.Height, c.LastError)})
	}
	for _, p := range s.Plates {
		checks = append(checks, Check{Kind: "plate_listener", ID: p.Listen, State: pick(p.Error == "", "listening", "down"),
			OK: p.Error == "", Detail: p.Error})
	}
	if s.Uplink != nil {
		checks = append(checks, Check{Kind: "uplink", ID: r.s.URL, State: pick(s.Uplink.Connected, "connected", "disconnected"),
			OK: s.Uplink.Connected, Detail: fmt.Sprintf("%d reconnects, %d published", s.Uplink.Reconnects, s.Uplink.Published)})
	}
	if s.Outbox != nil {
		checks = append(checks, Check{Kind: "outbox", ID: "outbox", State: "open", OK: true,
			Detail: fmt.Sprintf("%d waiting, %d bytes, %d dropped", s.Outbox.Depth, s.Outbox.Bytes, s.Outbox.Drops.Total())})
	}
	if s.Registry != nil {
		checks = append(checks, Check{Kind: "registry", ID: "registry", State: pick(s.Registry.Loaded, "loaded", "not loaded"),
			OK: s.Registry.Loaded, Detail: fmt.Sprintf("version %d, %d vehicles %s", s.Registry.Version, s.Registry.Vehicles, s.Registry.Error)})
	}
	ok = true
	for _, c := range checks {
		ok = ok && c.OK
	}
	return ok, checks
}

func pick(b bool, yes, no string) string {
	if b {
		return yes
	}
	return no
}
