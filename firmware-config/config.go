package config

import (
	"fmt"
	"strings"
	"time"
)

// Config is a whole gateway configuration.
type Config struct {
	Site     string   `yaml:"site"`
	Gateway  string   `yaml:"gateway"`
	MQTT     MQTT     `yaml:"mqtt"`
	Store    Store    `yaml:"store"`
	Registry Registry `yaml:"registry"`
	// Manifests are the site's electronic transfer manifests (manifests.go).
	Manifests Manifests `yaml:"manifests"`
	Log       Log       `yaml:"log"`
	Status    Status    `yaml:"status"`
	Process   Process   `yaml:"process"`
	Lanes     []Lane    `yaml:"lanes"`
	Rules     Rules     `yaml:"rules"`
	Control   Control   `yaml:"control"`
	Console   Console   `yaml:"console"`
	Archive   Archive   `yaml:"archive"`
	Evidence  Evidence  `yaml:"evidence"`
	Alarms    Alarms    `yaml:"alarms"` // equipment alarms (mud_learn.go)

	// SiteTimezone is the IANA zone of the site (Asia/Shanghai): permit hours are judged, and
	// passage times written, in it, whatever zone the gateway's system is set to.
	SiteTimezone string `yaml:"site_timezone"`

	// Dir is the folder of the config file; relative paths in the file were resolved against it.
	Dir string `yaml:"-"`
}

// Location is the site's time zone (site_timezone); time.Local when it cannot be loaded
// (Validate refuses such a config).
func (c *Config) Location() *time.Location {
	if loc, err := time.LoadLocation(c.SiteTimezone); err == nil && c.SiteTimezone != "" {
		return loc
	}
	return time.Local
}

// MQTT is the uplink to the platform's broker.
type MQTT struct {
	URL          string   `yaml:"url"`
	Username     string   `yaml:"username"`
	PasswordFile string   `yaml:"password_file"`
	TLS          TLS      `yaml:"tls"`
	KeepAlive    Duration `yaml:"keep_alive"`
	// AllowInsecure permits a plain tcp:// url to a host that is not a loopback address.
	AllowInsecure bool `yaml:"allow_insecure"`
}

