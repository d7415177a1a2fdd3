package bench

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"

	"sitegate/testbench/indicatoremu"
)

// Scenario is one hardware-in-loop test: the devices, the agent's config, a timeline and what
// the platform must see. docs/bench.md describes every key.
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Requires lists what the scenario needs of the machine: opencv (the agent reads cameras),
	// root (a tmpfs for the store). A run without it skips the scenario, and says so.
	Requires []string `yaml:"requires"`
	Devices  Devices  `yaml:"devices"`
	Agent    Agent    `yaml:"agent"`
	Timeline []Step   `yaml:"timeline"`
	Expect   Expect   `yaml:"expect"`
	// Settle is how long, after the timeline, the expected passages may take to arrive
	// (default 20s).
	Settle Duration `yaml:"settle"`

	File string `yaml:"-"` // where it was loaded from
}

// Devices are the gate's devices, each emulated or real.
type Devices struct {
	Indicators   []Indicator   `yaml:"indicators"`
	PlateCameras []PlateCamera `yaml:"plate_cameras"`
	Cameras      []Camera      `yaml:"cameras"`
	// StoreTmpfs, if set, puts the agent's store on a tmpfs of this size (needs root), so
	// that a fill_disk step fills it and nothing else.
	StoreTmpfs Size `yaml:"store_tmpfs"`
}

// Indicator is a lane's weighbridge indicator: emulated on a pty pair (Emulate), or the real one
// on Port.
type Indicator struct {
	Lane     string        `yaml:"lane"`
	Protocol string        `yaml:"protocol"`
	Port     string        `yaml:"port"`
	Emulate  *IndicatorEmu `yaml:"emulate"`
}

// IndicatorEmu tunes an emulated indicator's line: frame rate, noise and damage.
type IndicatorEmu struct {
	Rate         Duration `yaml:"rate"`          // frame interval, default 100ms
	GarbageEvery int      `yaml:"garbage_every"` // random bytes after every Nth frame
	CorruptEvery int      `yaml:"corrupt_every"` // a damaged frame every N
	Dropout      string   `yaml:"dropout"`       // N:M, M silent frames of every N
	Seed         int64    `yaml:"seed"`
}

// PlateCamera is a lane's plate camera: emulated (the bench pushes its reads to the agent) or
// real (URL; plate steps then wait for the real camera's read).
type PlateCamera struct {
	ID      string `yaml:"id"`
	Lane    string `yaml:"lane"`
	Vendor  string `yaml:"vendor"` // generic (CONTRACT 3) or hikvision (its ISAPI alert) when emulated
	URL     string `yaml:"url"`
	Emulate bool   `yaml:"emulate"`
}

// Camera is a lane's video camera: emulated (an MJPEG stream served by the bench, which a
// camera_blind step turns off) or real (URL).
type Camera struct {
	ID      string `yaml:"id"`
	Lane    string `yaml:"lane"`
	URL     string `yaml:"url"`
	Emulate bool   `yaml:"emulate"`
}

// Agent is what the agent is told, on top of the config the bench writes for the devices.
type Agent struct {
	// Lanes lays each lane's keys (by lane id) over the lane the bench writes: plate_window,
	// plate_only_timeout, scale thresholds, barrier.
	Lanes map[string]yaml.Node `yaml:"lanes"`
	// Config lays top-level keys over the config (store, rules, mqtt timeouts, ...).
	Config yaml.Node `yaml:"config"`
	// Registry is the vehicle registry the agent loads.
	Registry []Vehicle `yaml:"registry"`
}

// Vehicle is one registered vehicle (CONTRACT 5).
type Vehicle struct {
	Plate       string  `yaml:"plate" json:"plate"`
	Axles       int     `yaml:"axles" json:"axles"`
	MaxGrossKg  float64 `yaml:"max_gross_kg" json:"max_gross_kg,omitempty"`
	RatedLoadKg float64 `yaml:"rated_load_kg" json:"rated_load_kg,omitempty"`
}

