package wire

import (
	"time"

	"sitegate/drivers/camera"
	"sitegate/drivers/indicator"
	"sitegate/drivers/plate"
	"sitegate/drivers/serialport"
)

// Status is the retained status message (topic status).
type Status struct {
	Schema    string          `json:"schema"`
	State     string          `json:"state"` // online | offline
	Site      string          `json:"site"`
	Gateway   string          `json:"gateway"`
	Version   string          `json:"version"`
	Time      string          `json:"time"`
	StartedAt string          `json:"started_at,omitempty"`
	Lanes     []LaneStatus    `json:"lanes,omitempty"`
	Cameras   []camera.Status `json:"cameras,omitempty"`
	Plates    []PlateStatus   `json:"plate_listeners,omitempty"`
	// PlateCameras are the plate cameras whose event stream the agent holds (mode pull).
	PlateCameras []plate.PullStatus `json:"plate_cameras,omitempty"`
	Uplink       *UplinkStatus      `json:"uplink,omitempty"`
	Outbox       *OutboxStats       `json:"outbox,omitempty"`
	// OutboxOldestAgeS is how long the oldest waiting message has waited, in seconds.
	OutboxOldestAgeS float64          `json:"outbox_oldest_age_s"`
	Registry         *RegistryStatus  `json:"registry,omitempty"`
	Manifests        *ManifestsStatus `json:"manifests,omitempty"`
	// Clock says whether the gateway's clock is synchronised: until it is, its times (and
	// the passages stamped with them) are not to be trusted.
	Clock *ClockStatus `json:"clock,omitempty"`
	// Archive is the evidence archive on the gateway's disk (CONTRACT 11).
	Archive *ArchiveStats `json:"archive,omitempty"`
	// PublicKey is the gateway's ed25519 public key (base64) that signs its passages.
	PublicKey string `json:"public_key,omitempty"`
	// Alarms are the equipment alarms open now (topic alarm).
	Alarms []Alarm `json:"alarms,omitempty"`
	// Reviews counts the verdict reviews taken (CONTRACT 9) and the judged frames kept for them.
	Reviews *ReviewStatus `json:"reviews,omitempty"`
}

// ArchiveStats is the evidence archive's part of the status message.
type ArchiveStats struct {
	Passages int   `json:"passages"`
	Bytes    int64 `json:"bytes"`
	MaxBytes int64 `json:"max_bytes"`
	// OldestUnixMs is when the oldest archived passage was archived (Unix ms); 0 when empty.
	OldestUnixMs int64 `json:"oldest_unix_ms"`
	// Archived counts passages archived since the agent started; Skipped those it had no
	// room for, Errors those a write failed for.
	Archived uint64 `json:"archived"`
	Skipped  uint64 `json:"skipped"`
	Errors   uint64 `json:"errors"`
	// Pruned counts passages removed, by reason: keep (older than archive.keep), max_bytes,
	// and disk (to leave the outbox its room).
	Pruned ArchivePruned `json:"pruned"`
}

// ArchivePruned counts archived passages removed, by reason.
type ArchivePruned struct {
	Keep     uint64 `json:"keep"`
	MaxBytes uint64 `json:"max_bytes"`
	Disk     uint64 `json:"disk"`
}

// ReviewStatus counts reviews: received, labelled a kept frame, refused (did not parse, or
// could not be recorded), or for a passage whose frames are not kept (unknown).
type ReviewStatus struct {
	Received    uint64 `json:"received"`
	Labelled    uint64 `json:"labelled"`
	Refused     uint64 `json:"refused"`
	Unknown     uint64 `json:"unknown"`
	FramesKept  int    `json:"frames_kept"`
	FramesBytes int64  `json:"frames_bytes"`
	// Fits counts the automatic learning runs (mud.learn: auto), Adopted those whose fit beat
	// the model in force.
	Fits    uint64 `json:"fits"`
	Adopted uint64 `json:"adopted"`
}

// ClockStatus is the system clock's part of the status message.
type ClockStatus struct {
	Synced bool `json:"synced"`
	// Source is how it was judged: "adjtimex" (the kernel's NTP state) or "heuristic" (by
	// the year, where the kernel cannot be asked).
	Source string `json:"source"`
	// MaxErrorMs is the kernel's bound on the clock's error, in milliseconds; 0 when unknown.
	MaxErrorMs float64 `json:"max_error_ms"`
}

// States of the status message.
const (
	Online  = "online"
	Offline = "offline"
)

