// Package vzenith reads the HTTP push of Vzenith (臻识) gate cameras and of the cameras that copy
// its format (Qianyi 千熠, Alphadigi, YM): an AlarmInfoPlate JSON per read, and heartbeats or
// comet polls to the same path. It registers with sitegate/drivers/plate as the vendor
// "vzenith", both the push format (POST /v1/plate/vzenith/{lane}) and a camera control whose
// Barrier opens through the replies to the camera.
//
// A reply to a Vzenith camera is a command: "info":"ok" opens the barrier. This package writes
// it only when the lane asked Barrier.Open for that camera; every other reply says "no".
//
// Heartbeats carry the camera's web login in clear (user_name, pass_wd); they are read for the
// camera's serial number only and never logged, kept or echoed.
//
// It must not import sitegate/models or sitegate/agent.
package vzenith

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"sitegate/drivers/plate"
)

// Vendor is the vendor name: the path segment and the config value.
const Vendor = "vzenith"

// Defaults of Options.
const (
	DefaultOpenTimeout = 5 * time.Second
	DefaultDedupe      = 20000
)

// Options tunes a Decoder.
type Options struct {
	// OpenTimeout bounds Barrier.Open when the camera does not poll or push in time; default
	// DefaultOpenTimeout. A shorter context deadline wins.
	OpenTimeout time.Duration
	// Dedupe is how many records per camera are remembered to answer a resent one without a
	// second read; default DefaultDedupe.
	Dedupe int
	// NoRetransferStop leaves "content":"retransfer_stop" out of replies to taken records.
	// Some Alphadigi clones resend a record without end unless the reply says it.
	NoRetransferStop bool
}

// Default is the decoder registered under Vendor, whose Control builds the registered camera
// control: the two share the per-camera mailboxes.
var Default = New(Options{})

func init() {
	plate.RegisterPush(Vendor, Default)
	plate.RegisterControl(Vendor, Default.Control)
}

// Decoder reads the AlarmInfoPlate push and the heartbeats, and answers them in the camera's
// form. It is a plate.PushDecoder.
type Decoder struct {
	opts Options

	mu    sync.Mutex
	boxes []*mailbox         // one per camera with a control
	seen  map[string]*recent // records taken, per camera (serial number or address)

	// states passes what Decode learned to Reply (see stateKey); live counts its entries.
	states sync.Map
	live   atomic.Int64
}

// New returns a decoder with opts; the registered one is Default.
func New(opts Options) *Decoder {
	if opts.OpenTimeout <= 0 {
		opts.OpenTimeout = DefaultOpenTimeout
	}
	if opts.Dedupe <= 0 {
		opts.Dedupe = DefaultDedupe
	}
	return &Decoder{opts: opts, seen: map[string]*recent{}}
}

// state is what Reply needs to know of the request Decode read.
type state struct {
	box     *mailbox // the camera's, when it has a control
	camera  string   // the dedupe scope: serial number, else remote address
	rec     record   // the record, when the push had one
	hasRec  bool
	numID   bool  // rec.id came as a number and is echoed as plateid
	offline bool  // isoffline: answer ContinuePushOffline
	taken   bool  // a record that is settled without a read (no plate, duplicate, not a plate)
	id      int64 // plateid as a number
}

// maxStates bounds the states awaiting their Reply. Decode and Reply run one after the other
// on a request's goroutine, so there are about as many as requests in flight; the bound only
// matters if a server stopped calling Reply.
const maxStates = 4096

// Decode keeps what ReplyPush needs of the request (the camera's mailbox, the plateid to echo),
// keyed by the request itself; the server calls ReplyPush once for every Decode.
func (d *Decoder) keep(key any, st *state) {
	if d.live.Add(1) > maxStates {
		d.states.Clear()
		d.live.Store(1)
	}
	d.states.Store(key, st)
}

func (d *Decoder) load(key any) *state {
	v, ok := d.states.LoadAndDelete(key)
	if !ok {
		return nil
	}
	d.live.Add(-1)
	return v.(*state)
}

// result returns reads, keeping st for the reply to p.
func (d *Decoder) result(p plate.Push, reads []plate.Read, st *state) []plate.Read {
	d.keep(p.Request, st)
	return reads
}

// reject returns a rejection, keeping st for the reply to p.
func (d *Decoder) reject(p plate.Push, st *state, status int, reason, format string, args ...any) error {
	d.keep(p.Request, st)
	return plate.Reject(status, reason, format, args...)
}

