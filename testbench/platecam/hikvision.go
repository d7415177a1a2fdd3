package platecam

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/template"
	"time"
)

// The XML namespaces Hikvision firmwares put on EventNotificationAlert.
const (
	HikNamespaceISAPI     = "http://www.isapi.org/ver20/XMLSchema"
	HikNamespaceHikvision = "http://www.hikvision.com/ver20/XMLSchema"
	HikNamespaceStdCGI    = "http://www.std-cgi.com/ver20/XMLSchema"
)

// HikvisionAlert is one ANPR EventNotificationAlert, as a Hikvision plate camera sends it.
type HikvisionAlert struct {
	Plate string
	// Color is a section 3 colour name (blue, yellow, green, yellow-green, white, black), turned
	// into the camera's plateColor word; PlateColor, when set, is sent as it is instead.
	Color, PlateColor string
	// PlateType is sent as it is (e.g. yellowTwoLine for a double-row yellow plate); default
	// 92TypeCivil, or newEnergy for green plates.
	PlateType string
	// ColorWord puts the colour's Chinese word in front of licensePlate, as Chinese firmware
	// does (蓝苏A8HK52); originalLicensePlate stays bare.
	ColorWord  bool
	Confidence int       // confidenceLevel 0-100; 0 means 98
	Time       time.Time // dateTime; zero means now
	Channel    int       // channelID; 0 means 1
	IPAddress  string    // default 192.168.1.64
	Namespace  string    // default HikNamespaceISAPI
	// Retransmission marks a stored read sent again (isDataRetransmission true, alarmDataType 1).
	Retransmission bool
	Direction      string // default forward
	VehicleType    string // default truck
	UUID           string // default a random one
	// PlatePicture and ScenePicture are the JPEGs sent with the alert; nil sends none.
	PlatePicture, ScenePicture []byte
	// SceneName is the scene picture's part name: detectionPicture.jpg (default) or
	// vehiclePicture.jpg.
	SceneName string
}

// hikColors are the plateColor words and the Chinese firmware's colour words.
var hikColors = map[string][2]string{
	"blue": {"blue", "蓝"}, "yellow": {"yellow", "黄"}, "green": {"newEnergyGreen", "绿"},
	"yellow-green": {"newEnergyYellowGreen", "黄绿"}, "white": {"white", "白"}, "black": {"black", "黑"},
}

func (a HikvisionAlert) withDefaults() HikvisionAlert {
	if a.Confidence == 0 {
		a.Confidence = 98
	}
	if a.Time.IsZero() {
		a.Time = time.Now()
	}
	if a.Channel == 0 {
		a.Channel = 1
	}
	if a.IPAddress == "" {
		a.IPAddress = "192.168.1.64"
	}
	if a.Namespace == "" {
		a.Namespace = HikNamespaceISAPI
	}
	if a.Direction == "" {
		a.Direction = "forward"
	}
	if a.VehicleType == "" {
		a.VehicleType = "truck"
	}
	if a.UUID == "" {
		a.UUID = randomHex(16)
	}
	if a.SceneName == "" {
		a.SceneName = "detectionPicture.jpg"
	}
	if a.PlateColor == "" {
		a.PlateColor = "unknown"
		if c, ok := hikColors[a.Color]; ok {
			a.PlateColor = c[0]
		}
	}
	if a.PlateType == "" {
		a.PlateType = "92TypeCivil"
		if a.Color == "green" || a.Color == "yellow-green" {
			a.PlateType = "newEnergy"
		}
	}
	return a
}

