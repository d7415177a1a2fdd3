// Package dahua holds the event stream of Dahua ITC traffic cameras (mode: pull): GET
// /cgi-bin/snapManager.cgi?action=attachFileProc&Flags[0]=Event&Events=[TrafficJunction] with
// HTTP digest authentication, a multipart/x-mixed-replace stream of Events[0].Key=Value text
// parts, each followed by the scene JPEG, and Heartbeat parts between. It registers with
// sitegate/drivers/plate as the vendor "dahua": the pull client and a camera control (snapshot,
// and the barrier through trafficSnap.cgi openStrobe).
//
// It must not import sitegate/models or sitegate/agent.
package dahua

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/icholy/digest"

	"sitegate/drivers/plate"
)

// Vendor is the vendor name: the config value.
const Vendor = "dahua"

func init() {
	plate.RegisterPull(Vendor, func(o plate.PullOptions) (plate.PullClient, error) { return New(o, Options{}) })
	plate.RegisterControl(Vendor, NewControl)
}

// Options tunes a Client; the zero value is the production setting.
type Options struct {
	Heartbeat time.Duration // asked of the camera (1-60 s); default 5 s
	// Silence is how long the stream may send nothing, heartbeats included, before it is
	// dropped and opened again; default 4 heartbeats.
	Silence    time.Duration
	Backoff    time.Duration // first wait before reconnecting; default 1 s, doubled per failure
	MaxBackoff time.Duration // default 60 s
	// AuthBackoff is the wait after the camera refused the login (401 after digest); a wrong
	// password is not retried fast, which could lock the account; default 5 min.
	AuthBackoff time.Duration
	// PictureWait is how long a read waits for the picture part that follows its text part
	// before it goes without one (a camera set to send no picture); default 500 ms.
	PictureWait time.Duration
}

func (o *Options) defaults() {
	if o.PictureWait <= 0 {
		o.PictureWait = 500 * time.Millisecond
	}
	if o.Heartbeat <= 0 {
		o.Heartbeat = 5 * time.Second
	}
	if o.Silence <= 0 {
		o.Silence = 4 * o.Heartbeat
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	if o.MaxBackoff <= 0 {
		o.MaxBackoff = time.Minute
	}
	if o.AuthBackoff <= 0 {
		o.AuthBackoff = 5 * time.Minute
	}
}

// ErrAuth is wrapped by the error of a stream the camera refused the login of.
var ErrAuth = errors.New("login refused (wrong user name or password?)")

// Client holds one camera's event stream. It is a plate.PullClient.
type Client struct {
	po     plate.PullOptions
	o      Options
	client *http.Client
	url    string

	mu sync.Mutex
	*plate.PullTracker
}

// New returns the client of the camera po names; it does not connect.
func New(po plate.PullOptions, o Options) (*Client, error) {
	o.defaults()
	base, err := cameraURL(po.URL)
	if err != nil {
		return nil, err
	}
	if po.Sink == nil {
		return nil, errors.New("no sink for its reads")
	}
	if po.Now == nil {
		po.Now = time.Now
	}
	if po.Logger == nil {
		po.Logger = slog.Default()
	}
	hb := int(o.Heartbeat / time.Second)
	hb = min(max(hb, 1), 60)
	c := &Client{po: po, o: o, client: digestClient(po.Client, po.Username, po.Password, 0),
		url: base + "/cgi-bin/snapManager.cgi?action=attachFileProc&Flags[0]=Event&Events=[TrafficJunction]&heartbeat=" + fmt.Sprint(hb)}
	c.PullTracker = plate.NewPullTracker(po.Camera, Vendor)
	return c, nil
}

// cameraURL checks a camera URL and returns it without a trailing slash.
func cameraURL(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("camera url %q is not http(s)://host", s)
	}
	u.User = nil
	return strings.TrimRight(u.String(), "/"), nil
}

// digestClient is c (or a new client with timeout) with digest authentication added.
func digestClient(c *http.Client, user, password string, timeout time.Duration) *http.Client {
	out := &http.Client{Timeout: timeout}
	// Its own transport, so that Run can close its idle connections without touching others'.
	base := http.RoundTripper(http.DefaultTransport.(*http.Transport).Clone())
	if c != nil {
		*out = *c
		if c.Transport != nil {
			base = c.Transport
		}
	}
	out.Transport = &digest.Transport{Username: user, Password: password, Transport: base}
	return out
}

// Run holds the stream until ctx is done, reconnecting with exponential backoff and jitter.
func (c *Client) Run(ctx context.Context) error {
	defer c.client.CloseIdleConnections()
	b := plate.Backoff{Min: c.o.Backoff, Max: c.o.MaxBackoff, Auth: c.o.AuthBackoff,
		IsAuth: func(err error) bool { return errors.Is(err, ErrAuth) }}
	return c.PullTracker.Run(ctx, b, c.po.Logger.With("camera", c.po.Camera, "vendor", Vendor), c.stream)
}