// Step is one entry of the timeline; exactly one of its actions is set. Steps run in order;
// a truck step with async lets the next steps run while it drives.
type Step struct {
	Truck       *TruckStep `yaml:"truck"`
	Plate       *PlateStep `yaml:"plate"`
	Wait        *Duration  `yaml:"wait"`
	WaitFor     *WaitFor   `yaml:"wait_for"`
	BrokerDown  *Duration  `yaml:"broker_down"`
	Broker      *string    `yaml:"broker"` // down | up
	PowerCut    *PowerCut  `yaml:"power_cut"`
	Restart     *bool      `yaml:"restart"`
	FillDisk    *FillDisk  `yaml:"fill_disk"`
	FreeDisk    *bool      `yaml:"free_disk"`
	Unplug      *Unplug    `yaml:"unplug"`
	CameraBlind *Blind     `yaml:"camera_blind"`
	ClockStep   *ClockStep `yaml:"clock_step"`
	Note        string     `yaml:"note"`
}

// TruckStep drives a truck across a lane's deck.
type TruckStep struct {
	Lane    string  `yaml:"lane"`
	GrossKg float64 `yaml:"gross_kg"`
	// Shape is truck (drive on, settle, stand, drive off), backoff (drives on and backs off
	// before the weight is stable) or tail_to_tail (a second truck of SecondKg drives on as
	// the first drives off, so the deck never empties between them).
	Shape    string      `yaml:"shape"`
	SecondKg float64     `yaml:"second_kg"`
	Stand    Duration    `yaml:"stand"`    // how long it stands still, default 2.5s
	NoiseKg  float64     `yaml:"noise_kg"` // noise while it stands, default 0
	Profile  []Ramp      `yaml:"profile"`  // instead of Shape: the weight, ramp by ramp
	Async    bool        `yaml:"async"`    // the next steps run while it drives
	Second   *PlateLater `yaml:"second_plate"`
}

// PlateLater is the second truck's plate in a tail_to_tail step, pushed when it drives on.
type PlateLater struct {
	Text       string  `yaml:"text"`
	Confidence float64 `yaml:"confidence"`
}

// Ramp is one stretch of a weight profile: from the previous weight to To over For.
type Ramp struct {
	To      float64  `yaml:"to"`
	For     Duration `yaml:"for"`
	NoiseKg float64  `yaml:"noise_kg"`
}

// PlateStep is one plate read, pushed by an emulated plate camera.
type PlateStep struct {
	Camera     string  `yaml:"camera"` // default: the lane's first plate camera
	Lane       string  `yaml:"lane"`
	Text       string  `yaml:"text"`
	Color      string  `yaml:"color"`
	Confidence float64 `yaml:"confidence"`
	Image      *bool   `yaml:"image"` // attach a plate picture, default true
	// TakenAgo stamps the read with a time this long before it is pushed: a camera that
	// sends its read late (a queue, a slow link) says when it was taken.
	TakenAgo Duration `yaml:"taken_ago"`
	// PictureKB makes the read's picture a noisy JPEG of about this many KiB (default: a
	// small plate picture).
	PictureKB int `yaml:"picture_kb"`
}

// WaitFor waits until the platform has seen Passages distinct passages (or Within passes: not
// a failure by itself, the expectations judge).
type WaitFor struct {
	Passages  int      `yaml:"passages"`
	Decisions int      `yaml:"decisions"`
	Online    bool     `yaml:"online"` // the gateway's retained status is online
	Within    Duration `yaml:"within"`
}

// PowerCut kills the agent with SIGKILL and starts it again after RestartAfter.
type PowerCut struct {
	RestartAfter Duration `yaml:"restart_after"`
}

// FillDisk fills the store's tmpfs until only Leave bytes are free.
type FillDisk struct {
	Leave Size `yaml:"leave"`
}

// Unplug takes a lane's emulated indicator away (its serial device vanishes) for For.
type Unplug struct {
	Lane string   `yaml:"lane"`
	For  Duration `yaml:"for"`
}

// Blind turns an emulated camera's stream off for For (0: until the end).
type Blind struct {
	Camera string   `yaml:"camera"`
	For    Duration `yaml:"for"`
}

// ClockStep steps the clocks of the emulated plate cameras by By: their reads are stamped with
// the stepped time, as a camera whose clock jumped sends them. The machine's clock and the
// agent's are never stepped.
type ClockStep struct {
	By Duration `yaml:"by"`
}

