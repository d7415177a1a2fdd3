package platecam

import (
	"bytes"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// DahuaBoundary is the snapManager stream's multipart boundary.
const DahuaBoundary = "myboundary"

// DahuaEvent is one TrafficJunction event, as a Dahua ITC camera streams it.
type DahuaEvent struct {
	Plate string
	// Color is a section 3 colour name, sent as the camera's PlateColor word (Blue, Yellow,
	// Green, YellowGreen, White, Black); PlateColor, when set, is sent as it is instead.
	Color, PlateColor string
	PlateType         string    // default Normal (Yellow is seen for yellow plates)
	Confidence        int       // Object.Confidence 0-100; 0 means 98
	Time              time.Time // UTC (seconds) and UTCMS; zero means now
	Lane              int       // default 1
	// ParkType is CommInfo.ParkType: 0 none, 1 entry, 2 exit (default 2).
	ParkType int
	// Extra lines, "Key=Value" under Events[0]., added after the standard ones.
	Extra []string
	// Picture is the JPEG part after the text part; nil sends the camera's picture, an empty
	// slice none.
	Picture []byte
}

var dahuaColors = map[string]string{"blue": "Blue", "yellow": "Yellow", "green": "Green",
	"yellow-green": "YellowGreen", "white": "White", "black": "Black"}

// Text renders the event's text/plain part body: Events[0].Key=Value lines, CRLF ended.
func (e DahuaEvent) Text() []byte {
	if e.Confidence == 0 {
		e.Confidence = 98
	}
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	if e.Lane == 0 {
		e.Lane = 1
	}
	if e.ParkType == 0 {
		e.ParkType = 2
	}
	if e.PlateColor == "" {
		e.PlateColor = dahuaColors[e.Color]
		if e.PlateColor == "" {
			e.PlateColor = "Unknown"
		}
	}
	if e.PlateType == "" {
		e.PlateType = "Normal"
	}
	lines := []string{
		"Code=TrafficJunction",
		"Action=Pulse",
		"Index=0",
		"CountInGroup=1",
		"IndexInGroup=1",
		"Lane=" + strconv.Itoa(e.Lane),
		"UTC=" + strconv.FormatInt(e.Time.Unix(), 10),
		"UTCMS=" + strconv.Itoa(e.Time.Nanosecond()/1e6),
		"JunctionDirection=Obverse",
		"CommInfo.ParkType=" + strconv.Itoa(e.ParkType),
		"TrafficCar.PlateNumber=" + e.Plate,
		"TrafficCar.PlateColor=" + e.PlateColor,
		"TrafficCar.PlateType=" + e.PlateType,
		"TrafficCar.VehicleColor=White",
		"TrafficCar.Lane=" + strconv.Itoa(e.Lane),
		"Object.ObjectType=Plate",
		"Object.Text=" + e.Plate,
		"Object.Confidence=" + strconv.Itoa(e.Confidence),
		"Vehicle.Category=Truck",
	}
	lines = append(lines, e.Extra...)
	var b bytes.Buffer
	for _, l := range lines {
		b.WriteString("Events[0]." + l + "\r\n")
	}
	return b.Bytes()
}

func dahuaPart(contentType string, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "--%s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n", DahuaBoundary, contentType, len(body))
	b.Write(body)
	b.WriteString("\r\n")
	return b.Bytes()
}

// DahuaCamera is an emulated Dahua ITC plate camera that sitegate pulls from: the snapManager
// attachFileProc stream (multipart/x-mixed-replace, Heartbeat parts, TrafficJunction text and
// JPEG parts), the snapshot and the barrier (openStrobe), all behind digest authentication.
type DahuaCamera struct {
	opts     CameraOptions
	auth     *digestAuth
	hub      hub
	barriers barrierLog
	scene    []byte
}

// NewDahuaCamera makes a camera; serve its Handler.
func NewDahuaCamera(o CameraOptions) (*DahuaCamera, error) {
	o.defaults()
	_, scene, err := pictures(o.PictureBytes, 11)
	if err != nil {
		return nil, err
	}
	c := &DahuaCamera{opts: o, auth: newDigestAuth("Login to 4L0A8C3PAZ6F2E1", o.User, o.Password), scene: scene}
	c.barriers.onChange = o.OnBarrier
	return c, nil
}

