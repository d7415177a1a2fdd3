package hikvision

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"sitegate/drivers/plate"
)

// Vendor is the name the package registers under: the push path segment and the config value.
const Vendor = "hikvision"

// Alert is the part of an ISAPI EventNotificationAlert that a plate read needs. Fields are the
// XML's text, trimmed; the ANPR ones are empty for other events.
type Alert struct {
	EventType  string // ANPR for a plate read; videoloss, IO, fielddetection, heartBeat, ...
	EventState string // active | inactive
	DateTime   string // the camera's clock, ISO-8601 with offset
	UUID       string
	PicNum     string // how many pictures the camera sends with the event
	// IsDataRetransmission is "true" for a record the camera stored while it could not send.
	IsDataRetransmission string

	LicensePlate         string // ANPR/licensePlate; Chinese firmware puts a colour word in front
	OriginalLicensePlate string
	ConfidenceLevel      string // 0-100
	PlateColor           string // blue, yellow, white, black, green, newEnergyGreen, newEnergyYellowGreen, ...
	PlateType            string // yellowTwoLine for the double-layer truck plate
	AlarmDataType        string // 0 real-time, 1 historical
}

// alertXML is the document; tags without a namespace match any namespace.
type alertXML struct {
	XMLName              xml.Name
	EventType            string `xml:"eventType"`
	EventState           string `xml:"eventState"`
	DateTime             string `xml:"dateTime"`
	UUID                 string `xml:"UUID"`
	PicNum               string `xml:"picNum"`
	IsDataRetransmission string `xml:"isDataRetransmission"`
	ANPR                 struct {
		LicensePlate         string `xml:"licensePlate"`
		OriginalLicensePlate string `xml:"originalLicensePlate"`
		ConfidenceLevel      string `xml:"confidenceLevel"`
		PlateColor           string `xml:"plateColor"`
		PlateType            string `xml:"plateType"`
		AlarmDataType        string `xml:"alarmDataType"`
	} `xml:"ANPR"`
}

// ErrNotAlert is wrapped by ParseAlert's error for a document that is XML but not an
// EventNotificationAlert.
var ErrNotAlert = errors.New("not an EventNotificationAlert")

// ParseAlert reads one EventNotificationAlert document. Anything after the root element is
// ignored, as the cameras pad parts with line breaks.
func ParseAlert(b []byte) (Alert, error) {
	var a alertXML
	d := xml.NewDecoder(bytes.NewReader(b))
	d.CharsetReader = func(label string, in io.Reader) (io.Reader, error) {
		// The cameras declare UTF-8 in every spelling; ASCII is a subset of it.
		switch strings.ToLower(label) {
		case "utf8", "us-ascii", "ascii":
			return in, nil
		}
		return nil, fmt.Errorf("encoding %q is not UTF-8", label)
	}
	if err := d.Decode(&a); err != nil {
		return Alert{}, fmt.Errorf("malformed XML: %w", err)
	}
	if a.XMLName.Local != "EventNotificationAlert" {
		return Alert{}, fmt.Errorf("%w: root element is <%s>", ErrNotAlert, a.XMLName.Local)
	}
	t := strings.TrimSpace
	return Alert{
		EventType:            t(a.EventType),
		EventState:           t(a.EventState),
		DateTime:             t(a.DateTime),
		UUID:                 t(a.UUID),
		PicNum:               t(a.PicNum),
		IsDataRetransmission: t(a.IsDataRetransmission),
		LicensePlate:         t(a.ANPR.LicensePlate),
		OriginalLicensePlate: t(a.ANPR.OriginalLicensePlate),
		ConfidenceLevel:      t(a.ANPR.ConfidenceLevel),
		PlateColor:           t(a.ANPR.PlateColor),
		PlateType:            t(a.ANPR.PlateType),
		AlarmDataType:        t(a.ANPR.AlarmDataType),
	}, nil
}

// IsANPR reports whether the alert is a plate read (eventType ANPR).
func (a Alert) IsANPR() bool { return strings.EqualFold(a.EventType, "ANPR") }

// Pictures is the number of pictures the camera says follow the alert, or -1 when it does not say.
func (a Alert) Pictures() int {
	n, err := strconv.Atoi(a.PicNum)
	if err != nil || n < 0 {
		return -1
	}
	return n
}

// Read turns an ANPR alert into a plate read, without lane, camera or pictures. ok is false,
// with no error, for an event that is not a plate read and for a read of no plate (the camera's
// placeholder). A plate text that is not a plate is a 400 ReasonPlate rejection; a confidence
// or time that cannot be read, a ReasonConfidence or ReasonTime one. received is the time of a
// read whose alert has none, and the zone of one whose time has no offset.
func (a Alert) Read(received time.Time) (rd plate.Read, ok bool, err error) {
	if !a.IsANPR() {
		return plate.Read{}, false, nil
	}
	text := a.LicensePlate
	if text == "" {
		text = a.OriginalLicensePlate
	}
	p, word, err := plate.VendorPlate(text)
	if errors.Is(err, plate.ErrNoPlate) {
		return plate.Read{}, false, nil
	}
	if err != nil {
		return plate.Read{}, false, plate.Reject(http.StatusBadRequest, plate.ReasonPlate, "licensePlate: %v", err)
	}
	rd = plate.Read{Plate: p, Key: a.UUID, Time: received}
	rd.Color, rd.Type = colour(a.PlateColor)
	if rd.Color == "" {
		rd.Color = word
	}
	if strings.Contains(strings.ToLower(a.PlateType), "twoline") {
		rd.Type = "double" // yellowTwoLine: the double-layer yellow plate of trucks and trailers
	}
	if a.ConfidenceLevel != "" {
		c, err := strconv.ParseFloat(a.ConfidenceLevel, 64)
		if err != nil || !(c >= 0 && c <= 100) {
			return plate.Read{}, false, plate.Reject(http.StatusBadRequest, plate.ReasonConfidence, "confidenceLevel %q is not 0-100", a.ConfidenceLevel)
		}
		rd.Confidence = c / 100
	}
	if a.DateTime != "" {
		t, err := parseTime(a.DateTime, received.Location())
		if err != nil {
			return plate.Read{}, false, plate.Reject(http.StatusBadRequest, plate.ReasonTime, "dateTime %q is not ISO-8601", a.DateTime)
		}
		rd.Time = t
	}
	rd.Late = strings.EqualFold(a.IsDataRetransmission, "true") || a.AlarmDataType == "1"
	return rd, true, nil
}

// colour maps ISAPI's plateColor to CONTRACT section 3's names, and the plate type it implies.
// A value it does not know (unknown, other) is "": the read is kept without a colour.
func colour(c string) (name, typ string) {
	switch strings.ToLower(c) {
	case "blue":
		return "blue", ""
	case "yellow":
		return "yellow", ""
	case "white":
		return "white", ""
	case "black":
		return "black", ""
	case "green":
		return "green", ""
	case "newenergygreen":
		return "green", "new-energy"
	case "newenergyyellowgreen":
		return "yellow-green", "new-energy"
	}
	return "", ""
}

// timeLayouts are the dateTime forms seen: with an offset, with fractions, and without offset.
var timeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05"}

// parseTime reads an ISAPI dateTime; one without an offset is in loc.
func parseTime(s string, loc *time.Location) (time.Time, error) {
	var err error
	for _, l := range timeLayouts {
		var t time.Time
		if t, err = time.ParseInLocation(l, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, err
}
