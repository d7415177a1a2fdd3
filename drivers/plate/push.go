package plate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Generic is the vendor name of the contract's own JSON push (CONTRACT section 3), which the
// server routes POST /v1/plate to.
const Generic = "generic"

// Push is one HTTP push from a plate camera, as a PushDecoder is given it.
type Push struct {
	// Request is the camera's request. Its body is limited to Options.MaxBody: read it with
	// ReadBody, which turns an oversized body into the 413 rejection.
	Request *http.Request
	// Lane is the lane the path names (/v1/plate/{vendor}/{lane}); the server has checked that it
	// serves it. It is "" at POST /v1/plate, where the body names the lane.
	Lane string
	// Received is when the push arrived, by the server's clock: the time of a read that carries
	// none, and the reference for a camera's own clock.
	Received time.Time
	// Serves reports whether this listener serves a lane, for formats that name it in the body.
	Serves func(lane string) bool
}

// PushDecoder reads one vendor's push format. One value serves every request of every server,
// concurrently, so it keeps no per-request state.
type PushDecoder interface {
	// Decode turns a push into reads: usually one, none for a heartbeat or an event without a
	// plate. A refused push is a *Rejection, which says the HTTP status and the reason counted
	// in Stats; any other error is answered 400 and counted as ReasonMalformed. A read whose
	// Lane is empty takes the path's lane; Vendor is set by the server.
	Decode(p Push) ([]Read, error)
	// Reply writes the vendor's answer: to an accepted push (with the reads handed to the lanes)
	// when rej is nil, else to the rejection. The server has set the Allow header of a 405.
	Reply(w http.ResponseWriter, reads []Read, rej *Rejection)
}

// PushReplier is a PushDecoder whose answer depends on the request it decoded (the camera it
// came from, an id to echo): the server calls ReplyPush, with the Push that Decode was given,
// instead of Reply. Decode may keep per-request state keyed by p.Request for it; ReplyPush is
// called exactly once for every Decode.
type PushReplier interface {
	ReplyPush(w http.ResponseWriter, p Push, reads []Read, rej *Rejection)
}

// Rejection is a push refused: the HTTP status to answer, the reason it is counted under in
// Stats.Rejected (one of the Reason constants), and the message for the camera and the log.
type Rejection struct {
	Status int
	Reason string
	Msg    string
}

func (r *Rejection) Error() string { return r.Msg }

// MaxRejectionMsg bounds a rejection's message: it quotes what the camera sent (a plate, a lane,
// a time), which a broken or hostile sender can make megabytes long, and the message is both the
// answer and a log line.
const MaxRejectionMsg = 300

// Reject returns a Rejection whose message is formatted from format and args, cut to
// MaxRejectionMsg.
func Reject(status int, reason, format string, args ...any) *Rejection {
	return &Rejection{Status: status, Reason: reason, Msg: Cut(fmt.Sprintf(format, args...), MaxRejectionMsg)}
}

// rejection is err as a Rejection: itself when it is one, else a 400 malformed push.
func rejection(err error) *Rejection {
	if rej := (*Rejection)(nil); errors.As(err, &rej) {
		rej.Msg = Cut(rej.Msg, MaxRejectionMsg)
		return rej
	}
	return &Rejection{Status: http.StatusBadRequest, Reason: ReasonMalformed, Msg: Cut(err.Error(), MaxRejectionMsg)}
}

// Cut shortens s to at most n bytes (on a character boundary), saying how much was cut.
func Cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	end := n
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return fmt.Sprintf("%s... (%d more bytes)", s[:end], len(s)-end)
}

// ReadBody reads a push's whole body. A body over the server's limit is a 413 ReasonTooLarge
// rejection, a failed read a 400 ReasonBody one.
func ReadBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return nil, Reject(http.StatusRequestEntityTooLarge, ReasonTooLarge, "body over %d bytes", mbe.Limit)
		}
		return nil, Reject(http.StatusBadRequest, ReasonBody, "reading body: %v", err)
	}
	return body, nil
}

// WriteJSON answers with status and v as JSON (Content-Type application/json).
func WriteJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	json.NewEncoder(&buf).Encode(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

var (
	pushMu  sync.RWMutex
	pushers = map[string]PushDecoder{}
)

// RegisterPush adds a push format under its vendor name, which is also its path segment
// (/v1/plate/{vendor}/{lane}); vendors call it from init. It panics on a duplicate or malformed
// name, which is a programming error.
func RegisterPush(vendor string, d PushDecoder) {
	checkName(vendor)
	pushMu.Lock()
	defer pushMu.Unlock()
	if _, dup := pushers[vendor]; dup {
		panic("plate: push format registered twice: " + vendor)
	}
	pushers[vendor] = d
}

// LookupPush returns the push format of a vendor.
func LookupPush(vendor string) (PushDecoder, bool) {
	pushMu.RLock()
	defer pushMu.RUnlock()
	d, ok := pushers[vendor]
	return d, ok
}

// PushVendors lists the vendors with a push format, sorted.
func PushVendors() []string {
	pushMu.RLock()
	defer pushMu.RUnlock()
	return slices.Sorted(maps.Keys(pushers))
}

// checkName panics unless vendor can be a path segment and a config value: 1-32 characters of
// a-z, 0-9 and -.
func checkName(vendor string) {
	ok := vendor != "" && len(vendor) <= 32
	for _, c := range vendor {
		ok = ok && (c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-')
	}
	if !ok {
		panic(fmt.Sprintf("plate: vendor name %q is not 1-32 characters of a-z, 0-9 and -", vendor))
	}
}

// list joins names for a message; "none" when there are none.
func list(names []string) string {
	if len(names) == 0 {
		return "none"
	}
	return strings.Join(names, ", ")
}
