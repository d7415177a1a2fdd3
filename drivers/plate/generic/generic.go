// Package generic is the contract's own plate push (CONTRACT section 3): one JSON read per
// request, the lane in the body, served at POST /v1/plate. It registers itself with
// sitegate/drivers/plate as the vendor "generic".
//
// It must not import sitegate/models or sitegate/agent.
package generic

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"strings"
	"time"

	"sitegate/drivers/plate"
)

func init() { plate.RegisterPush(plate.Generic, Decoder{}) }

// Decoder reads the generic JSON push. At POST /v1/plate/generic/{lane} the lane may be left
// out of the body; when given it must be the path's.
type Decoder struct{}

// body is the JSON of a push. Pointers tell a missing field from a zero one; unknown (vendor)
// fields are ignored.
type body struct {
	Lane            *string  `json:"lane"`
	Plate           *string  `json:"plate"`
	Color           *string  `json:"color"`
	Confidence      *float64 `json:"confidence"`
	Time            *string  `json:"time"`
	ImageJPEGBase64 *string  `json:"image_jpeg_base64"`
}

var colors = map[string]bool{"blue": true, "yellow": true, "green": true, "white": true, "black": true}

// Decode reads one JSON read.
func (Decoder) Decode(p plate.Push) ([]plate.Read, error) {
	r := p.Request
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return nil, plate.Reject(http.StatusUnsupportedMediaType, plate.ReasonContentType, "content type %q is not application/json", ct)
		}
	}
	raw, err := plate.ReadBody(r)
	if err != nil {
		return nil, err
	}
	var b body
	if err := json.Unmarshal(raw, &b); err != nil {
		return nil, plate.Reject(http.StatusBadRequest, plate.ReasonJSON, "malformed JSON: %v", err)
	}
	rd, err := validate(b, p)
	if err != nil {
		return nil, err
	}
	return []plate.Read{rd}, nil
}

// Reply answers {"ok":true}, or {"error":"..."} with the rejection's status.
func (Decoder) Reply(w http.ResponseWriter, _ []plate.Read, rej *plate.Rejection) {
	if rej != nil {
		plate.WriteJSON(w, rej.Status, map[string]string{"error": rej.Msg})
		return
	}
	plate.WriteJSON(w, http.StatusOK, map[string]bool{"ok": true})
}

// validate checks a decoded push and turns it into a Read.
func validate(b body, p plate.Push) (plate.Read, error) {
	var rd plate.Read
	switch {
	case p.Lane != "" && (b.Lane == nil || *b.Lane == "" || *b.Lane == p.Lane):
		rd.Lane = p.Lane
	case p.Lane != "":
		return plate.Read{}, plate.Reject(http.StatusBadRequest, plate.ReasonLane, "lane %q is not the path's lane %q", *b.Lane, p.Lane)
	case b.Lane == nil || *b.Lane == "":
		return plate.Read{}, plate.Reject(http.StatusBadRequest, plate.ReasonLane, "lane is required")
	case !p.Serves(*b.Lane):
		return plate.Read{}, plate.Reject(http.StatusBadRequest, plate.ReasonLane, "unknown lane %q", *b.Lane)
	default:
		rd.Lane = *b.Lane
	}
	if b.Plate == nil || strings.TrimSpace(*b.Plate) == "" {
		return plate.Read{}, plate.Reject(http.StatusBadRequest, plate.ReasonPlate, "plate is required")
	}
	text, err := plate.NormalizePlate(*b.Plate)
	if err != nil {
		return plate.Read{}, plate.Reject(http.StatusBadRequest, plate.ReasonPlate, "%v", err)
	}
	rd.Plate = text
	if b.Color != nil && *b.Color != "" {
		c := strings.ToLower(strings.TrimSpace(*b.Color))
		if !colors[c] {
			return plate.Read{}, plate.Reject(http.StatusBadRequest, plate.ReasonColor, "color %q is not one of blue, yellow, green, white, black", *b.Color)
		}
		rd.Color = c
	}
	if b.Confidence != nil {
		c := *b.Confidence
		if !(c >= 0 && c <= 1) {
			return plate.Read{}, plate.Reject(http.StatusBadRequest, plate.ReasonConfidence, "confidence %v is outside 0..1", c)
		}
		rd.Confidence = c
	}
	rd.Time = p.Received
	if b.Time != nil && *b.Time != "" {
		t, err := time.Parse(time.RFC3339Nano, *b.Time)
		if err != nil {
			return plate.Read{}, plate.Reject(http.StatusBadRequest, plate.ReasonTime, "time %q is not RFC 3339", *b.Time)
		}
		if err := plate.CheckTime(t, p.Received); err != nil {
			return plate.Read{}, plate.Reject(http.StatusBadRequest, plate.ReasonTime, "time %q is %v", *b.Time, err)
		}
		rd.Time = t
	}
	if b.ImageJPEGBase64 != nil && *b.ImageJPEGBase64 != "" {
		img, err := decodeBase64(*b.ImageJPEGBase64)
		if err != nil {
			return plate.Read{}, plate.Reject(http.StatusBadRequest, plate.ReasonImage, "image_jpeg_base64: %v", err)
		}
		if !plate.ValidJPEG(img) {
			return plate.Read{}, plate.Reject(http.StatusBadRequest, plate.ReasonImage, "image_jpeg_base64 is not a JPEG")
		}
		rd.ImageJPEG = img
	}
	return rd, nil
}

// decodeBase64 takes standard base64, padded or not; MIME line breaks are ignored.
func decodeBase64(s string) ([]byte, error) {
	s = strings.TrimRight(s, "\r\n")
	if b, err := base64.StdEncoding.DecodeString(s); err == nil {
		return b, nil
	}
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil {
		return nil, errors.New("invalid base64")
	}
	return b, nil
}