// Expect is what the platform must see; each entry is one check (one JUnit test case).
type Expect struct {
	Passages      []PassageWant  `yaml:"passages"`
	PassagesTotal *Count         `yaml:"passages_total"`
	Decisions     []DecisionWant `yaml:"decisions"`
	Drops         *Count         `yaml:"drops"` // drops announcements (sitegate.drops/v1)
	// LostMax bounds the passages lost without an announcement: seq numbers missing below the
	// highest seen and not named by a drops message. Default 0.
	LostMax *int `yaml:"lost_max"`
	// DuplicatesMax bounds the repeated deliveries of the same passage id. Default: no bound.
	DuplicatesMax *int `yaml:"duplicates_max"`
	// LatencyMax bounds, for every passage, the time from its ended_at to its arrival at the
	// platform.
	LatencyMax Duration `yaml:"latency_max"`
	// Online: the gateway's retained status is online at the end.
	Online *bool `yaml:"online"`
}

// Count is a bound on a number of things.
type Count struct {
	Min *int `yaml:"min"`
	Max *int `yaml:"max"`
}

// PassageWant is one passage the platform must receive, found by its plate (or NoPlate).
type PassageWant struct {
	Plate       string            `yaml:"plate"`
	NoPlate     bool              `yaml:"no_plate"`
	GrossKg     *float64          `yaml:"gross_kg"`
	ToleranceKg float64           `yaml:"tolerance_kg"` // default 40
	NoWeight    bool              `yaml:"no_weight"`
	Alarms      *[]string         `yaml:"alarms"` // the exact set
	Checks      map[string]string `yaml:"checks"` // check → ok | alarm | unknown
	EvidenceMin *int              `yaml:"evidence_min"`
	EvidenceMax *int              `yaml:"evidence_max"`
	Late        *bool             `yaml:"late"`
	Vendor      string            `yaml:"vendor"`  // the plate read's camera vendor
	Amended     *bool             `yaml:"amended"` // an amendment (revision above 0) replaced it
	EndReason   string            `yaml:"end_reason"`
	Barrier     string            `yaml:"barrier"` // the passage's barrier action: open | hold
	Count       int               `yaml:"count"`   // how many passages of that plate, default 1
}

// DecisionWant is one barrier decision the platform must receive.
type DecisionWant struct {
	Plate  string `yaml:"plate"`
	Action string `yaml:"action"` // open | hold
	Reason string `yaml:"reason"` // one of its reasons contains this
}

// Load reads and checks a scenario file.
func Load(path string) (*Scenario, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	s, err := Parse(data)
	if err != nil {
		var ps Problems
		if ok := asProblems(err, &ps); ok {
			for i := range ps {
				ps[i].Path = filepath.Base(path) + ": " + ps[i].Path
			}
			return nil, ps
		}
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	s.File = path
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	}
	return s, nil
}

func asProblems(err error, ps *Problems) bool {
	p, ok := err.(Problems)
	if ok {
		*ps = p
	}
	return ok
}

// Parse decodes and checks a scenario strictly: unknown keys and bad values are problems with
// their paths.
func Parse(data []byte) (*Scenario, error) {
	var root yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&root); err != nil {
		return nil, Problems{{Msg: "not YAML: " + err.Error()}}
	}
	var s Scenario
	var ps Problems
	decodeNode(&root, reflect.ValueOf(&s).Elem(), "", &ps)
	if len(ps) == 0 {
		s.check(&ps)
	}
	if len(ps) > 0 {
		return nil, ps
	}
	return &s, nil
}

func (s *Scenario) defaults() {
	for i := range s.Devices.Indicators {
		d := &s.Devices.Indicators[i]
		if d.Lane == "" {
			d.Lane = "exit-1"
		}
		if d.Protocol == "" {
			d.Protocol = "yaohua-tf0"
		}
	}
	for i := range s.Devices.PlateCameras {
		d := &s.Devices.PlateCameras[i]
		if d.Lane == "" {
			d.Lane = "exit-1"
		}
		if d.Vendor == "" {
			d.Vendor = "generic"
		}
		if d.ID == "" {
			d.ID = fmt.Sprintf("plate-%d", i+1)
		}
	}
	for i := range s.Devices.Cameras {
		d := &s.Devices.Cameras[i]
		if d.Lane == "" {
			d.Lane = "exit-1"
		}
		if d.ID == "" {
			d.ID = fmt.Sprintf("camera-%d", i+1)
		}
	}
	if s.Settle == 0 {
		s.Settle = Duration(20e9)
	}
}