// Decode reads a push: an AlarmInfoPlate gives one read (none for a "no plate" record or a
// resend of a record already taken); a heartbeat, comet poll or another message gives none.
func (d *Decoder) Decode(p plate.Push) ([]plate.Read, error) {
	raw, err := plate.ReadBody(p.Request)
	if err != nil {
		return nil, err
	}
	host := remoteHost(p.Request.RemoteAddr)
	if t := bytes.TrimLeft(raw, " \t\r\n"); len(t) > 0 && t[0] == '{' {
		return d.decodeJSON(p, host, raw)
	}
	serial, err := heartbeat(p.Request.Header.Get("Content-Type"), raw)
	if err != nil {
		return nil, err
	}
	st := &state{box: d.mailbox(p.Lane, host, serial), camera: scope(serial, host)}
	return d.result(p, nil, st), nil
}

// message is the JSON a camera posts. Only AlarmInfoPlate gives reads; the others are known
// so that they are answered, not refused.
type message struct {
	AlarmInfoPlate *alarm          `json:"AlarmInfoPlate"`
	AlarmGioIn     json.RawMessage `json:"AlarmGioIn"`
	SerialData     json.RawMessage `json:"SerialData"`
	TriggerImage   json.RawMessage `json:"TriggerImage"`
}

type alarm struct {
	Serialno string `json:"serialno"`
	Result   struct {
		PlateResult *plateResult `json:"PlateResult"`
	} `json:"result"`
}

type plateResult struct {
	License           string    `json:"license"`
	ColorType         flexInt   `json:"colorType"`
	Type              flexInt   `json:"type"`
	Confidence        flexFloat `json:"confidence"`
	PlateID           flexID    `json:"plateid"`
	IsOffline         flexInt   `json:"isoffline"`
	ImageFile         string    `json:"imageFile"`
	ImageFragmentFile string    `json:"imageFragmentFile"`
	TimeStamp         struct {
		Timeval struct {
			Sec  flexInt `json:"sec"`
			Usec flexInt `json:"usec"`
		} `json:"Timeval"`
	} `json:"timeStamp"`
}

func (d *Decoder) decodeJSON(p plate.Push, host string, raw []byte) ([]plate.Read, error) {
	if !utf8.Valid(raw) { // the TCP SDK's GB2312 leaking into an HTTP push
		if u, err := simplifiedchinese.GB18030.NewDecoder().Bytes(raw); err == nil {
			raw = u
		}
	}
	var m message
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, plate.Reject(http.StatusBadRequest, plate.ReasonJSON, "malformed JSON: %v", err)
	}
	if m.AlarmInfoPlate == nil {
		if m.AlarmGioIn != nil || m.SerialData != nil || m.TriggerImage != nil {
			return d.result(p, nil, &state{box: d.mailbox(p.Lane, host, ""), camera: host}), nil
		}
		return nil, plate.Reject(http.StatusBadRequest, plate.ReasonMalformed, "neither AlarmInfoPlate nor a known message")
	}
	a := m.AlarmInfoPlate
	pr := a.Result.PlateResult
	if pr == nil {
		return nil, plate.Reject(http.StatusBadRequest, plate.ReasonMalformed, "AlarmInfoPlate without result.PlateResult")
	}
	st := &state{box: d.mailbox(p.Lane, host, a.Serialno), camera: scope(a.Serialno, host), offline: pr.IsOffline.v == 1}
	if pr.PlateID.set {
		st.hasRec = true
		st.numID, st.id = pr.PlateID.num, pr.PlateID.n
		st.rec = record{id: pr.PlateID.s, sec: pr.TimeStamp.Timeval.Sec.v, usec: pr.TimeStamp.Timeval.Usec.v}
		if d.taken(st.camera, st.rec) {
			st.taken = true
			return d.result(p, nil, st), nil
		}
	}
	rd, err := read(pr, p.Received)
	switch {
	case errors.Is(err, plate.ErrNoPlate):
		st.taken = true
		return d.result(p, nil, st), nil
	case err != nil:
		// Refused, but settled: answered 200 so that the camera goes on to its next record
		// instead of resending one that will never be a plate.
		st.taken = true
		return nil, d.reject(p, st, http.StatusOK, plate.ReasonPlate, "%v", err)
	}
	return d.result(p, []plate.Read{rd}, st), nil
}

