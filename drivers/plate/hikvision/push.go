package hikvision

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strings"

	"sitegate/drivers/plate"
)

func init() {
	plate.RegisterPush(Vendor, Decoder{})
	plate.RegisterPull(Vendor, func(o plate.PullOptions) (plate.PullClient, error) { return NewClient(o, Tuning{}) })
	plate.RegisterControl(Vendor, NewControl)
}

// Decoder reads the pushes of a camera's "HTTP listening" (alarm server) at
// POST /v1/plate/hikvision/{lane}: an EventNotificationAlert alone (application/xml, text/xml),
// or multipart/form-data with the XML part (anpr.xml, ANPR.xml) and the pictures
// (licensePlatePicture.jpg as the plate picture; detectionPicture.jpg or vehiclePicture.jpg as
// the scene).
type Decoder struct{}

// Decode reads one push: a read for an ANPR alert with a plate, none for any other event or a
// read of no plate.
func (Decoder) Decode(p plate.Push) ([]plate.Read, error) {
	ct := p.Request.Header.Get("Content-Type")
	raw, err := plate.ReadBody(p.Request)
	if err != nil {
		return nil, err
	}
	rd, ok, err := decodeBody(ct, raw, p)
	if err != nil || !ok {
		return nil, err
	}
	return []plate.Read{rd}, nil
}

// Reply answers 200 with a short text/plain body, which is what the cameras expect; a rejection
// is its status and message, also as text.
func (Decoder) Reply(w http.ResponseWriter, _ []plate.Read, rej *plate.Rejection) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if rej != nil {
		w.WriteHeader(rej.Status)
		io.WriteString(w, rej.Msg+"\n")
		return
	}
	w.WriteHeader(http.StatusOK)
	io.WriteString(w, "OK\n")
}

// decodeBody reads a push body of content type ct.
func decodeBody(ct string, raw []byte, p plate.Push) (plate.Read, bool, error) {
	mt, params, err := mime.ParseMediaType(ct)
	switch {
	case ct == "":
		mt = "application/xml" // no type: the XML alone is the only form without one
	case err != nil:
		return plate.Read{}, false, plate.Reject(http.StatusUnsupportedMediaType, plate.ReasonContentType, "content type %q: %v", ct, err)
	}
	var (
		doc          []byte
		plateJPEG    []byte
		sceneJPEG    []byte
		sceneIsFirst bool // vehiclePicture and detectionPicture: keep the first
	)
	switch {
	case isXML(mt):
		doc = raw
	case strings.HasPrefix(mt, "multipart/"):
		if params["boundary"] == "" {
			return plate.Read{}, false, plate.Reject(http.StatusBadRequest, plate.ReasonMalformed, "multipart push without a boundary")
		}
		mr := multipart.NewReader(bytes.NewReader(raw), params["boundary"])
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return plate.Read{}, false, plate.Reject(http.StatusBadRequest, plate.ReasonMalformed, "malformed multipart: %v", err)
			}
			body, err := io.ReadAll(part)
			if err != nil {
				return plate.Read{}, false, plate.Reject(http.StatusBadRequest, plate.ReasonMalformed, "malformed multipart: %v", err)
			}
			switch kind := partKind(part.Header.Get("Content-Type"), part.FormName(), part.FileName()); kind {
			case kindXML:
				if doc == nil {
					doc = body
				}
			case kindPlatePicture, kindScenePicture, kindPicture:
				if !isJPEG(body) {
					return plate.Read{}, false, plate.Reject(http.StatusBadRequest, plate.ReasonImage, "picture %q is not a JPEG", part.FileName())
				}
				switch {
				case kind == kindPlatePicture && plateJPEG == nil:
					plateJPEG = body
				case kind == kindScenePicture && !sceneIsFirst:
					sceneJPEG, sceneIsFirst = body, true
				case kind == kindPicture && plateJPEG == nil:
					plateJPEG = body
				case kind == kindPicture && sceneJPEG == nil:
					sceneJPEG = body
				}
			}
		}
		if doc == nil {
			return plate.Read{}, false, plate.Reject(http.StatusBadRequest, plate.ReasonMalformed, "multipart push without an EventNotificationAlert XML part")
		}
	case mt == "application/json":
		return plate.Read{}, false, plate.Reject(http.StatusUnsupportedMediaType, plate.ReasonContentType, "JSON alerts are not supported: set the camera's alarm server to parameterFormatType XML")
	default:
		return plate.Read{}, false, plate.Reject(http.StatusUnsupportedMediaType, plate.ReasonContentType, "content type %q is neither application/xml nor multipart/form-data", ct)
	}
	a, err := ParseAlert(doc)
	if err != nil {
		return plate.Read{}, false, plate.Reject(http.StatusBadRequest, plate.ReasonMalformed, "%v", err)
	}
	rd, ok, err := a.Read(p.Received)
	if err != nil || !ok {
		return plate.Read{}, false, err
	}
	rd.Lane = p.Lane
	rd.ImageJPEG, rd.SceneJPEG = plateJPEG, sceneJPEG
	return rd, true, nil
}

// partKinds tell what a multipart part holds.
type partKinds int

const (
	kindOther        partKinds = iota // JSON, text: skipped
	kindXML                           // the EventNotificationAlert
	kindPlatePicture                  // licensePlatePicture.jpg
	kindScenePicture                  // detectionPicture.jpg, vehiclePicture.jpg
	kindPicture                       // a JPEG the camera did not name
)

// partKind classifies a part by its content type and its names, case-insensitively.
func partKind(ct string, names ...string) partKinds {
	mt, _, _ := mime.ParseMediaType(ct)
	var kind partKinds
	for _, n := range names {
		n = strings.ToLower(n)
		switch {
		case strings.HasSuffix(n, ".xml"):
			return kindXML
		case strings.HasPrefix(n, "licenseplatepicture"):
			return kindPlatePicture
		case strings.HasPrefix(n, "detectionpicture"), strings.HasPrefix(n, "vehiclepicture"):
			return kindScenePicture
		case strings.HasSuffix(n, ".jpg"), strings.HasSuffix(n, ".jpeg"):
			kind = kindPicture
		}
	}
	switch {
	case kind != kindOther:
		return kind
	case isXML(mt):
		return kindXML
	case mt == "image/jpeg" || mt == "image/jpg":
		return kindPicture
	}
	return kindOther
}

// isXML reports whether a media type is XML.
func isXML(mt string) bool {
	return mt == "application/xml" || mt == "text/xml" || strings.HasSuffix(mt, "+xml")
}

// isJPEG reports whether b starts like a JPEG (SOI marker).
func isJPEG(b []byte) bool { return len(b) >= 3 && b[0] == 0xFF && b[1] == 0xD8 }
