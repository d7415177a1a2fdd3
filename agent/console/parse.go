package console

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"unicode/utf8"

	config "sitegate/firmware-config"
)

// Request size limits.
const (
	maxLoginBytes   = 4 << 10
	maxRegionsBytes = 64 << 10
	maxRegions      = 16
	maxPoints       = 64
)

// LoginForm is a POST /login.
type LoginForm struct {
	User, Password, CSRF string
}

// ParseLogin decodes a login form (application/x-www-form-urlencoded) of at most 4 KiB.
func ParseLogin(contentType string, body io.Reader) (LoginForm, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil || mt != "application/x-www-form-urlencoded" {
		return LoginForm{}, errors.New("the login is a form (application/x-www-form-urlencoded)")
	}
	b, err := io.ReadAll(io.LimitReader(body, maxLoginBytes+1))
	if err != nil {
		return LoginForm{}, fmt.Errorf("login form: %w", err)
	}
	if len(b) > maxLoginBytes {
		return LoginForm{}, errors.New("the login form is too large")
	}
	v, err := url.ParseQuery(string(b))
	if err != nil {
		return LoginForm{}, errors.New("the login form is malformed")
	}
	f := LoginForm{User: v.Get("user"), Password: v.Get("password"), CSRF: v.Get("csrf")}
	for _, k := range []string{"user", "password", "csrf"} {
		if len(v[k]) > 1 {
			return LoginForm{}, fmt.Errorf("%s is given twice", k)
		}
	}
	if f.User == "" || f.Password == "" {
		return LoginForm{}, errors.New("give a user name and a password")
	}
	if len(f.User) > 64 || len(f.Password) > 256 || !utf8.ValidString(f.User) {
		return LoginForm{}, errors.New("the user name or password is too long")
	}
	return f, nil
}

// RegionsRequest is a POST /api/regions: a camera's whole new list of regions.
type RegionsRequest struct {
	Lane   string       `json:"lane"`
	Camera string       `json:"camera"`
	ROIs   []config.ROI `json:"rois"`
}

type roiJSON struct {
	Name    string      `json:"name"`
	Polygon [][]float64 `json:"polygon"`
}

// ParseRegions decodes a regions request strictly (unknown fields are errors) and checks its
// shape; the regions' values are validated with the whole candidate config when applied.
func ParseRegions(body io.Reader) (RegionsRequest, error) {
	b, err := io.ReadAll(io.LimitReader(body, maxRegionsBytes+1))
	if err != nil {
		return RegionsRequest{}, fmt.Errorf("body: %w", err)
	}
	if len(b) > maxRegionsBytes {
		return RegionsRequest{}, fmt.Errorf("body: larger than %d bytes", maxRegionsBytes)
	}
	var raw struct {
		Lane   string    `json:"lane"`
		Camera string    `json:"camera"`
		ROIs   []roiJSON `json:"rois"`
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return RegionsRequest{}, fmt.Errorf("body: %w", err)
	}
	if dec.More() {
		return RegionsRequest{}, errors.New("body: one JSON object only")
	}
	var errs []error
	if raw.Lane == "" {
		errs = append(errs, errors.New("lane: must be set"))
	}
	if raw.Camera == "" {
		errs = append(errs, errors.New("camera: must be set"))
	}
	if len(raw.ROIs) > maxRegions {
		errs = append(errs, fmt.Errorf("rois: %d regions, at most %d", len(raw.ROIs), maxRegions))
	}
	req := RegionsRequest{Lane: raw.Lane, Camera: raw.Camera, ROIs: []config.ROI{}}
	for i, r := range raw.ROIs {
		if len(r.Polygon) > maxPoints {
			errs = append(errs, fmt.Errorf("rois[%d].polygon: %d points, at most %d", i, len(r.Polygon), maxPoints))
			continue
		}
		req.ROIs = append(req.ROIs, config.ROI{Name: r.Name, Polygon: r.Polygon})
	}
	if len(errs) > 0 {
		return RegionsRequest{}, errors.Join(errs...)
	}
	return req, nil
}