// LaneStatus is a lane's part of the status message.
type LaneStatus struct {
	ID            string                `json:"id"`
	Deck          string                `json:"deck"`
	LastKg        float64               `json:"last_kg"`
	LastReadingAt string                `json:"last_reading_at,omitempty"`
	Scale         serialport.LinkStatus `json:"scale"`
	Decoder       indicator.Stats       `json:"decoder"`
	Passages      uint64                `json:"passages"`
	PlatesDropped uint64                `json:"plates_dropped"`
	StoreErrors   uint64                `json:"store_errors"`
	LastError     string                `json:"last_error,omitempty"`
	LastPassageAt string                `json:"last_passage_at,omitempty"`
	// PlatesLate and PlatesDuplicate count offline resends taken, and resends of reads
	// already taken (dropped).
	PlatesLate      uint64 `json:"plates_late,omitempty"`
	PlatesDuplicate uint64 `json:"plates_duplicate,omitempty"`
	// PlatePicturesDropped counts plate reads taken without their pictures for lack of room.
	PlatePicturesDropped uint64 `json:"plate_pictures_dropped,omitempty"`
	// Amendments counts passages amended by a plate read after the truck left.
	Amendments uint64 `json:"amendments,omitempty"`
	// PassagesWithoutPlate counts the weighed passages in a row that had no plate read: a
	// plate camera gone silent.
	PassagesWithoutPlate uint64         `json:"passages_without_plate,omitempty"`
	Barrier              *BarrierStatus `json:"barrier,omitempty"`
	// Wash is the lane's wash bay, where one is watched.
	Wash *WashBayStatus `json:"wash,omitempty"`
}

// WashBayStatus is a lane's watched wash bay.
type WashBayStatus struct {
	Source    string  `json:"source"`
	State     string  `json:"state"` // occupied | empty | down
	LastError string  `json:"last_error,omitempty"`
	Stays     int     `json:"stays"`                 // remembered (the last two hours)
	LastStayS float64 `json:"last_stay_s,omitempty"` // the last finished stay's duration
}

// BarrierStatus is a lane's exit barrier: its mode, its decisions, and whether the camera that
// drives it could be reached the last time it was asked.
type BarrierStatus struct {
	Mode      string `json:"mode"`
	Via       string `json:"via,omitempty"`
	Decisions uint64 `json:"decisions"`
	Opened    uint64 `json:"opened"`
	Held      uint64 `json:"held"`
	Released  uint64 `json:"released"`
	// CameraError is why the barrier camera could not open the barrier last time; "" when it
	// could (or was never asked).
	CameraError string `json:"camera_error,omitempty"`
}

// PlateStatus describes one plate-push listener.
type PlateStatus struct {
	Listen string      `json:"listen"`
	Error  string      `json:"error,omitempty"`
	Stats  plate.Stats `json:"stats"`
}

// RegistryStatus describes the loaded registry.
type RegistryStatus struct {
	Loaded   bool   `json:"loaded"`
	Version  int64  `json:"version"`
	Vehicles int    `json:"vehicles"`
	Error    string `json:"error,omitempty"`
}

// ManifestsStatus describes the manifests held (CONTRACT 10).
type ManifestsStatus struct {
	Check     string `json:"check"` // manifests.check: auto | on | off
	Loaded    bool   `json:"loaded"`
	Version   int64  `json:"version"`
	Manifests int    `json:"manifests"`
	Used      int    `json:"used"` // manifests an exit used, remembered for a second exit
	Error     string `json:"error,omitempty"`
}

// UplinkStatus is the broker connection's part of the status message.
type UplinkStatus struct {
	Connected  bool   `json:"connected"`
	Reconnects uint64 `json:"reconnects"` // connections made after the first one
	Published  uint64 `json:"published"`  // outbox entries PUBACKed and deleted
	InFlight   int    `json:"in_flight"`
	LastError  string `json:"last_error"`
	TLS        bool   `json:"tls"`
}

// OutboxStats is the store's part of the status message.
type OutboxStats struct {
	Depth     int    `json:"depth"`      // messages waiting
	Bytes     int64  `json:"bytes"`      // payload and topic bytes waiting
	OldestSeq uint64 `json:"oldest_seq"` // 0 when empty
	// OldestUnixMs is when the oldest waiting message was appended (Unix ms); 0 when empty.
	OldestUnixMs int64     `json:"oldest_unix_ms"`
	Batches      uint64    `json:"batches"` // batches appended since the store was created
	Drops        DropStats `json:"drops"`
}

// OldestAge is how long the oldest waiting message has waited at now; 0 when empty or unknown.
func (s OutboxStats) OldestAge(now time.Time) time.Duration {
	if s.Depth == 0 || s.OldestUnixMs == 0 {
		return 0
	}
	return max(now.Sub(time.UnixMilli(s.OldestUnixMs)), 0)
}

// DropStats counts messages dropped by a bound since the store was created.
type DropStats struct {
	Evidence      uint64 `json:"evidence"`
	Passages      uint64 `json:"passages"`
	Announcements uint64 `json:"announcements"`
	Bytes         int64  `json:"bytes"`
	Events        uint64 `json:"events"` // drop passes, each announced by one message
}

// Total is the number of messages dropped.
func (d DropStats) Total() uint64 { return d.Evidence + d.Passages + d.Announcements }
