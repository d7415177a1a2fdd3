package config

import (
	"strings"
	"time"
)

// A video camera's capture (lanes[].cameras[].capture) is continuous (every frame decoded),
// on_demand (an RTSP stream held as coded pictures and decoded only while a truck is in the
// lane; other sources are read continuously) or snapshot (snapshot_url fetched while a truck is
// in the lane); its clip is the video kept around each passage's capture.

// Clip is the video kept around a passage's capture, from the stream's own pictures.
type Clip struct {
	Before   Duration `yaml:"before"`
	After    Duration `yaml:"after"`
	MaxBytes Size     `yaml:"max_bytes"`
	// Upload is alarms (sent with an alarmed passage), all, or on_request (never sent by itself).
	Upload string `yaml:"upload"`
}

// Capture modes and clip upload policies.
var (
	CaptureModes = []string{"continuous", "on_demand", "snapshot"}
	ClipUploads  = []string{"alarms", "all", "on_request"}
)

// validateCapture checks one camera's capture and clip; cp is the camera's path.
func validateCapture(c Camera, cp string, ps *problems) {
	if !contains(CaptureModes, c.Capture) {
		ps.add(cp+".capture", "%q is not %s", c.Capture, strings.Join(CaptureModes, ", "))
	}
	if c.Capture == "snapshot" {
		if !strings.HasPrefix(c.SnapshotURL, "http://") && !strings.HasPrefix(c.SnapshotURL, "https://") {
			ps.add(cp+".snapshot_url", "must be an http:// or https:// URL for capture: snapshot")
		}
	}
	if HasUserinfo(c.SnapshotURL) {
		ps.add(cp+".snapshot_url", "%q must not carry credentials: put the user in username and the password in password_file", RedactURL(c.SnapshotURL))
	}
	if d := c.Clip.Before.D(); d < 0 || d > time.Minute {
		ps.add(cp+".clip.before", "%s is outside 0s..1m", d)
	}
	if d := c.Clip.After.D(); d < 0 || d > time.Minute {
		ps.add(cp+".clip.after", "%s is outside 0s..1m", d)
	}
	if c.Clip.MaxBytes < 0 || c.Clip.MaxBytes > 256<<20 {
		ps.add(cp+".clip.max_bytes", "%s is outside 0..256MiB", c.Clip.MaxBytes)
	}
	if !contains(ClipUploads, c.Clip.Upload) {
		ps.add(cp+".clip.upload", "%q is not %s", c.Clip.Upload, strings.Join(ClipUploads, ", "))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
