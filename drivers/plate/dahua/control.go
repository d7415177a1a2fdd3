package dahua

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"sitegate/drivers/plate"
)

// NewControl builds a Dahua camera's control: Snapshot (snapshot.cgi) and Barrier
// (trafficSnap.cgi openStrobe), both with digest authentication. It does not connect.
func NewControl(o plate.ControlOptions) (plate.Control, error) {
	base, err := cameraURL(o.Camera.URL)
	if err != nil {
		return plate.Control{}, err
	}
	c := &camera{id: o.Camera.ID, base: base, password: o.Camera.Password,
		client: digestClient(o.Client, o.Camera.Username, o.Camera.Password, 10*time.Second)}
	return plate.Control{Barrier: (*strobe)(c), Snapshot: (*snapshot)(c)}, nil
}

type camera struct {
	id, base, password string
	client             *http.Client
}

// get fetches path and returns the body of a 200 answer, at most max bytes.
func (c *camera) get(ctx context.Context, path string, max int64) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return nil, err
	}
	res, err := c.client.Do(req)
	if err != nil {
		return nil, scrub(err, c.password)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, max))
	if res.StatusCode == http.StatusUnauthorized {
		return nil, fmt.Errorf("HTTP 401: %w", ErrAuth)
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("HTTP %s", res.Status)
	}
	return b, err
}

type snapshot camera

// Snapshot takes a picture: GET /cgi-bin/snapshot.cgi?channel=1.
func (s *snapshot) Snapshot(ctx context.Context) ([]byte, error) {
	b, err := (*camera)(s).get(ctx, "/cgi-bin/snapshot.cgi?channel=1", 16<<20)
	if err != nil {
		return nil, fmt.Errorf("dahua camera %s: snapshot: %w", s.id, err)
	}
	if !isJPEG(b) {
		return nil, fmt.Errorf("dahua camera %s: snapshot: the answer is not a JPEG", s.id)
	}
	return b, nil
}

type strobe camera

// Open opens the barrier ("strobe") wired to the ITC camera: GET
// /cgi-bin/trafficSnap.cgi?action=openStrobe&channel=1&info.openType=Normal, answered "OK".
// The resource is in Dahua's HTTP API V3.26 §10 (traffic), as cited by a public Go client's
// TrafficService.OpenStrobe, and used with info.openType by a public Python ITC client; it
// was not tried on a camera here.
func (s *strobe) Open(ctx context.Context) error {
	b, err := (*camera)(s).get(ctx, "/cgi-bin/trafficSnap.cgi?action=openStrobe&channel=1&info.openType=Normal", 4096)
	if err != nil {
		return fmt.Errorf("dahua camera %s: barrier open: %w", s.id, err)
	}
	if !strings.EqualFold(strings.TrimSpace(string(b)), "OK") {
		return fmt.Errorf("dahua camera %s: barrier open: the camera answered %.64q", s.id, b)
	}
	return nil
}
