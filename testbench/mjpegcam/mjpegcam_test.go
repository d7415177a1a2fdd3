package mjpegcam

import (
	"bytes"
	"mime"
	"mime/multipart"
	"net/http"
	"testing"
	"time"
)

// TestStreamShowDown: the stream carries the shown picture, a new picture from a later frame on;
// down, the stream ends and a new request gets 503; back up, it streams again.
func TestStreamShowDown(t *testing.T) {
	c, err := Start([]byte("first"), 10*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	resp, err := http.Get(c.URL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	_, params, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil || params["boundary"] == "" {
		t.Fatalf("content type %q: %v", resp.Header.Get("Content-Type"), err)
	}
	r := multipart.NewReader(resp.Body, params["boundary"])
	next := func() ([]byte, error) {
		p, err := r.NextPart()
		if err != nil {
			return nil, err
		}
		var b bytes.Buffer
		_, err = b.ReadFrom(p)
		return b.Bytes(), err
	}
	if b, err := next(); err != nil || string(b) != "first" {
		t.Fatalf("first part %q, %v", b, err)
	}
	c.Show([]byte("second"))
	for i := 0; ; i++ {
		b, err := next()
		if err != nil {
			t.Fatal(err)
		}
		if string(b) == "second" {
			break
		}
		if string(b) != "first" || i > 100 {
			t.Fatalf("part %q", b)
		}
	}
	c.SetDown(true)
	for {
		if _, err := next(); err != nil {
			break
		}
	}
	if resp, err := http.Get(c.URL()); err != nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("down camera answered %v, %v", resp, err)
	}
	c.SetDown(false)
	resp2, err := http.Get(c.URL())
	if err != nil || resp2.StatusCode != http.StatusOK {
		t.Fatalf("camera back up answered %v, %v", resp2, err)
	}
	resp2.Body.Close()
}