// read turns a PlateResult into a read.
func read(pr *plateResult, received time.Time) (plate.Read, error) {
	text, word, err := plate.VendorPlate(pr.License)
	if err != nil && !errors.Is(err, plate.ErrNoPlate) {
		// MQTT-style firmwares send the license as base64 of UTF-8.
		if b, berr := base64.StdEncoding.DecodeString(strings.TrimSpace(pr.License)); berr == nil && utf8.Valid(b) {
			if t, w, e := plate.VendorPlate(string(b)); e == nil {
				text, word, err = t, w, nil
			}
		}
	}
	if err != nil {
		return plate.Read{}, err
	}
	rd := plate.Read{Plate: text, Color: colorOf(pr.ColorType.v), Time: received}
	if rd.Color == "" {
		rd.Color = word
	}
	switch {
	case pr.Type.v == 4:
		rd.Type = "double"
	case pr.Type.v == 19 || pr.Type.v == 20 || pr.Type.v == 24 || rd.Color == "green" || rd.Color == "yellow-green":
		rd.Type = "new-energy"
	}
	if c := pr.Confidence.v; c > 0 && c <= 100 {
		rd.Confidence = c / 100
	}
	if sec, usec := pr.TimeStamp.Timeval.Sec.v, pr.TimeStamp.Timeval.Usec.v; sec > 0 {
		if usec < 0 || usec >= 1e6 {
			usec = 0
		}
		rd.Time = time.Unix(sec, usec*1000).In(received.Location())
	}
	if pr.PlateID.set {
		rd.Key = pr.PlateID.s
	}
	rd.Late = pr.IsOffline.v == 1
	// A broken picture loses the evidence, not the read that may open the barrier.
	rd.SceneJPEG = jpegOf(pr.ImageFile)
	rd.ImageJPEG = jpegOf(pr.ImageFragmentFile)
	return rd, nil
}

// colorOf maps colorType to section 3's colour names.
func colorOf(c int64) string {
	switch c {
	case 1:
		return "blue"
	case 2:
		return "yellow"
	case 3:
		return "white"
	case 4:
		return "black"
	case 5:
		return "green"
	case 6:
		return "yellow-green"
	}
	return ""
}

// jpegOf decodes a base64 picture; nil when it is empty or not a whole JPEG.
func jpegOf(s string) []byte {
	if s == "" {
		return nil
	}
	if i := strings.Index(s, ";base64,"); i >= 0 && i < 64 {
		s = s[i+len(";base64,"):]
	}
	s = strings.TrimSpace(s)
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		s = strings.NewReplacer("\r", "", "\n", "", " ", "").Replace(s)
		if b, err = base64.StdEncoding.DecodeString(s); err != nil {
			if b, err = base64.RawStdEncoding.DecodeString(strings.TrimRight(s, "=")); err != nil {
				return nil
			}
		}
	}
	if !isJPEG(b) {
		return nil
	}
	return b
}

// isJPEG reports whether b starts with the SOI and SOF-or-table marker of a JPEG and ends with
// its EOI (trailing zero padding allowed).
func isJPEG(b []byte) bool {
	b = bytes.TrimRight(b, "\x00")
	return len(b) >= 4 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF && b[len(b)-2] == 0xFF && b[len(b)-1] == 0xD9
}

// heartbeatFields are the heartbeat fields read. The others, user_name and pass_wd among
// them, are skipped unread where the format allows and dropped where it does not.
const maxField = 256

// heartbeat reads a heartbeat or comet poll (multipart/form-data or urlencoded) and returns the
// camera's serial number, "" when not given. Its errors never quote the body.
func heartbeat(ctype string, raw []byte) (string, error) {
	mt, params, _ := mime.ParseMediaType(ctype)
	if mt == "multipart/form-data" && params["boundary"] != "" {
		mr := multipart.NewReader(bytes.NewReader(raw), params["boundary"])
		serial := ""
		for {
			part, err := mr.NextPart()
			if err == io.EOF {
				return serial, nil
			}
			if err != nil {
				return "", plate.Reject(http.StatusBadRequest, plate.ReasonMalformed, "malformed heartbeat form")
			}
			if part.FormName() == "serialno" {
				b, _ := io.ReadAll(io.LimitReader(part, maxField))
				serial = strings.TrimSpace(string(b))
			}
			part.Close()
		}
	}
	if mt != "" && mt != "application/x-www-form-urlencoded" && mt != "text/plain" {
		return "", plate.Reject(http.StatusUnsupportedMediaType, plate.ReasonContentType, "content type %q is neither JSON nor a heartbeat form", mt)
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		return "", plate.Reject(http.StatusBadRequest, plate.ReasonBody, "empty body")
	}
	vals, err := url.ParseQuery(string(raw))
	if err != nil || (vals.Get("serialno") == "" && vals.Get("device_name") == "" && vals.Get("ipaddr") == "") {
		return "", plate.Reject(http.StatusBadRequest, plate.ReasonMalformed, "neither JSON nor a heartbeat form")
	}
	s := strings.TrimSpace(vals.Get("serialno"))
	if len(s) > maxField {
		s = s[:maxField]
	}
	return s, nil
}

