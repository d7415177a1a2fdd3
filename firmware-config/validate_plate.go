package config

import (
	"net/url"
	"slices"
	"strings"
	"sync"

	"sitegate/drivers/plate"
)

var (
	checkMu    sync.RWMutex
	checkNames []string
)

// RegisterCheck records the name of a passage check, which barrier.hold_on may name; the
// checks register themselves (agent/checks). With none registered, hold_on is not checked
// by name.
func RegisterCheck(name string) {
	checkMu.Lock()
	defer checkMu.Unlock()
	if !slices.Contains(checkNames, name) {
		checkNames = append(checkNames, name)
	}
}

// holdable are what a truck can be held for besides the checks: what it lacks.
var holdable = []string{"no_plate", "no_weight"}

// validatePlateCameras checks a lane's plate cameras and its barrier.
func validatePlateCameras(l Lane, p string, ps *problems) {
	ids := map[string]bool{}
	for j, c := range l.Plate.Cameras {
		cp := indexPath(p+".plate.cameras", j)
		if !laneIDPattern.MatchString(c.ID) {
			ps.add(cp+".id", "%q must be 1-32 characters of a-z, 0-9 and -", c.ID)
		} else if ids[c.ID] {
			ps.add(cp+".id", "%q is used by another plate camera of this lane", c.ID)
		}
		ids[c.ID] = true
		switch c.Mode {
		case "push":
			if _, ok := plate.LookupPush(c.Vendor); !ok {
				ps.add(cp+".vendor", "%q has no push format in this build (%s)", c.Vendor, strings.Join(plate.PushVendors(), ", "))
			} else if l.Plate.Listen == "" {
				ps.add(p+".plate.listen", "must be set: plate camera %s pushes to it", c.ID)
			}
		case "pull":
			if _, ok := plate.LookupPull(c.Vendor); !ok {
				ps.add(cp+".vendor", "%q cannot be pulled from in this build (pull: %s)", c.Vendor, strings.Join(plate.PullVendors(), ", "))
			}
			if c.URL == "" {
				ps.add(cp+".url", "must be set for mode pull (the camera, e.g. http://192.168.1.64)")
			}
		default:
			ps.add(cp+".mode", "%q is not push or pull", c.Mode)
		}
		if c.URL != "" {
			if HasUserinfo(c.URL) {
				ps.add(cp+".url", "must not carry credentials: use username and password_file")
			} else if u, err := url.Parse(c.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				ps.add(cp+".url", "%q is not http://host or https://host", RedactURL(c.URL))
			}
		}
		if c.PasswordFile != "" && c.Username == "" {
			ps.add(cp+".username", "must be set with password_file")
		}
	}
	b, bp := l.Barrier, p+".barrier"
	switch b.Mode {
	case BarrierOff:
	case BarrierAdvise, BarrierEnforce:
		if l.Direction != "exit" {
			ps.add(bp+".mode", "%s: only an exit lane has a barrier decision", b.Mode)
		}
		if b.Mode == BarrierEnforce && b.Via == "" {
			ps.add(bp+".via", "must name the plate camera that opens the barrier (mode enforce)")
		}
	default:
		ps.add(bp+".mode", "%q is not off, advise or enforce", b.Mode)
	}
	if b.Via != "" && !ids[b.Via] {
		ps.add(bp+".via", "%q is not a plate camera of this lane", b.Via)
	}
	checkMu.RLock()
	known := append(slices.Clone(checkNames), holdable...)
	checkMu.RUnlock()
	for k, h := range b.HoldOn {
		if len(known) > len(holdable) && !slices.Contains(known, h) {
			ps.add(indexPath(bp+".hold_on", k), "%q is not a check (%s)", h, strings.Join(known, ", "))
		}
	}
}