// lanes lists the lanes the devices name, in order of first mention.
func (s *Scenario) lanes() []string {
	var out []string
	seen := map[string]bool{}
	add := func(l string) {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	for _, d := range s.Devices.Indicators {
		add(d.Lane)
	}
	for _, d := range s.Devices.PlateCameras {
		add(d.Lane)
	}
	for _, d := range s.Devices.Cameras {
		add(d.Lane)
	}
	return out
}

func (s *Scenario) indicator(lane string) *Indicator {
	for i := range s.Devices.Indicators {
		if s.Devices.Indicators[i].Lane == lane {
			return &s.Devices.Indicators[i]
		}
	}
	return nil
}

func (s *Scenario) check(ps *Problems) {
	s.defaults()
	for _, r := range s.Requires {
		if r != "opencv" && r != "root" {
			ps.add("requires", "%q is not a requirement (opencv, root)", r)
		}
	}
	lanes := map[string]bool{}
	for i, d := range s.Devices.Indicators {
		p := fmt.Sprintf("devices.indicators[%d]", i)
		if lanes[d.Lane] {
			ps.add(p+".lane", "lane %q has two indicators", d.Lane)
		}
		lanes[d.Lane] = true
		if (d.Port == "") == (d.Emulate == nil) {
			ps.add(p, "give either port (a real indicator) or emulate")
		}
		if d.Emulate != nil {
			if _, err := indicatoremu.ForProtocol(d.Protocol, 0); err != nil {
				ps.add(p+".protocol", "%v", err)
			}
			if dr := d.Emulate.Dropout; dr != "" {
				var n, m int
				if _, err := fmt.Sscanf(dr, "%d:%d", &n, &m); err != nil || m >= n || m < 1 {
					ps.add(p+".emulate.dropout", "%q: want N:M with 0 < M < N", dr)
				}
			}
		}
	}
	plateIDs := map[string]bool{}
	for i, d := range s.Devices.PlateCameras {
		p := fmt.Sprintf("devices.plate_cameras[%d]", i)
		if plateIDs[d.ID] {
			ps.add(p+".id", "%q given twice", d.ID)
		}
		plateIDs[d.ID] = true
		if d.Emulate == (d.URL != "") {
			ps.add(p, "give either url (a real camera) or emulate: true")
		}
		if d.Emulate && d.Vendor != "generic" && d.Vendor != "hikvision" {
			ps.add(p+".vendor", "%q: the bench emulates the generic and the hikvision push", d.Vendor)
		}
	}
	camIDs := map[string]bool{}
	for i, d := range s.Devices.Cameras {
		p := fmt.Sprintf("devices.cameras[%d]", i)
		if camIDs[d.ID] {
			ps.add(p+".id", "%q given twice", d.ID)
		}
		camIDs[d.ID] = true
		if d.Emulate == (d.URL != "") {
			ps.add(p, "give either url (a real camera) or emulate: true")
		}
	}
	if len(s.Devices.Cameras) > 0 && !s.requires("opencv") {
		ps.add("requires", "a scenario with cameras requires opencv")
	}
	if s.Devices.StoreTmpfs > 0 && !s.requires("root") {
		ps.add("requires", "devices.store_tmpfs requires root")
	}
	known := map[string]bool{}
	for _, l := range s.lanes() {
		known[l] = true
	}
	for l := range s.Agent.Lanes {
		if !known[l] {
			ps.add("agent.lanes."+l, "no device is on lane %q", l)
		}
	}
	if k := s.Agent.Config.Kind; k != 0 && k != yaml.MappingNode {
		ps.add("agent.config", "want a mapping of config keys")
	}
	if len(s.Timeline) == 0 {
		ps.add("timeline", "empty: a scenario plays at least one step")
	}
	for i, st := range s.Timeline {
		s.checkStep(fmt.Sprintf("timeline[%d]", i), st, known, plateIDs, camIDs, ps)
	}
	for i, w := range s.Expect.Passages {
		p := fmt.Sprintf("expect.passages[%d]", i)
		if (w.Plate == "") == !w.NoPlate {
			ps.add(p, "give either plate or no_plate: true")
		}
		if w.NoWeight && w.GrossKg != nil {
			ps.add(p, "gross_kg and no_weight contradict each other")
		}
		for c, v := range w.Checks {
			if v != "ok" && v != "alarm" && v != "unknown" {
				ps.add(p+".checks."+c, "%q: want ok, alarm or unknown", v)
			}
		}
		if w.Barrier != "" && w.Barrier != "open" && w.Barrier != "hold" {
			ps.add(p+".barrier", "%q: want open or hold", w.Barrier)
		}
	}
	for i, w := range s.Expect.Decisions {
		if w.Action != "open" && w.Action != "hold" {
			ps.add(fmt.Sprintf("expect.decisions[%d].action", i), "%q: want open or hold", w.Action)
		}
	}
}

func (s *Scenario) requires(what string) bool {
	for _, r := range s.Requires {
		if r == what {
			return true
		}
	}
	return false
}

func (s *Scenario) checkStep(p string, st Step, lanes, plates, cams map[string]bool, ps *Problems) {
	n := 0
	v := reflect.ValueOf(st)
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.Pointer && !f.IsNil() {
			n++
		}
	}
	if n != 1 {
		ps.add(p, "want exactly one action (truck, plate, wait, wait_for, broker, broker_down, power_cut, restart, fill_disk, free_disk, unplug, camera_blind, clock_step), got %d", n)
		return
	}
	lane := func(path string, l *string) {
		if *l == "" {
			*l = "exit-1"
		}
		if !lanes[*l] {
			ps.add(path, "no device is on lane %q", *l)
		}
	}
	switch {
	case st.Truck != nil:
		t := st.Truck
		lane(p+".truck.lane", &t.Lane)
		if s.indicator(t.Lane) == nil {
			ps.add(p+".truck.lane", "lane %q has no indicator", t.Lane)
		}
		if t.Shape == "" {
			t.Shape = "truck"
		}
		switch {
		case len(t.Profile) > 0:
		case t.Shape == "truck" || t.Shape == "backoff":
		case t.Shape == "tail_to_tail":
			if t.SecondKg <= 0 {
				ps.add(p+".truck.second_kg", "a tail_to_tail step needs the second truck's weight")
			}
		default:
			ps.add(p+".truck.shape", "%q: want truck, backoff or tail_to_tail", t.Shape)
		}
		if len(t.Profile) == 0 && t.GrossKg <= 0 {
			ps.add(p+".truck.gross_kg", "want a weight above 0 (or a profile)")
		}
	case st.Plate != nil:
		pl := st.Plate
		lane(p+".plate.lane", &pl.Lane)
		if pl.Text == "" {
			ps.add(p+".plate.text", "empty")
		}
		if pl.Camera != "" && !plates[pl.Camera] {
			ps.add(p+".plate.camera", "no plate camera %q", pl.Camera)
		}
		if pl.Camera == "" {
			for _, c := range s.Devices.PlateCameras {
				if c.Lane == pl.Lane {
					pl.Camera = c.ID
					break
				}
			}
			if pl.Camera == "" {
				ps.add(p+".plate", "lane %q has no plate camera", pl.Lane)
			}
		}
	case st.Unplug != nil:
		lane(p+".unplug.lane", &st.Unplug.Lane)
		if d := s.indicator(st.Unplug.Lane); d == nil || d.Emulate == nil {
			ps.add(p+".unplug.lane", "lane %q has no emulated indicator", st.Unplug.Lane)
		}
		if st.Unplug.For <= 0 {
			ps.add(p+".unplug.for", "want a duration above 0")
		}
	case st.CameraBlind != nil:
		if !cams[st.CameraBlind.Camera] {
			ps.add(p+".camera_blind.camera", "no camera %q", st.CameraBlind.Camera)
		}
	case st.FillDisk != nil:
		if s.Devices.StoreTmpfs == 0 {
			ps.add(p+".fill_disk", "needs devices.store_tmpfs (the bench fills only a tmpfs of its own)")
		}
	case st.Broker != nil:
		if *st.Broker != "down" && *st.Broker != "up" {
			ps.add(p+".broker", "%q: want down or up", *st.Broker)
		}
	case st.BrokerDown != nil:
		if *st.BrokerDown <= 0 {
			ps.add(p+".broker_down", "want a duration above 0")
		}
	}
}
