package checks

import (
	"fmt"
	"sort"
	"sync"
	"time"

	"sitegate/agent/wire"
	"sitegate/drivers/plate"
	config "sitegate/firmware-config"
	"sitegate/models"
	"sitegate/models/manifest"
	"sitegate/models/registry"
	"sitegate/models/wash"
)

// Check judges one aspect of a finished visit.
type Check interface {
	// Name is the check's key in a passage's checks and its name in alarms.
	Name() string
	// Judge writes the check's result into out and returns its verdict. It must not block: a
	// check that needs slow work (a camera's analysis) does it beforehand, beside the lane.
	Judge(f *Facts, out *wire.Checks) models.Verdict
}

// Presence is implemented by checks that work while a truck is in the lane (camera checks):
// the lane tells them when one arrives and when the lane is empty again.
type Presence interface {
	SetActive(on bool)
}

// Evidence is one file of a passage: an image it publishes before itself, or a video clip.
type Evidence struct {
	Name   string // file name on the evidence topic, e.g. "wheels.jpg"
	Camera string // the camera id, or "plate" for the plate camera's own image
	JPEG   []byte // the file's bytes (a clip's MP4 or MJPEG, for Kind clip)
	At     time.Time
	// Kind is wire.EvidenceClip for a video clip, "" for an image. Images are always
	// published; a clip is published by its camera's Upload policy and always archived.
	Kind string
	// Upload is a clip's policy (cameras[].clip.upload): UploadAlarms (the default, for ""),
	// UploadAll or UploadOnRequest. Images ignore it.
	Upload string
}

// Clip upload policies (cameras[].clip.upload).
const (
	UploadAlarms    = "alarms"
	UploadAll       = "all"
	UploadOnRequest = "on_request"
)

// Published reports whether a passage with these alarms publishes e with itself; what it
// does not publish stays in the archive, for cmd/evidence.
func (e Evidence) Published(alarms []string) bool {
	if e.Kind != wire.EvidenceClip {
		return true
	}
	switch e.Upload {
	case UploadAll:
		return true
	case UploadOnRequest:
		return false
	}
	return len(alarms) > 0
}

// EvidenceClip is the Kind of a passage's video clip.
const EvidenceClip = "clip"

// Facts is what the lane knows of a finished visit: the input of every check.
type Facts struct {
	// PassageID is the id the passage will be stored under; "" for provisional facts and
	// replays. Camera checks file their judged frames under it (agent/mudwatch).
	PassageID          string
	StartedAt, EndedAt time.Time
	Location           *time.Location // for local times (permit hours)
	Plate              *plate.Read    // nil: no plate was read
	Weighed            bool           // a weighing took place (a deck visit), stable or not
	Stable             bool           // GrossKg is a stable weight
	GrossKg, PeakKg    float64

	// The registry's answer for the plate, looked up once for every check.
	Lookup     registry.Result
	Vehicle    registry.Vehicle
	Registered bool

	// Provisional facts are those of a truck still on the deck (the barrier's decision):
	// checks judge what they have without taking it, and those still waiting for a judgement
	// name themselves in Waiting.
	Provisional bool
	Waiting     []string

	evidence []Evidence
}

// PlateText is the plate read, or "" when none was.
func (f *Facts) PlateText() string {
	if f.Plate == nil {
		return ""
	}
	return f.Plate.Plate
}

// Loc is the location of local times: Location, or time.Local.
func (f *Facts) Loc() *time.Location {
	if f.Location == nil {
		return time.Local
	}
	return f.Location
}

// AddEvidence adds images a check took to the passage's evidence.
func (f *Facts) AddEvidence(e ...Evidence) { f.evidence = append(f.evidence, e...) }

// Evidence is what the checks added.
func (f *Facts) Evidence() []Evidence { return f.evidence }

// Camera is one of a lane's cameras as the checks see it: the watchers that judge its frames,
// by check name.
type Camera struct {
	ID     string
	Vision map[string]VisionWatcher
}

// Deps are what check factories may use.
type Deps struct {
	// Rules are the rules in force now; called at every passage, so a rules change applies
	// without restarting the lane. Nil means the defaults of the zero Rules.
	Rules func() config.Rules
	// Cameras are the lane's cameras.
	Cameras []Camera

	// Lane and Direction are the lane's id and direction (exit or entry).
	Lane, Direction string
	// Manifests are the site's manifests held now (nil: none held); ManifestCheck is the
	// manifests.check mode in force (auto, on, off); ManifestLedger records which manifests
	// exits used, gateway-wide. Nil funcs mean no manifests and mode auto.
	Manifests      func() *manifest.Set
	ManifestCheck  func() string
	ManifestLedger ManifestLedger

	// Wash is the lane's watched wash bay (nil: the lane has none, the wash check is not
	// judged); a truck's wash may have ended up to WashWindow before it reached the deck.
	Wash       WashBay
	WashWindow time.Duration
}

// WashBay is a lane's watched wash bay (agent/washbay).
type WashBay interface {
	// Source is what sees the bay: modbus or camera.
	Source() string
	// Find returns the last stay that ended in [from, to] that no other visit took, and
	// whether the bay's input was down in that time; with claim, visit takes it.
	Find(from, to time.Time, visit string, claim bool) (stay wash.Interval, found, down bool)
}

// ManifestLedger records the exits made on each manifest (one manifest covers one trip),
// durably and for every lane of the gateway.
type ManifestLedger interface {
	// Used reports the exit that used manifest id, if one did.
	Used(id string) (manifest.Use, bool)
	// Record notes that visit used manifest id, its exit ending at.
	Record(id, visit string, at time.Time) error
}

// RulesNow returns the rules in force.
func (d Deps) RulesNow() config.Rules {
	if d.Rules == nil {
		return config.Rules{}
	}
	return d.Rules()
}

// Watchers returns the cameras' watchers of one check, in camera order.
func (d Deps) Watchers(check string) []VisionWatcher {
	var out []VisionWatcher
	for _, c := range d.Cameras {
		if w := c.Vision[check]; w != nil {
			out = append(out, w)
		}
	}
	return out
}

// Factory builds one lane's instance of a check.
type Factory func(Deps) Check

type entry struct {
	name string
	rank int
	f    Factory
}

var (
	mu      sync.RWMutex
	entries []entry
)

// Register adds a check; rank orders the checks in a passage's alarms (lower first). It panics
// on a duplicate name, which is a programming error.
func Register(name string, rank int, f Factory) {
	mu.Lock()
	defer mu.Unlock()
	for _, e := range entries {
		if e.name == name {
			panic(fmt.Sprintf("checks: %q registered twice", name))
		}
	}
	entries = append(entries, entry{name, rank, f})
	config.RegisterCheck(name)
	sort.SliceStable(entries, func(i, j int) bool { return entries[i].rank < entries[j].rank })
}

// Names lists the registered checks in their order.
func Names() []string {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.name
	}
	return out
}

// Build makes one lane's checks, every registered one, in order.
func Build(d Deps) []Check {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]Check, 0, len(entries))
	for _, e := range entries {
		out = append(out, e.f(d))
	}
	return out
}

// Run judges f with every check and returns the names of those in alarm, in order.
func Run(cs []Check, f *Facts, out *wire.Checks) []string {
	alarms := []string{}
	for _, c := range cs {
		if c.Judge(f, out) == models.Alarm {
			alarms = append(alarms, c.Name())
		}
	}
	return alarms
}
