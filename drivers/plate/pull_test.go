package plate_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sitegate/drivers/plate"
)

// fakePull holds GET {url}/events, a stream of one plate per line, as Hikvision's alertStream
// and Dahua's snapManager are held: when the stream ends it reconnects after a short backoff.
type fakePull struct {
	o plate.PullOptions

	mu sync.Mutex
	st plate.PullStatus
}

func newFakePull(o plate.PullOptions) (plate.PullClient, error) {
	if !strings.HasPrefix(o.URL, "http://") {
		return nil, fmt.Errorf("url %q is not http://", o.URL)
	}
	return &fakePull{o: o, st: plate.PullStatus{Camera: o.Camera, Vendor: "fakepull", State: plate.PullConnecting}}, nil
}

func init() { plate.RegisterPull("fakepull", newFakePull) }

func (c *fakePull) set(f func(*plate.PullStatus)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.st)
}

func (c *fakePull) Status() plate.PullStatus {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st
}

func (c *fakePull) Run(ctx context.Context) error {
	for first := true; ; first = false {
		if !first {
			c.set(func(s *plate.PullStatus) { s.Reconnects++ })
		}
		err := c.stream(ctx)
		if ctx.Err() != nil {
			c.set(func(s *plate.PullStatus) { s.State = plate.PullDown })
			return nil
		}
		c.set(func(s *plate.PullStatus) { s.State, s.LastError = plate.PullDown, fmt.Sprint(err) })
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func (c *fakePull) stream(ctx context.Context) error {
	c.set(func(s *plate.PullStatus) { s.State = plate.PullConnecting })
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.o.URL+"/events", nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(c.o.Username, c.o.Password)
	client := c.o.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	c.set(func(s *plate.PullStatus) { s.State = plate.PullStreaming })
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		text, err := plate.NormalizePlate(sc.Text())
		if err != nil {
			c.set(func(s *plate.PullStatus) { s.Rejected++ })
			continue
		}
		c.o.Sink(plate.Read{Lane: c.o.Lane, Plate: text, Time: c.o.Now(), Vendor: "fakepull"})
		c.set(func(s *plate.PullStatus) { s.Reads++ })
	}
	if err := sc.Err(); err != nil {
		return err
	}
	return errors.New("stream ended")
}

func TestPullClientReconnects(t *testing.T) {
	var mu sync.Mutex
	conns := 0
	hold := make(chan struct{})
	defer close(hold)
	cam := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, _ := r.BasicAuth(); r.URL.Path != "/events" || u != "admin" || p != "secret" {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		conns++
		n := conns
		mu.Unlock()
		if n == 1 {
			fmt.Fprint(w, "浙F12345\nnot a plate\n京AD12345\n") // then the stream ends
			return
		}
		fmt.Fprint(w, "沪A1234挂\n")
		w.(http.Flusher).Flush()
		select { // held open until the test ends
		case <-hold:
		case <-r.Context().Done():
		}
	}))
	defer cam.Close()

	var reads []plate.Read
	got := make(chan struct{}, 8)
	c, err := plate.NewPull("fakepull", plate.PullOptions{Camera: "front", Lane: "exit-1", URL: cam.URL,
		Username: "admin", Password: "secret", Logger: quiet,
		Now:  func() time.Time { return received },
		Sink: func(r plate.Read) { mu.Lock(); reads = append(reads, r); mu.Unlock(); got <- struct{}{} }})
	if err != nil {
		t.Fatal(err)
	}
	if st := c.Status(); st.State != plate.PullConnecting || st.Camera != "front" {
		t.Errorf("status before Run %+v: a factory must not connect", st)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	for range 3 {
		select {
		case <-got:
		case <-time.After(10 * time.Second):
			t.Fatalf("status %+v: not three reads", c.Status())
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for c.Status().State != plate.PullStreaming && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	st := c.Status()
	if st.State != plate.PullStreaming || st.Reads != 3 || st.Rejected != 1 || st.Reconnects != 1 || st.LastError != "stream ended" {
		t.Errorf("status %+v", st)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
	mu.Lock()
	defer mu.Unlock()
	var plates []string
	for _, r := range reads {
		if r.Lane != "exit-1" || r.Vendor != "fakepull" || !r.Time.Equal(received) {
			t.Errorf("read %+v", r)
		}
		plates = append(plates, r.Plate)
	}
	if want := []string{"浙F12345", "京AD12345", "沪A1234挂"}; !slices.Equal(plates, want) {
		t.Errorf("plates %q, want %q", plates, want)
	}
}

func TestNewPull(t *testing.T) {
	sink := func(plate.Read) {}
	cases := []struct {
		name, vendor string
		opts         plate.PullOptions
		errHas       string
	}{
		{"unknown vendor", "nope", plate.PullOptions{Camera: "front", URL: "http://cam", Sink: sink}, `plate camera front: vendor "nope" has no pull mode (pull: fakepull)`},
		{"no sink", "fakepull", plate.PullOptions{Camera: "front", URL: "http://cam"}, "no sink"},
		{"bad options", "fakepull", plate.PullOptions{Camera: "front", URL: "ftp://cam", Sink: sink}, `plate camera front (fakepull): url "ftp://cam" is not http://`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := plate.NewPull(tc.vendor, tc.opts); err == nil || !strings.Contains(err.Error(), tc.errHas) {
				t.Fatalf("NewPull = %v, want an error containing %q", err, tc.errHas)
			}
		})
	}
	if vs := plate.PullVendors(); !slices.Equal(vs, []string{"fakepull"}) {
		t.Errorf("PullVendors() = %v", vs)
	}
	defer func() {
		if recover() == nil {
			t.Error("a second RegisterPull of a vendor did not panic")
		}
	}()
	plate.RegisterPull("fakepull", newFakePull)
}

// TestPullTrackerRun: the loop counts reconnects and keeps the last error; after refused
// credentials it waits the auth backoff (an hour here: no third attempt comes before ctx ends);
// it returns once ctx is done.
func TestPullTrackerRun(t *testing.T) {
	errAuth := errors.New("camera refused the credentials")
	tr := plate.NewPullTracker("front", "x")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	calls := 0
	hold := func(context.Context) (bool, error) {
		calls++
		if calls == 1 {
			return true, errors.New("stream silent")
		}
		return false, errAuth
	}
	b := plate.Backoff{Min: time.Millisecond, Max: 2 * time.Millisecond, Auth: time.Hour,
		IsAuth: func(err error) bool { return errors.Is(err, errAuth) }}
	done := make(chan error, 1)
	go func() { done <- tr.Run(ctx, b, slog.New(slog.DiscardHandler), hold) }()
	deadline := time.Now().Add(10 * time.Second)
	for tr.Status().LastError != errAuth.Error() {
		if time.Now().After(deadline) {
			t.Fatalf("status %+v", tr.Status())
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st := tr.Status()
	if calls != 2 || st.Reconnects != 1 || st.State != plate.PullDown {
		t.Fatalf("%d attempts, status %+v", calls, st)
	}
}
