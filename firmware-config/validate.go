package config

import (
	"encoding/base64"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"sitegate/drivers/indicator"
	"sitegate/drivers/serialport"
	"sitegate/models/vision"
)

var (
	idPattern     = regexp.MustCompile(`^[a-z0-9-]{1,64}$`)
	laneIDPattern = regexp.MustCompile(`^[a-z0-9-]{1,32}$`)
	framingRe     = regexp.MustCompile(`^[5-8][NOEMS](1|1\.5|2)$`)
	// StandardBauds are the rates indicators and serial adapters use.
	StandardBauds = []int{1200, 2400, 4800, 9600, 19200, 38400, 57600, 115200}
)

func validate(c *Config, ps *problems) {
	if unsupportedArch != "" {
		ps.add("", "%s", unsupportedArch)
	}
	if !idPattern.MatchString(c.Site) {
		ps.add("site", "%q must be 1-64 characters of a-z, 0-9 and -", c.Site)
	}
	if !idPattern.MatchString(c.Gateway) {
		ps.add("gateway", "%q must be 1-64 characters of a-z, 0-9 and -", c.Gateway)
	}
	if c.SiteTimezone == "" {
		ps.add("site_timezone", "must be set (an IANA zone, e.g. Asia/Shanghai)")
	} else if _, err := time.LoadLocation(c.SiteTimezone); err != nil || c.SiteTimezone == "Local" {
		ps.add("site_timezone", "%q is not an IANA time zone (e.g. Asia/Shanghai)", c.SiteTimezone)
	}
	validateMQTT(c.MQTT, ps)
	if c.Store.Dir == "" {
		ps.add("store.dir", "must be set")
	}
	if c.Store.MaxBytes < 16<<20 {
		ps.add("store.max_bytes", "%s is too small (at least 16MiB)", c.Store.MaxBytes)
	}
	if c.Store.MaxAge != 0 && c.Store.MaxAge.D() < 60e9 {
		ps.add("store.max_age", "%s is too short (0 for no limit, or at least 1m)", c.Store.MaxAge)
	}
	if c.Store.ReserveBytes < 1<<20 {
		ps.add("store.reserve_bytes", "%s is too small (at least 1MiB)", c.Store.ReserveBytes)
	}
	if !slices.Contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		ps.add("log.level", "%q is not one of debug, info, warn, error", c.Log.Level)
	}
	if !slices.Contains([]string{"text", "json"}, c.Log.Format) {
		ps.add("log.format", "%q is not one of text, json", c.Log.Format)
	}
	if c.Status.Interval.D() < 1e9 {
		ps.add("status.interval", "%s is too short (at least 1s)", c.Status.Interval)
	}
	if m := c.Process.MemoryLimit; m != 0 && m < 16<<20 {
		ps.add("process.memory_limit", "%s is too small (0 for none, or at least 16MiB)", m)
	}
	if len(c.Lanes) == 0 {
		ps.add("lanes", "at least one lane is needed")
	}
	laneIDs := map[string]bool{}
	for i, l := range c.Lanes {
		p := indexPath("lanes", i)
		if !laneIDPattern.MatchString(l.ID) {
			ps.add(p+".id", "%q must be 1-32 characters of a-z, 0-9 and -", l.ID)
		} else if laneIDs[l.ID] {
			ps.add(p+".id", "%q is used by another lane", l.ID)
		}
		laneIDs[l.ID] = true
		validateLane(l, p, ps)
		validateWash(l.Wash, p+".wash", ps)
		validateWashCamera(l, p, ps)
	}
	if c.Rules.Overload.ToleranceKg < 0 {
		ps.add("rules.overload.tolerance_kg", "%g must not be negative", c.Rules.Overload.ToleranceKg)
	}
	validateWashRule(c.Rules.Wash, ps)
	validateControl(c.Control, ps)
	validateConsole(c.Console, ps)
	validateEvidence(c, ps)
	validateShared(c, ps)
	validateManifests(c.Manifests, ps)
	validateFramesAlarms(c, ps)
}

