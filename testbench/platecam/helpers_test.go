package platecam

import (
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

// digestGet is the receiving side's digest client, written for the tests: it takes the 401's
// challenge and answers it (RFC 7616, MD5, qop auth).
func digestDo(t *testing.T, method, url, user, password string, body string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusUnauthorized {
		return resp
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	ch := parseAuthParams(strings.TrimPrefix(resp.Header.Get("WWW-Authenticate"), "Digest "))
	uri := req.URL.RequestURI()
	h := func(s string) string { x := md5.Sum([]byte(s)); return hex.EncodeToString(x[:]) }
	ha1 := h(user + ":" + ch["realm"] + ":" + password)
	ha2 := h(method + ":" + uri)
	cnonce, nc := "0a4f113b", "00000001"
	response := h(ha1 + ":" + ch["nonce"] + ":" + nc + ":" + cnonce + ":auth:" + ha2)
	req, _ = http.NewRequest(method, url, strings.NewReader(body))
	req.Header.Set("Authorization", fmt.Sprintf(`Digest username="%s", realm="%s", nonce="%s", uri="%s", algorithm=MD5, qop=auth, nc=%s, cnonce="%s", response="%s", opaque="%s"`,
		user, ch["realm"], ch["nonce"], uri, nc, cnonce, response, ch["opaque"]))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// waitFor polls cond until it holds or 5 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// partReader returns a function that reads the stream's next part whole, checking its
// Content-Length.
func partReader(t *testing.T, mr *multipart.Reader) func() (*multipart.Part, []byte) {
	return func() (*multipart.Part, []byte) {
		t.Helper()
		p, err := mr.NextPart()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(p)
		if n, _ := strconv.Atoi(p.Header.Get("Content-Length")); n != len(b) {
			t.Fatalf("Content-Length %s, %d bytes", p.Header.Get("Content-Length"), len(b))
		}
		return p, b
	}
}