// stream opens the stream once and reads it until it fails, ends or goes silent. streamed
// reports whether it got as far as a part.
func (c *Client) stream(ctx context.Context) (streamed bool, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	errSilent := fmt.Errorf("no data for %v", c.o.Silence)
	watchdog := time.AfterFunc(c.o.Silence, func() { cancel(errSilent) })
	defer watchdog.Stop()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url, nil)
	if err != nil {
		return false, err
	}
	res, err := c.client.Do(req)
	if err != nil {
		if cause := context.Cause(ctx); cause == errSilent {
			return false, cause
		}
		return false, scrub(err, c.po.Password)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode == http.StatusUnauthorized:
		return false, fmt.Errorf("%s: HTTP 401: %w", c.po.Camera, ErrAuth)
	case res.StatusCode != http.StatusOK:
		return false, fmt.Errorf("HTTP %s", res.Status)
	}
	_, params, err := mime.ParseMediaType(res.Header.Get("Content-Type"))
	boundary := params["boundary"]
	if err != nil || boundary == "" {
		boundary = "myboundary"
	}
	c.Set(func(s *plate.PullStatus) { s.State = plate.PullStreaming })
	body := &feed{r: res.Body, fed: func() { watchdog.Reset(c.o.Silence) }}
	err = c.consume(newParts(body, boundary))
	if cause := context.Cause(ctx); cause == errSilent {
		err = cause
	}
	return body.n > 0, err
}

// consume hands the stream's reads to the sink until the stream ends. A read waits for the
// picture part after its text part, for PictureWait at most: the parts are read on a goroutine
// of their own so that a camera sending no picture does not hold the read until its next
// heartbeat.
func (c *Client) consume(ps *parts) error {
	type next struct {
		p   part
		err error
	}
	parts := make(chan next)
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			p, err := ps.next()
			select {
			case parts <- next{p, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	var pending []plate.Read // reads of the last text part, waiting for its picture
	wait := time.NewTimer(time.Hour)
	wait.Stop()
	defer wait.Stop()
	flush := func(scene []byte) {
		wait.Stop()
		for _, rd := range pending {
			rd.SceneJPEG = scene
			c.po.Sink(rd)
			c.Set(func(s *plate.PullStatus) { s.Reads++ })
		}
		pending = nil
	}
	for {
		var n next
		select {
		case <-wait.C:
			flush(nil)
			continue
		case n = <-parts:
		}
		p, err := n.p, n.err
		if err != nil {
			flush(nil)
			if err == io.EOF {
				return nil
			}
			return err
		}
		switch {
		case p.heartbeat():
			flush(nil)
		case strings.HasPrefix(p.ctype, "image/"):
			if len(pending) > 0 && isJPEG(p.body) {
				flush(p.body)
			}
		default: // text/plain, or an untyped part
			flush(nil)
			reads, bad := decodeEvents(p.body, c.po.Lane, c.po.Camera, c.po.Now())
			pending = reads
			if len(pending) > 0 {
				wait.Reset(c.o.PictureWait)
			}
			if bad > 0 {
				c.Set(func(s *plate.PullStatus) { s.Rejected += uint64(bad) })
			}
		}
	}
}

// decodeEvents turns a text part into reads of lane and camera; bad counts plate events whose
// plate is not one.
func decodeEvents(text []byte, lane, camera string, now time.Time) (reads []plate.Read, bad int) {
	for _, e := range parseEvents(text) {
		rd, err := e.read(now)
		switch {
		case errors.Is(err, errNotPlate), errors.Is(err, plate.ErrNoPlate):
		case err != nil:
			bad++
		default:
			rd.Lane, rd.Camera, rd.Vendor = lane, camera, Vendor
			reads = append(reads, rd)
		}
	}
	return reads, bad
}

// feed counts what is read and calls fed on every read that gets bytes.
type feed struct {
	r   io.Reader
	fed func()
	n   int64
}

func (f *feed) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if n > 0 {
		f.n += int64(n)
		f.fed()
	}
	return n, err
}

// scrub removes the password from an error's text (a URL with user info would carry it).
func scrub(err error, password string) error {
	if password == "" || !strings.Contains(err.Error(), password) {
		return err
	}
	return errors.New(strings.ReplaceAll(err.Error(), password, "***"))
}

// isJPEG reports whether b is a whole JPEG: SOI, a marker, and EOI at the end (trailing zero
// padding allowed).
func isJPEG(b []byte) bool {
	for len(b) > 0 && b[len(b)-1] == 0 {
		b = b[:len(b)-1]
	}
	return len(b) >= 4 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF && b[len(b)-2] == 0xFF && b[len(b)-1] == 0xD9
}