func validateMQTT(m MQTT, ps *problems) {
	shown := RedactURL(m.URL) // no message repeats a password
	if HasUserinfo(m.URL) {
		// The client takes its credentials from username and password_file only; those in the
		// url would be ignored, and printed wherever the url is.
		ps.add("mqtt.url", "%q must not carry credentials: put the user in mqtt.username and the password in mqtt.password_file", shown)
	}
	u, err := url.Parse(m.URL)
	switch {
	case HasUserinfo(m.URL):
		u = nil // said above; the url's other checks would repeat it
	case err != nil || u.Host == "":
		ps.add("mqtt.url", "%q is not a broker address (tcp://host:port or ssl://host:port)", shown)
	case u.Scheme != "tcp" && u.Scheme != "ssl":
		ps.add("mqtt.url", "scheme %q is not tcp or ssl", u.Scheme)
	case u.Port() == "":
		ps.add("mqtt.url", "%q has no port", shown)
	case u.Path != "" && u.Path != "/":
		ps.add("mqtt.url", "%q must not have a path", shown)
	}
	if u != nil && u.Scheme == "tcp" && u.Host != "" && !m.AllowInsecure && !isLoopback(u.Hostname()) {
		ps.add("mqtt.url", "%q is plain tcp:// to a host that is not this machine; use ssl:// or set mqtt.allow_insecure: true", shown)
	}
	if u != nil && u.Scheme == "tcp" && (m.TLS.CAFile != "" || m.TLS.CertFile != "") {
		ps.add("mqtt.tls", "TLS files are set but the url is tcp:// (use ssl://)")
	}
	if (m.TLS.CertFile == "") != (m.TLS.KeyFile == "") {
		ps.add("mqtt.tls", "cert_file and key_file go together")
	}
	if m.KeepAlive.D() < 5e9 {
		ps.add("mqtt.keep_alive", "%s is too short (at least 5s)", m.KeepAlive)
	}
}

func validateLane(l Lane, p string, ps *problems) {
	if l.Direction != "exit" && l.Direction != "entry" {
		ps.add(p+".direction", "%q is not exit or entry", l.Direction)
	}
	if l.PlateWindow < 0 {
		ps.add(p+".plate_window", "%s must not be negative", l.PlateWindow)
	}
	if l.PlateOnlyTimeout.D() < 1e9 {
		ps.add(p+".plate_only_timeout", "%s is too short (at least 1s)", l.PlateOnlyTimeout)
	}
	s, sp := l.Scale, p+".scale"
	switch {
	case s.Port == "":
		ps.add(sp+".port", "must be set (a device path such as /dev/ttyUSB0)")
	case strings.HasPrefix(s.Port, serialport.USBPrefix):
		if _, err := serialport.ParseUSB(s.Port); err != nil {
			ps.add(sp+".port", "%v", err)
		}
	case !strings.HasPrefix(s.Port, "/"):
		ps.add(sp+".port", "%q is not a device path", s.Port)
	}
	if !slices.Contains(StandardBauds, s.Baud) {
		ps.add(sp+".baud", "%d is not a standard rate (%s)", s.Baud, joinInts(StandardBauds))
	}
	if !framingRe.MatchString(s.Framing) {
		ps.add(sp+".framing", "%q is not data bits, parity and stop bits such as 8N1 or 7E1", s.Framing)
	}
	if _, ok := indicator.Lookup(s.Protocol); !ok {
		ps.add(sp+".protocol", "%q is not a known protocol (%s)", s.Protocol, strings.Join(indicator.Names(), ", "))
	}
	validateIndicator(s, sp, ps)
	if s.OnDeckKg <= 0 {
		ps.add(sp+".on_deck_kg", "%g must be above 0", s.OnDeckKg)
	}
	if s.OffDeckKg < 0 || s.OffDeckKg >= s.OnDeckKg {
		ps.add(sp+".off_deck_kg", "%g must be at least 0 and below on_deck_kg (%g)", s.OffDeckKg, s.OnDeckKg)
	}
	if s.OffDeckHold.D() <= 0 {
		ps.add(sp+".off_deck_hold", "%s must be above 0", s.OffDeckHold)
	}
	if s.StableWindow.D() <= 0 {
		ps.add(sp+".stable_window", "%s must be above 0", s.StableWindow)
	}
	if s.StableBandKg <= 0 {
		ps.add(sp+".stable_band_kg", "%g must be above 0", s.StableBandKg)
	}
	if s.SilenceTimeout.D() < s.OffDeckHold.D() {
		ps.add(sp+".silence_timeout", "%s must be at least off_deck_hold (%s)", s.SilenceTimeout, s.OffDeckHold)
	}
	if l.Plate.Listen != "" {
		if _, port, err := net.SplitHostPort(l.Plate.Listen); err != nil {
			ps.add(p+".plate.listen", "%q is not host:port", l.Plate.Listen)
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			ps.add(p+".plate.listen", "%q has a bad port", l.Plate.Listen)
		}
	}
	if l.Plate.MaxBody < 1024 {
		ps.add(p+".plate.max_body", "%s is too small (at least 1KiB)", l.Plate.MaxBody)
	}
	validatePlateCameras(l, p, ps)
	camIDs := map[string]bool{}
	for j, c := range l.Cameras {
		cp := indexPath(p+".cameras", j)
		if !laneIDPattern.MatchString(c.ID) {
			ps.add(cp+".id", "%q must be 1-32 characters of a-z, 0-9 and -", c.ID)
		} else if camIDs[c.ID] || c.ID == "plate" {
			ps.add(cp+".id", "%q is used by another camera of this lane (or reserved)", c.ID)
		}
		camIDs[c.ID] = true
		if c.URL == "" {
			ps.add(cp+".url", "must be set (a file, rtsp://, http:// or /dev/videoN)")
		} else if i := strings.Index(c.URL, "://"); i >= 0 {
			if scheme := c.URL[:i]; !slices.Contains([]string{"rtsp", "http", "https", "file"}, scheme) {
				ps.add(cp+".url", "scheme %q is not rtsp, http or file", scheme)
			}
		}
		if HasUserinfo(c.URL) {
			ps.add(cp+".url", "%q must not carry credentials: put the user in username and the password in password_file", RedactURL(c.URL))
		}
		if c.PasswordFile != "" && c.Username == "" {
			ps.add(cp+".username", "must be set with password_file")
		}
		validateROIs(c.ROIs, cp+".rois", ps)
		validateCapture(c, cp, ps)
		if info, ok := vision.About("mud", c.Mud.Scorer); !ok {
			ps.add(cp+".mud.scorer", "%q is not %s", c.Mud.Scorer, strings.Join(vision.Scorers("mud"), " or "))
		} else if info.NeedsModel && c.Mud.Model == "" {
			ps.add(cp+".mud.model", "must be set for scorer %s", c.Mud.Scorer)
		}
		if c.Mud.Threshold < 0 || c.Mud.Threshold > 1 {
			ps.add(cp+".mud.threshold", "%g is outside 0..1", c.Mud.Threshold)
		}
		if c.Mud.Rate < 0.2 || c.Mud.Rate > 30 {
			ps.add(cp+".mud.rate", "%g is outside 0.2..30 frames per second", c.Mud.Rate)
		}
		validateMudLearning(c.Mud, cp+".mud", ps)
		validateCover(c.Cover, cp+".cover", ps)
	}
}

