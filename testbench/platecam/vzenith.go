package platecam

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Vzenith (臻识) colorType codes; Qianyi and the other AlarmInfoPlate cameras use the same.
var vzColorTypes = map[string]int{"blue": 1, "yellow": 2, "white": 3, "black": 4, "green": 5, "yellow-green": 6}

// VzenithColorType is the colorType code of a section 3 colour name (0, unknown, for others).
func VzenithColorType(color string) int { return vzColorTypes[color] }

// VzenithRead is one plate result a Vzenith camera pushes.
type VzenithRead struct {
	Plate      string
	ColorType  int       // 0 unknown, 1 blue, 2 yellow, 3 white, 4 black, 5 green, 6 yellow-green
	Type       int       // plate type: 1 blue, 3 single-row yellow, 4 double-row yellow, 19/20 new energy
	Confidence int       // 0-100; 0 means 96
	PlateID    int       // the camera's record id; 0 means the next one
	Time       time.Time // zero means now
	Offline    bool      // a stored read resent after the server came back (isoffline 1)
	// Image and Fragment are the scene and the plate crop, sent base64 as imageFile and
	// imageFragmentFile; nil sends the camera's pictures, an empty slice none.
	Image, Fragment []byte
}

// VzenithReply is the server's answer to a push or a heartbeat, as the camera reads it.
type VzenithReply struct {
	Info      string // "ok" opens the barrier
	Content   string
	IOCtrl    *VzenithIOCtrl
	Continue  *VzenithContinue // ContinuePushOffline
	Raw       []byte           // the whole answer
	HasResult bool             // the answer held Response_AlarmInfoPlate
}

// VzenithIOCtrl is an ivs_ioctrl command: drive output io (0 off, 1 on, 2 pulse) for delay ms.
type VzenithIOCtrl struct {
	IO, Value, Delay int
}

// VzenithContinue is ContinuePushOffline: send the offline record after PlateID when Continue is 1.
type VzenithContinue struct {
	PlateID  int
	Continue int
}

// flexInt reads a JSON number or a string holding one, as servers write either.
type flexInt int

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if s == "" || s == "null" {
		return nil
	}
	n, err := strconv.Atoi(s)
	*f = flexInt(n)
	return err
}