var hikAlertXML = template.Must(template.New("anpr").Funcs(template.FuncMap{"esc": xmlEscape, "trimJPG": func(s string) string { return strings.TrimSuffix(s, ".jpg") }}).Parse(`<?xml version="1.0" encoding="UTF-8"?>
<EventNotificationAlert version="2.0" xmlns="{{.Namespace}}">
<ipAddress>{{.IPAddress}}</ipAddress>
<portNo>80</portNo>
<protocol>HTTP</protocol>
<macAddress>bc:5e:33:62:2a:5c</macAddress>
<channelID>{{.Channel}}</channelID>
<dateTime>{{.DateTime}}</dateTime>
<activePostCount>1</activePostCount>
<eventType>ANPR</eventType>
<eventState>active</eventState>
<eventDescription>ANPR</eventDescription>
<channelName>Camera 01</channelName>
<ANPR>
<country>3</country>
<licensePlate>{{esc .LicensePlate}}</licensePlate>
<line>1</line>
<direction>{{.Direction}}</direction>
<confidenceLevel>{{.Confidence}}</confidenceLevel>
<plateType>{{.PlateType}}</plateType>
<plateColor>{{.PlateColor}}</plateColor>
<licenseBright>0</licenseBright>
<plateCharBelieve>{{.CharBelieve}}</plateCharBelieve>
<vehicleType>{{.VehicleType}}</vehicleType>
<detectDir>8</detectDir>
<detectType>0</detectType>
<alarmDataType>{{.AlarmDataType}}</alarmDataType>
<barrierGateCtrlType>0</barrierGateCtrlType>
<vehicleInfo>
<index>1</index>
<colorDepth>2</colorDepth>
<color>white</color>
</vehicleInfo>
<pictureInfoList>
{{- range .Pictures}}
<pictureInfo>
<fileName>{{.}}</fileName>
<type>{{trimJPG .}}</type>
<dataType>0</dataType>
<absTime>{{$.AbsTime}}</absTime>
</pictureInfo>
{{- end}}
</pictureInfoList>
<originalLicensePlate>{{esc .Original}}</originalLicensePlate>
</ANPR>
<UUID>{{.UUID}}</UUID>
<picNum>{{len .Pictures}}</picNum>
<monitoringSiteID>1</monitoringSiteID>
<isDataRetransmission>{{.Retransmission}}</isDataRetransmission>
</EventNotificationAlert>
`))

func xmlEscape(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s))
	return b.String()
}

// XML renders the alert's EventNotificationAlert document.
func (a HikvisionAlert) XML() []byte {
	a = a.withDefaults()
	lp := a.Plate
	if a.ColorWord {
		if c, ok := hikColors[a.Color]; ok {
			lp = c[1] + lp
		}
	}
	var pics []string
	if a.PlatePicture != nil {
		pics = append(pics, "licensePlatePicture.jpg")
	}
	if a.ScenePicture != nil {
		pics = append(pics, a.SceneName)
	}
	believe := make([]string, len([]rune(a.Plate)))
	for i := range believe {
		believe[i] = "99"
	}
	alarmType := 0
	if a.Retransmission {
		alarmType = 1
	}
	var b bytes.Buffer
	err := hikAlertXML.Execute(&b, map[string]any{
		"Namespace": a.Namespace, "IPAddress": a.IPAddress, "Channel": a.Channel,
		"DateTime": a.Time.Format("2006-01-02T15:04:05-07:00"), "LicensePlate": lp, "Original": a.Plate,
		"Direction": a.Direction, "Confidence": a.Confidence, "PlateType": a.PlateType, "PlateColor": a.PlateColor,
		"CharBelieve": strings.Join(believe, ","), "VehicleType": a.VehicleType, "AlarmDataType": alarmType,
		"Pictures": pics, "AbsTime": a.Time.Format("20060102150405") + fmt.Sprintf("%03d", a.Time.Nanosecond()/1e6),
		"UUID": a.UUID, "Retransmission": a.Retransmission,
	})
	if err != nil {
		panic(err) // the template and its data are ours
	}
	return b.Bytes()
}

// HikvisionPushOptions shape a push ("HTTP listening") request.
type HikvisionPushOptions struct {
	// XMLOnly sends the alert alone as application/xml even when it has pictures.
	XMLOnly bool
	// XMLName is the XML part's name: anpr.xml (default) or ANPR.xml, as in the guide.
	XMLName string
	// Boundary is the multipart boundary; default the capture's
	// ---------------------------7e13971310878.
	Boundary string
}