func validateROIs(rois []ROI, p string, ps *problems) {
	names := map[string]bool{}
	for k, r := range rois {
		rp := indexPath(p, k)
		if !laneIDPattern.MatchString(r.Name) {
			ps.add(rp+".name", "%q must be 1-32 characters of a-z, 0-9 and -", r.Name)
		} else if names[r.Name] {
			ps.add(rp+".name", "%q is used by another region", r.Name)
		}
		names[r.Name] = true
		if len(r.Polygon) < 3 {
			ps.add(rp+".polygon", "needs at least 3 points, got %d", len(r.Polygon))
		}
		for q, pt := range r.Polygon {
			pp := fmt.Sprintf("%s.polygon[%d]", rp, q)
			if len(pt) != 2 {
				ps.add(pp, "a point is [x, y], got %d numbers", len(pt))
				continue
			}
			if pt[0] < 0 || pt[0] > 1 || pt[1] < 0 || pt[1] > 1 {
				ps.add(pp, "[%g, %g] is outside 0..1 (coordinates are relative to the frame)", pt[0], pt[1])
			}
		}
	}
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = strconv.Itoa(x)
	}
	return strings.Join(s, " ")
}

// isLoopback reports whether host (a name or an address) is this machine.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func validateControl(c Control, ps *problems) {
	for i, k := range c.TrustedKeys {
		if b, err := base64.StdEncoding.DecodeString(k); err != nil || len(b) != 32 {
			ps.add(indexPath("control.trusted_keys", i), "is not a base64 ed25519 public key (32 bytes; see sitegate ctl keygen)")
		}
	}
	if c.ApplyTimeout.D() < 1e9 {
		ps.add("control.apply_timeout", "%s is too short (at least 1s)", c.ApplyTimeout)
	}
	if c.MetricsListen != "" {
		if _, _, err := net.SplitHostPort(c.MetricsListen); err != nil {
			ps.add("control.metrics_listen", "%q is not host:port", c.MetricsListen)
		}
	}
	if c.AllowUnsigned && len(c.TrustedKeys) > 0 {
		ps.add("control.allow_unsigned", "true has no effect while trusted_keys are set (signatures are required); remove one of them")
	}
	for i, h := range c.RemoteListen {
		if _, _, err := net.SplitHostPort(h); err == nil || strings.ContainsAny(h, "/[] ") {
			ps.add(indexPath("control.remote_listen", i), "%q is not a host (an address such as 192.168.1.10, without a port)", h)
		} else if h == "" {
			ps.add(indexPath("control.remote_listen", i), "is empty (for every interface write 0.0.0.0)")
		}
	}
}