// Reply answers in the camera's form, {"Response_AlarmInfoPlate":{...}}: "info":"ok" only when
// a Barrier.Open for this camera is waiting, else "no"; the plateid of a record, and
// ContinuePushOffline for an offline record once it is taken. A refusal is "info":"no" with
// the error, at the rejection's status.
func (d *Decoder) Reply(w http.ResponseWriter, reads []plate.Read, rej *plate.Rejection) {
	d.ReplyPush(w, plate.Push{}, reads, rej)
}

// ReplyPush answers the camera with what Decode kept of its request.
func (d *Decoder) ReplyPush(w http.ResponseWriter, p plate.Push, reads []plate.Read, rej *plate.Rejection) {
	var st *state
	if p.Request != nil {
		st = d.load(p.Request)
	}
	var b replyBody
	if st != nil && st.hasRec && st.numID {
		b.PlateID = &st.id
	}
	if rej != nil && !(st != nil && st.taken && rej.Status == http.StatusOK) {
		// Not taken (malformed, busy, ...): no continue, so the camera sends it again.
		b.Info, b.Error = "no", rej.Msg
		writeReply(w, rej.Status, b)
		return
	}
	if st == nil {
		b.Info = "no"
		writeReply(w, http.StatusOK, b)
		return
	}
	if st.hasRec {
		if st.offline && st.numID {
			b.Continue = &continuePush{PlateID: st.id, Continue: 1}
		}
		if !d.opts.NoRetransferStop {
			b.Content = "retransfer_stop"
		}
		if len(reads) > 0 || st.taken {
			d.remember(st.camera, st.rec)
		}
	}
	b.Info = "no"
	var waiters []chan error
	if rej == nil && st.box != nil {
		waiters = st.box.takeWaiters()
	}
	if len(waiters) > 0 {
		b.Info = "ok"
	}
	err := writeReply(w, http.StatusOK, b)
	for _, c := range waiters {
		c <- err
	}
}

type replyBody struct {
	Info     string        `json:"info"`
	PlateID  *int64        `json:"plateid,omitempty"`
	Content  string        `json:"content,omitempty"`
	Continue *continuePush `json:"ContinuePushOffline,omitempty"`
	Error    string        `json:"error,omitempty"`
}

type continuePush struct {
	PlateID  int64 `json:"plateid"`
	Continue int   `json:"continue"`
}

func writeReply(w http.ResponseWriter, status int, b replyBody) error {
	out, err := json.Marshal(struct {
		R replyBody `json:"Response_AlarmInfoPlate"`
	}{b})
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("writing the reply: %w", err)
	}
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	return nil
}

// remoteHost is the IP of a request's remote address.
func remoteHost(remote string) string {
	if h, _, err := net.SplitHostPort(remote); err == nil {
		return h
	}
	return remote
}

// scope is the dedupe scope of a camera: its serial number, else its address.
func scope(serial, host string) string {
	if serial != "" {
		return "sn:" + serial
	}
	return "ip:" + host
}

// flexInt is an integer that clones send as a number or a quoted string; anything else is 0.
type flexInt struct{ v int64 }

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if v, err := strconv.ParseInt(s, 10, 64); err == nil {
		f.v = v
	} else if x, err := strconv.ParseFloat(s, 64); err == nil && x >= -1e15 && x <= 1e15 {
		f.v = int64(x)
	}
	return nil
}

type flexFloat struct{ v float64 }

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	if x, err := strconv.ParseFloat(strings.Trim(string(b), `"`), 64); err == nil {
		f.v = x
	}
	return nil
}

// flexID is a plateid: its text, and its value when it is an integer (echoed in replies).
type flexID struct {
	s   string
	n   int64
	num bool
	set bool
}

func (f *flexID) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	s := strings.Trim(string(b), `"`)
	if s == "" || len(s) > 64 {
		return nil
	}
	f.s, f.set = s, true
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		f.n, f.num = n, true
	}
	return nil
}