// HikvisionPushBody renders a push request's Content-Type and body: the alert alone, or
// multipart/form-data framed as a Chinese-firmware capture frames it (each part with a
// Content-Length, the spacing after ';' differing between parts).
func HikvisionPushBody(a HikvisionAlert, o HikvisionPushOptions) (contentType string, body []byte) {
	a = a.withDefaults()
	doc := a.XML()
	if o.XMLOnly || (a.PlatePicture == nil && a.ScenePicture == nil) {
		return "application/xml", doc
	}
	if o.XMLName == "" {
		o.XMLName = "anpr.xml"
	}
	if o.Boundary == "" {
		o.Boundary = "---------------------------7e13971310878"
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "--%s\r\nContent-Disposition: form-data; name=\"%s\";filename=\"%s\"\r\nContent-Type: application/xml; charset=\"UTF-8\"\r\nContent-Length: %d\r\n\r\n", o.Boundary, o.XMLName, o.XMLName, len(doc))
	b.Write(doc)
	b.WriteString("\r\n")
	for _, p := range []struct {
		name string
		data []byte
	}{{"licensePlatePicture.jpg", a.PlatePicture}, {a.SceneName, a.ScenePicture}} {
		if p.data == nil {
			continue
		}
		fmt.Fprintf(&b, "--%s\r\nContent-Disposition: form-data;name=\"%s\";filename=\"%s\"\r\nContent-Type: image/jpeg\r\nContent-Length: %d\r\n\r\n", o.Boundary, p.name, p.name, len(p.data))
		b.Write(p.data)
		b.WriteString("\r\n")
	}
	fmt.Fprintf(&b, "--%s--\r\n", o.Boundary)
	return "multipart/form-data; boundary=" + o.Boundary, b.Bytes()
}

// HikvisionPush posts the alert to target (a full URL such as
// http://gateway:8088/v1/plate/hikvision/exit-1) as a camera in HTTP-listening mode does: no
// authentication, and any answer but 200 is an error carrying the status and the answer.
func HikvisionPush(ctx context.Context, target string, a HikvisionAlert, o HikvisionPushOptions) error {
	ct, body := HikvisionPushBody(a, o)
	return post(ctx, target, ct, body, nil)
}

// post sends one request and checks for 200; answer, when not nil, gets the answer's body.
func post(ctx context.Context, target, contentType string, body []byte, answer *[]byte) error {
	if _, err := url.Parse(target); err != nil {
		return fmt.Errorf("platecam %s: %w", target, err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("platecam %s: %w", target, err)
	}
	req.Header.Set("Content-Type", contentType)
	resp, err := Client.Do(req)
	if err != nil {
		return fmt.Errorf("platecam %s: %w", target, err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if answer != nil {
		*answer = got
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("platecam %s: %s: %s", target, resp.Status, strings.TrimSpace(string(got)))
	}
	return nil
}

// HikvisionCamera is an emulated Hikvision plate camera that sitegate pulls from: the ISAPI
// alertStream (multipart/mixed, videoloss heartbeats, ANPR alerts with their pictures), the
// snapshot, and the barrier gate, all behind digest authentication.
type HikvisionCamera struct {
	opts     CameraOptions
	auth     *digestAuth
	hub      hub
	barriers barrierLog
	plate    []byte
	scene    []byte
}

// HikvisionBoundary is the alertStream's multipart boundary.
const HikvisionBoundary = "boundary"

// NewHikvisionCamera makes a camera; serve its Handler.
func NewHikvisionCamera(o CameraOptions) (*HikvisionCamera, error) {
	o.defaults()
	if o.Heartbeat == 0 {
		o.Heartbeat = time.Second
	}
	plate, scene, err := pictures(o.PictureBytes, 1)
	if err != nil {
		return nil, err
	}
	c := &HikvisionCamera{opts: o, auth: newDigestAuth("IP Camera(C6231)", o.User, o.Password), plate: plate, scene: scene}
	c.barriers.onChange = o.OnBarrier
	return c, nil
}

// Handler serves the camera's ISAPI.
func (c *HikvisionCamera) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ISAPI/Event/notification/alertStream", c.alertStream)
	mux.HandleFunc("GET /ISAPI/Streaming/channels/{id}/picture", c.snapshot)
	mux.HandleFunc("PUT /ISAPI/Parking/channels/{id}/barrierGate", c.barrierGate)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		hikStatus(w, r, http.StatusNotFound, 4, "Invalid Operation", "notSupport")
	})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !c.auth.check(w, r) {
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func (c *HikvisionCamera) heartbeat() []byte {
	doc := fmt.Sprintf(`<EventNotificationAlert version="2.0" xmlns="%s">
<ipAddress>192.168.1.64</ipAddress>
<portNo>80</portNo>
<protocol>HTTP</protocol>
<macAddress>bc:5e:33:62:2a:5c</macAddress>
<channelID>1</channelID>
<dateTime>%s</dateTime>
<activePostCount>0</activePostCount>
<eventType>videoloss</eventType>
<eventState>inactive</eventState>
<eventDescription>videoloss alarm</eventDescription>
</EventNotificationAlert>
`, HikNamespaceHikvision, c.opts.Now().Format("2006-01-02T15:04:05-07:00"))
	return hikPart("Content-Type: application/xml; charset=\"UTF-8\"\r\n", []byte(doc))
}

func hikPart(headers string, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "--%s\r\n%sContent-Length: %d\r\n\r\n", HikvisionBoundary, headers, len(body))
	b.Write(body)
	b.WriteString("\r\n")
	return b.Bytes()
}

func (c *HikvisionCamera) alertStream(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "multipart/mixed; boundary="+HikvisionBoundary)
	w.Header().Set("Connection", "close")
	w.WriteHeader(http.StatusOK)
	c.hub.serveStream(r.Context(), w, c.opts.Heartbeat, c.heartbeat, c.opts.DropAfter)
}