// TLS names the PEM files for ssl:// connections.
type TLS struct {
	CAFile   string `yaml:"ca_file"`
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Store is where the outbox lives.
type Store struct {
	Dir      string `yaml:"dir"`
	MaxBytes Size   `yaml:"max_bytes"`
	// MaxAge drops (and announces) what waited longer than this; 0 keeps everything.
	MaxAge Duration `yaml:"max_age"`
	// ReserveBytes is the free space evidence files must leave on the store's file system.
	ReserveBytes Size   `yaml:"reserve_bytes"`
	Frames       Frames `yaml:"frames"` // the judged frames kept for reviews (mud_learn.go)
}

// Registry is the local vehicle registry.
type Registry struct {
	File string `yaml:"file"`
}

// Log sets the agent's logging.
type Log struct {
	Level  string `yaml:"level"`
	Format string `yaml:"format"`
}

// Status sets the retained status message.
type Status struct {
	Interval Duration `yaml:"interval"`
}

// Process tunes the agent's process. It is read at start only, from the local file.
type Process struct {
	// MemoryLimit is the Go runtime's soft memory limit (as GOMEMLIMIT, which wins when set):
	// near it the garbage collector runs more often rather than let the heap grow. 0: none.
	MemoryLimit Size `yaml:"memory_limit"`
}

// Lane is one weighbridge lane: its indicator, plate camera and cameras.
type Lane struct {
	ID               string   `yaml:"id"`
	Direction        string   `yaml:"direction"`
	PlateWindow      Duration `yaml:"plate_window"`
	PlateOnlyTimeout Duration `yaml:"plate_only_timeout"`
	Scale            Scale    `yaml:"scale"`
	Plate            Plate    `yaml:"plate"`
	Cameras          []Camera `yaml:"cameras"`
	Barrier          Barrier  `yaml:"barrier"`
	Wash             Wash     `yaml:"wash"`
}

// Barrier is how the lane drives its exit barrier (CONTRACT 8).
type Barrier struct {
	// Mode is off (no decision), advise (the decision is published) or enforce (published, and
	// the barrier is opened through the camera only for a truck that may leave).
	Mode string `yaml:"mode"`
	// Via is the plate camera (plate.cameras[].id) whose output drives the barrier.
	Via string `yaml:"via"`
	// HoldOn are the checks whose alarm holds a truck at the exit.
	HoldOn []string `yaml:"hold_on"`
}

// Barrier modes.
const (
	BarrierOff     = "off"
	BarrierAdvise  = "advise"
	BarrierEnforce = "enforce"
)

// Scale is the lane's weighbridge indicator and the deck's thresholds.
type Scale struct {
	Port           string   `yaml:"port"`
	Baud           int      `yaml:"baud"`
	Framing        string   `yaml:"framing"`
	Protocol       string   `yaml:"protocol"`
	OnDeckKg       float64  `yaml:"on_deck_kg"`
	OffDeckKg      float64  `yaml:"off_deck_kg"`
	OffDeckHold    Duration `yaml:"off_deck_hold"`
	StableWindow   Duration `yaml:"stable_window"`
	StableBandKg   float64  `yaml:"stable_band_kg"`
	SilenceTimeout Duration `yaml:"silence_timeout"`
	// Unit is what the indicator displays, kg or t, for protocols whose frames carry no unit
	// (yaohua-tf0, yaohua-eq, yaohua-eq-fwd, yaohua-cmd): 031200 with dp 3 is 31.2 of it.
	Unit string `yaml:"unit"`

	// Indicator names a device profile (indicators.yaml) that supplies protocol, baud, framing
	// and the rest for a known indicator model; keys set in the file still win.
	Indicator string `yaml:"indicator"`
	// Backend is the serial library: bugst (go.bug.st/serial) or tarm (github.com/tarm/serial).
	Backend string `yaml:"backend"`
	// Address, PollInterval and ReplyTimeout drive polled protocols.
	Address      string   `yaml:"address"`
	PollInterval Duration `yaml:"poll_interval"`
	ReplyTimeout Duration `yaml:"reply_timeout"`
	// ProtocolProfiles are the protocols' own blocks (the ascii protocol's `ascii:`), keys
	// of the scale like the others.
	ProtocolProfiles ProtocolProfiles `yaml:",inline"`
}

// Plate is the lane's plate-camera push listener.
type Plate struct {
	Listen  string `yaml:"listen"`
	MaxBody Size   `yaml:"max_body"`
	// Cameras are the lane's plate cameras, each speaking its vendor's protocol (CONTRACT 7).
	Cameras []PlateCamera `yaml:"cameras"`
}

// PlateCamera is one plate camera of a lane.
type PlateCamera struct {
	ID     string `yaml:"id"`
	Vendor string `yaml:"vendor"` // generic | hikvision | dahua | vzenith (drivers/plate/all)
	// Mode is push (the camera posts to plate.listen) or pull (the agent holds its event stream).
	Mode string `yaml:"mode"`
	// URL is the camera itself, for pull streams, snapshots and barrier commands.
	URL          string `yaml:"url"`
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
}

// Camera is one video source of a lane.
type Camera struct {
	ID  string `yaml:"id"`
	URL string `yaml:"url"`
	// Username and PasswordFile are the stream's credentials (an RTSP or HTTP camera's login),
	// added to the URL when the camera is opened: never in the URL itself.
	Username     string `yaml:"username"`
	PasswordFile string `yaml:"password_file"`
	ROIs         []ROI  `yaml:"rois"`
	Mud          Mud    `yaml:"mud"`
	Cover        Cover  `yaml:"cover"`        // cover.go
	Capture      string `yaml:"capture"`      // config_capture.go
	SnapshotURL  string `yaml:"snapshot_url"` // config_capture.go
	Clip         Clip   `yaml:"clip"`         // config_capture.go
	// Wash is the camera's view of the wash bay (wash.go); a camera without rois there has none.
	Wash CameraWash `yaml:"wash"`
}

// ROI is a named region of interest, a polygon in relative coordinates (0..1).
type ROI struct {
	Name    string      `yaml:"name"`
	Polygon [][]float64 `yaml:"polygon"`
}

// Mud configures the mud check of a camera.
type Mud struct {
	Scorer    string  `yaml:"scorer"`
	Threshold float64 `yaml:"threshold"`
	Model     string  `yaml:"model"`
	// Rate is how many frames per second are analysed while a truck is in the lane.
	Rate float64 `yaml:"rate"`
	// Calibration is a calibration file (models/mud Calibration) over the scorer; "" for none.
	Calibration string `yaml:"calibration"`
	// Learn (off | auto), LearnEvery and EmptyLane (off | learn): see MudLearning.
	Learn      string `yaml:"learn"`
	LearnEvery int    `yaml:"learn_every"`
	EmptyLane  string `yaml:"empty_lane"`
}

// Control is the remote control plane (CONTRACT section 6): trust, apply and the local health
// port. It comes only from the local file, never from config/desired.
type Control struct {
	// TrustedKeys are base64 ed25519 public keys; when any is set, desired configs, registries
	// and commands must be signed by one of them.
	TrustedKeys []string `yaml:"trusted_keys"`
	// ApplyTimeout is how long a changed lane has to come up before the config is rolled back.
	ApplyTimeout Duration `yaml:"apply_timeout"`
	// MetricsListen is the local address of /metrics and /healthz; empty: off.
	MetricsListen string `yaml:"metrics_listen"`
	// AllowUnsigned lets desired configs in unsigned while TrustedKeys is empty. Without it
	// (the default) a gateway with no trusted keys takes no remote config at all: anyone who
	// may publish its desired topic could otherwise open its listeners or move its lanes.
	AllowUnsigned bool `yaml:"allow_unsigned"`
	// RemoteListen are the hosts a desired config may put a listener (lanes[].plate.listen)
	// on, besides loopback. Empty: the hosts the local file's lanes listen on.
	RemoteListen []string `yaml:"remote_listen"`
}

// Rules are the judgement rules shared by every lane.
type Rules struct {
	Overload Overload `yaml:"overload"`
	Wash     WashRule `yaml:"wash"`
}

// Overload is the overload rule.
type Overload struct {
	ToleranceKg float64 `yaml:"tolerance_kg"`
}

// Duration is a Go duration written as "5s" or "2m".
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

func (d Duration) String() string { return time.Duration(d).String() }

// MarshalYAML writes the duration back in Go syntax.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// Size is a byte count written as 1048576, "512KiB", "64MiB" or "1GiB".
type Size int64

// MarshalYAML writes the size back in the largest exact binary unit.
func (s Size) MarshalYAML() (any, error) { return s.String(), nil }

func (s Size) String() string {
	for _, u := range sizeUnits {
		if s != 0 && int64(s)%u.n == 0 {
			return fmt.Sprintf("%d%s", int64(s)/u.n, u.suffix)
		}
	}
	return fmt.Sprintf("%d", int64(s))
}

var sizeUnits = []struct {
	suffix string
	n      int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}}

// ParseSize reads "1GiB", "64MiB", "512KiB", "100B" or a plain byte count.
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			mult, t = u.n, strings.TrimSpace(strings.TrimSuffix(t, u.suffix))
			break
		}
	}
	if mult == 1 {
		t = strings.TrimSuffix(t, "B")
	}
	var n int64
	if t == "" {
		return 0, fmt.Errorf("%q is not a size (use e.g. 64MiB)", s)
	}
	for _, c := range t {
		if c < '0' || c > '9' {
			return 0, fmt.Errorf("%q is not a size (use e.g. 64MiB)", s)
		}
		if n > (1<<62)/10 {
			return 0, fmt.Errorf("%q is too large", s)
		}
		n = n*10 + int64(c-'0')
	}
	if n > (1<<62)/mult {
		return 0, fmt.Errorf("%q is too large", s)
	}
	return Size(n * mult), nil
}