// Handler serves the camera's CGI.
func (c *DahuaCamera) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.auth.check(w, r) {
			return
		}
		q := r.URL.Query()
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/cgi-bin/snapManager.cgi":
			c.attach(w, r)
		case r.Method == http.MethodGet && r.URL.Path == "/cgi-bin/snapshot.cgi":
			if ch := q.Get("channel"); ch != "" && ch != "1" {
				dahuaError(w, http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "image/jpeg")
			w.Write(c.scene)
		case r.Method == http.MethodGet && r.URL.Path == "/cgi-bin/trafficSnap.cgi":
			if q.Get("action") != "openStrobe" || q.Get("channel") != "1" {
				dahuaError(w, http.StatusBadRequest)
				return
			}
			c.barriers.add(BarrierCommand{Time: c.opts.Now(), Vendor: "dahua", Action: "open", Raw: r.URL.RequestURI()})
			w.Header().Set("Content-Type", "text/plain;charset=utf-8")
			w.Write([]byte("OK\r\n"))
		default:
			dahuaError(w, http.StatusNotFound)
		}
	})
}

func dahuaError(w http.ResponseWriter, status int) {
	w.Header().Set("Content-Type", "text/plain;charset=utf-8")
	w.WriteHeader(status)
	if status == http.StatusBadRequest {
		w.Write([]byte("Error\r\nBad Request!\r\n"))
		return
	}
	w.Write([]byte("Error\r\n" + http.StatusText(status) + "!\r\n"))
}

func (c *DahuaCamera) attach(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	events := strings.Trim(q.Get("Events"), "[]")
	if q.Get("action") != "attachFileProc" || q.Get("Flags[0]") != "Event" || events == "" {
		dahuaError(w, http.StatusBadRequest)
		return
	}
	wanted := false
	for _, e := range strings.Split(events, ",") {
		wanted = wanted || e == "TrafficJunction" || e == "All"
	}
	every := c.opts.Heartbeat
	if hb := q.Get("heartbeat"); hb != "" {
		n, err := strconv.Atoi(hb)
		if err != nil || n < 1 || n > 60 {
			dahuaError(w, http.StatusBadRequest)
			return
		}
		if every == 0 {
			every = time.Duration(n) * time.Second
		}
	} else {
		every = 0
	}
	w.Header().Set("Content-Type", "multipart/x-mixed-replace; boundary="+DahuaBoundary)
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusOK)
	heartbeat := func() []byte { return dahuaPart("text/plain", []byte("Heartbeat")) }
	if !wanted {
		// Subscribed to other events only: the camera sends heartbeats and nothing else.
		s := &hub{}
		s.serveStream(r.Context(), w, every, heartbeat, c.opts.DropAfter)
		return
	}
	c.hub.serveStream(r.Context(), w, every, heartbeat, c.opts.DropAfter)
}

// Emit sends a TrafficJunction event (its text part, then its picture part) on every open
// stream, and returns how many streams it went to.
func (c *DahuaCamera) Emit(e DahuaEvent) int {
	if e.Time.IsZero() {
		e.Time = c.opts.Now()
	}
	b := dahuaPart("text/plain", e.Text())
	pic := e.Picture
	if pic == nil {
		pic = c.scene
	}
	if len(pic) > 0 {
		b = append(b, dahuaPart("image/jpeg", pic)...)
	}
	return c.hub.send(b)
}

// Streams is the number of open event streams.
func (c *DahuaCamera) Streams() int { return c.hub.count() }

// Drop closes every open stream in the middle of a part.
func (c *DahuaCamera) Drop() { c.hub.dropAll() }

// SetSilent stops (true) or resumes heartbeats and events; the connections stay open.
func (c *DahuaCamera) SetSilent(on bool) { c.hub.setSilent(on) }

// Barriers lists the barrier commands the camera was given, oldest first.
func (c *DahuaCamera) Barriers() []BarrierCommand { return c.barriers.list() }