// Emit sends an ANPR alert, with the camera's pictures unless the alert carries its own (a
// PlatePicture or ScenePicture of length 0 leaves that picture out), on every open
// alertStream. It returns how many streams it went to.
func (c *HikvisionCamera) Emit(a HikvisionAlert) int {
	if a.PlatePicture == nil {
		a.PlatePicture = c.plate
	}
	if a.ScenePicture == nil {
		a.ScenePicture = c.scene
	}
	if len(a.PlatePicture) == 0 {
		a.PlatePicture = nil
	}
	if len(a.ScenePicture) == 0 {
		a.ScenePicture = nil
	}
	if a.Time.IsZero() {
		a.Time = c.opts.Now()
	}
	a = a.withDefaults()
	b := hikPart("Content-Type: application/xml; charset=\"UTF-8\"\r\n", a.XML())
	for _, p := range []struct {
		name string
		data []byte
	}{{"licensePlatePicture.jpg", a.PlatePicture}, {a.SceneName, a.ScenePicture}} {
		if p.data != nil {
			b = append(b, hikPart(fmt.Sprintf("Content-Disposition: form-data; name=\"%s\"; filename=\"%s\"\r\nContent-Type: image/jpeg\r\n", p.name, p.name), p.data)...)
		}
	}
	return c.hub.send(b)
}

// Streams is the number of open alertStreams (a test waits for the client to connect).
func (c *HikvisionCamera) Streams() int { return c.hub.count() }

// Drop closes every open alertStream in the middle of a part.
func (c *HikvisionCamera) Drop() { c.hub.dropAll() }

// SetSilent stops (true) or resumes heartbeats and alerts; the connections stay open.
func (c *HikvisionCamera) SetSilent(on bool) { c.hub.setSilent(on) }

// Barriers lists the barrier commands the camera was given, oldest first.
func (c *HikvisionCamera) Barriers() []BarrierCommand { return c.barriers.list() }

func (c *HikvisionCamera) snapshot(w http.ResponseWriter, r *http.Request) {
	if id := r.PathValue("id"); id != "101" && id != "1" {
		hikStatus(w, r, http.StatusBadRequest, 6, "Invalid Content", "badParameters")
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	w.Write(c.scene)
}

func (c *HikvisionCamera) barrierGate(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
	var doc struct {
		CtrlMode string `xml:"ctrlMode"`
	}
	if xml.Unmarshal(body, &doc) != nil || r.PathValue("id") != "1" {
		hikStatus(w, r, http.StatusBadRequest, 5, "Invalid XML Format", "badXmlFormat")
		return
	}
	switch doc.CtrlMode {
	case "open", "close", "lock", "unlock":
	default:
		hikStatus(w, r, http.StatusBadRequest, 6, "Invalid Content", "badParameters")
		return
	}
	c.barriers.add(BarrierCommand{Time: c.opts.Now(), Vendor: "hikvision", Action: doc.CtrlMode, Raw: strings.TrimSpace(string(body))})
	hikStatus(w, r, http.StatusOK, 1, "OK", "ok")
}

// hikStatus answers with an ISAPI ResponseStatus document.
func hikStatus(w http.ResponseWriter, r *http.Request, status, code int, text, sub string) {
	w.Header().Set("Content-Type", "application/xml; charset=\"UTF-8\"")
	w.WriteHeader(status)
	fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?>
<ResponseStatus version="2.0" xmlns="%s">
<requestURL>%s</requestURL>
<statusCode>%d</statusCode>
<statusString>%s</statusString>
<subStatusCode>%s</subStatusCode>
</ResponseStatus>
`, HikNamespaceISAPI, xmlEscape(r.URL.Path), code, text, sub)
}