// ParseVzenithReply reads a server's answer. An empty answer or one without
// Response_AlarmInfoPlate (e.g. {"status":"ok"}) is no command; an answer that is not JSON is an
// error.
func ParseVzenithReply(b []byte) (VzenithReply, error) {
	r := VzenithReply{Raw: b}
	if len(bytes.TrimSpace(b)) == 0 {
		return r, nil
	}
	var doc struct {
		R *struct {
			Info    string `json:"info"`
			Content string `json:"content"`
			IO      *struct {
				IO    flexInt `json:"io"`
				Value flexInt `json:"value"`
				Delay flexInt `json:"delay"`
			} `json:"ivs_ioctrl"`
			Cont *struct {
				PlateID  flexInt `json:"plateid"`
				Continue flexInt `json:"continue"`
			} `json:"ContinuePushOffline"`
		} `json:"Response_AlarmInfoPlate"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return r, fmt.Errorf("vzenith reply: %w", err)
	}
	if doc.R == nil {
		return r, nil
	}
	r.HasResult = true
	r.Info, r.Content = doc.R.Info, doc.R.Content
	if doc.R.IO != nil {
		r.IOCtrl = &VzenithIOCtrl{IO: int(doc.R.IO.IO), Value: int(doc.R.IO.Value), Delay: int(doc.R.IO.Delay)}
	}
	if doc.R.Cont != nil {
		r.Continue = &VzenithContinue{PlateID: int(doc.R.Cont.PlateID), Continue: int(doc.R.Cont.Continue)}
	}
	return r, nil
}

// VzenithCamera is an emulated Vzenith (or Qianyi, or compatible) gate camera: it pushes
// AlarmInfoPlate JSON to its server, sends heartbeats (comet polling), keeps a backlog of
// offline reads that it resends one at a time, and obeys (records) the barrier commands in the
// server's replies.
type VzenithCamera struct {
	// URL is where results and heartbeats go, e.g. http://gateway:8088/v1/plate/vzenith/exit-1.
	URL        string
	DeviceName string // default R5-V1.0
	IPAddr     string // default 192.168.55.131
	Port       int    // default 80
	SerialNo   string // default fe71e106-57263272
	// User and Password are the camera's web login, which heartbeats carry in clear text
	// (user_name, pass_wd), as the real ones do.
	User, Password string
	Channel        int
	// SendTwice sends each offline record twice, as real cameras sometimes do.
	SendTwice bool
	// PictureBytes is the exact size of the scene picture (0: as encoded).
	PictureBytes int
	// OnBarrier is called with each barrier command a reply carries.
	OnBarrier func(BarrierCommand)
	// Now is the camera's clock (default time.Now).
	Now func() time.Time

	mu       sync.Mutex
	nextID   int
	backlog  []VzenithRead
	barriers barrierLog
	plate    []byte
	scene    []byte
}

func (c *VzenithCamera) setup() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.scene != nil {
		return nil
	}
	if c.DeviceName == "" {
		c.DeviceName = "R5-V1.0"
	}
	if c.IPAddr == "" {
		c.IPAddr = "192.168.55.131"
	}
	if c.Port == 0 {
		c.Port = 80
	}
	if c.SerialNo == "" {
		c.SerialNo = "fe71e106-57263272"
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.nextID == 0 {
		c.nextID = 21085
	}
	c.barriers.onChange = c.OnBarrier
	var err error
	c.plate, c.scene, err = pictures(c.PictureBytes, 21)
	return err
}

// Body renders the AlarmInfoPlate JSON of a read, fields in the order of the vendor's document.
func (c *VzenithCamera) Body(r VzenithRead) ([]byte, error) {
	if err := c.setup(); err != nil {
		return nil, err
	}
	r = c.fill(r)
	type timeval struct {
		Sec     int64 `json:"sec"`
		Usec    int   `json:"usec"`
		Decyear int   `json:"decyear"`
		Decmon  int   `json:"decmon"`
		Decday  int   `json:"decday"`
		Dechour int   `json:"dechour"`
		Decmin  int   `json:"decmin"`
		Decsec  int   `json:"decsec"`
	}
	b2i := func(b bool) int {
		if b {
			return 1
		}
		return 0
	}
	t := r.Time
	doc := struct {
		A struct {
			Channel    int    `json:"channel"`
			DeviceName string `json:"deviceName"`
			IPAddr     string `json:"ipaddr"`
			SerialNo   string `json:"serialno"`
			RuleID     int    `json:"rule_id"`
			UserData   string `json:"user_data"`
			Result     struct {
				P struct {
					License           string         `json:"license"`
					ColorType         int            `json:"colorType"`
					Type              int            `json:"type"`
					Confidence        int            `json:"confidence"`
					Direction         int            `json:"direction"`
					TriggerType       int            `json:"triggerType"`
					PlateID           int            `json:"plateid"`
					IsOffline         int            `json:"isoffline"`
					IsFakePlate       int            `json:"is_fake_plate"`
					Location          map[string]any `json:"location"`
					TimeStamp         map[string]any `json:"timeStamp"`
					ImageFile         string         `json:"imageFile"`
					ImageFileLen      int            `json:"imageFileLen"`
					ImageFragmentFile string         `json:"imageFragmentFile"`
					ImageFragLen      int            `json:"imageFragmentFileLen"`
					Gioouts           []any          `json:"gioouts"`
					Plates            []any          `json:"plates"`
				} `json:"PlateResult"`
			} `json:"result"`
		} `json:"AlarmInfoPlate"`
	}{}
	a := &doc.A
	a.Channel, a.DeviceName, a.IPAddr, a.SerialNo, a.RuleID = c.Channel, c.DeviceName, c.IPAddr, c.SerialNo, 1
	p := &a.Result.P
	p.License, p.ColorType, p.Type, p.Confidence, p.TriggerType = r.Plate, r.ColorType, r.Type, r.Confidence, 1
	p.PlateID, p.IsOffline = r.PlateID, b2i(r.Offline)
	p.Location = map[string]any{"RECT": map[string]int{"left": 1002, "top": 565, "right": 1263, "bottom": 674}}
	p.TimeStamp = map[string]any{"Timeval": timeval{Sec: t.Unix(), Usec: t.Nanosecond() / 1000, Decyear: t.Year(), Decmon: int(t.Month()),
		Decday: t.Day(), Dechour: t.Hour(), Decmin: t.Minute(), Decsec: t.Second()}}
	p.ImageFile, p.ImageFileLen = base64.StdEncoding.EncodeToString(r.Image), len(r.Image)
	p.ImageFragmentFile, p.ImageFragLen = base64.StdEncoding.EncodeToString(r.Fragment), len(r.Fragment)
	p.Gioouts = []any{map[string]any{"ctrltype": 0, "ionum": "0"}}
	p.Plates = []any{map[string]any{"color": r.ColorType, "license": r.Plate, "type": r.Type}}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

// fill gives a read its defaults: an id, the time, confidence and pictures.
func (c *VzenithCamera) fill(r VzenithRead) VzenithRead {
	c.mu.Lock()
	defer c.mu.Unlock()
	if r.PlateID == 0 {
		r.PlateID = c.nextID
		c.nextID++
	}
	if r.Time.IsZero() {
		r.Time = c.Now()
	}
	if r.Confidence == 0 {
		r.Confidence = 96
	}
	if r.Type == 0 {
		r.Type = 1
	}
	if r.Image == nil {
		r.Image = c.scene
	}
	if r.Fragment == nil {
		r.Fragment = c.plate
	}
	return r
}

// Push sends one read and obeys the reply: a barrier command in it is recorded. Any answer but
// 200 is an error, and the read is not stored (use Fail to keep it for an offline resend).
func (c *VzenithCamera) Push(ctx context.Context, r VzenithRead) (VzenithReply, error) {
	body, err := c.Body(r)
	if err != nil {
		return VzenithReply{}, err
	}
	return c.exchange(ctx, "application/json", body)
}

func (c *VzenithCamera) exchange(ctx context.Context, contentType string, body []byte) (VzenithReply, error) {
	var answer []byte
	if err := post(ctx, c.URL, contentType, body, &answer); err != nil {
		return VzenithReply{Raw: answer}, err
	}
	reply, err := ParseVzenithReply(answer)
	if err != nil {
		return reply, fmt.Errorf("platecam %s: %w", c.URL, err)
	}
	c.obey(reply)
	return reply, nil
}

// obey records the barrier commands of a reply.
func (c *VzenithCamera) obey(r VzenithReply) {
	if r.Info == "ok" {
		c.barriers.add(BarrierCommand{Time: c.Now(), Vendor: "vzenith", Action: "open", Raw: string(r.Raw)})
	}
	if r.IOCtrl != nil {
		c.barriers.add(BarrierCommand{Time: c.Now(), Vendor: "vzenith", Action: "io", Raw: string(r.Raw)})
	}
}

// Heartbeat sends one heartbeat (multipart/form-data: device_name, ipaddr, port, user_name,
// pass_wd, serialno, channel_num) and obeys the reply, which may carry any command.
func (c *VzenithCamera) Heartbeat(ctx context.Context) (VzenithReply, error) {
	if err := c.setup(); err != nil {
		return VzenithReply{}, err
	}
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, f := range [][2]string{{"device_name", c.DeviceName}, {"ipaddr", c.IPAddr}, {"port", strconv.Itoa(c.Port)},
		{"user_name", c.User}, {"pass_wd", c.Password}, {"serialno", c.SerialNo}, {"channel_num", strconv.Itoa(c.Channel)}} {
		mw.WriteField(f[0], f[1])
	}
	mw.Close()
	return c.exchange(ctx, mw.FormDataContentType(), b.Bytes())
}

// RunHeartbeats sends heartbeats until ctx ends: the next as soon as a reply arrives (comet
// polling) when every is 0, else every that long. A failed heartbeat is retried after a second,
// as a camera that lost its server does. onReply, when not nil, sees every exchange.
func (c *VzenithCamera) RunHeartbeats(ctx context.Context, every time.Duration, onReply func(VzenithReply, error)) {
	for ctx.Err() == nil {
		r, err := c.Heartbeat(ctx)
		if ctx.Err() != nil {
			return
		}
		if onReply != nil {
			onReply(r, err)
		}
		wait := every
		if err != nil {
			wait = time.Second
		}
		if wait > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
		}
	}
}

// Fail stores reads as a camera stores those it could not deliver: they are resent, marked
// offline, by SendOffline. Each gets its plate id now.
func (c *VzenithCamera) Fail(reads ...VzenithRead) error {
	if err := c.setup(); err != nil {
		return err
	}
	for _, r := range reads {
		r = c.fill(r)
		r.Offline = true
		c.mu.Lock()
		c.backlog = append(c.backlog, r)
		c.mu.Unlock()
	}
	return nil
}

// Backlog is the number of offline reads not yet delivered.
func (c *VzenithCamera) Backlog() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.backlog)
}

// SendOffline resends the backlog one record at a time (twice each with SendTwice), and goes on
// to the next only when the reply says ContinuePushOffline with that record's plateid and
// continue 1. It returns how many records were delivered; the rest stay in the backlog.
func (c *VzenithCamera) SendOffline(ctx context.Context) (int, error) {
	sent := 0
	for {
		c.mu.Lock()
		if len(c.backlog) == 0 {
			c.mu.Unlock()
			return sent, nil
		}
		r := c.backlog[0]
		c.mu.Unlock()
		times := 1
		if c.SendTwice {
			times = 2
		}
		var reply VzenithReply
		for i := 0; i < times; i++ {
			var err error
			if reply, err = c.Push(ctx, r); err != nil {
				return sent, err
			}
		}
		c.mu.Lock()
		c.backlog = c.backlog[1:]
		c.mu.Unlock()
		sent++
		if k := reply.Continue; k == nil || k.Continue != 1 || k.PlateID != r.PlateID {
			return sent, nil
		}
	}
}

// Barriers lists the barrier commands the camera was given, oldest first.
func (c *VzenithCamera) Barriers() []BarrierCommand { return c.barriers.list() }
