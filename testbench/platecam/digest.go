package platecam

import (
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"sync"
)

// digestAuth is the server side of HTTP digest authentication (RFC 7616, MD5, qop "auth"; the
// older form without qop, RFC 2069, is accepted too, as cameras do). Hikvision and Dahua
// cameras demand it on every ISAPI and CGI request.
type digestAuth struct {
	realm, user, password string

	mu     sync.Mutex
	nonces map[string]bool // nonces handed out (a camera forgets them on reboot; we never do)
}

func newDigestAuth(realm, user, password string) *digestAuth {
	return &digestAuth{realm: realm, user: user, password: password, nonces: map[string]bool{}}
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}

// check reports whether r carries a valid digest for the camera's user; when it does not, it
// answers 401 with a fresh challenge.
func (d *digestAuth) check(w http.ResponseWriter, r *http.Request) bool {
	if d.valid(r) {
		return true
	}
	nonce := randomHex(16)
	d.mu.Lock()
	d.nonces[nonce] = true
	d.mu.Unlock()
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Digest realm="%s", qop="auth", nonce="%s", opaque="%s", algorithm=MD5, stale="FALSE"`, d.realm, nonce, randomHex(8)))
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(http.StatusUnauthorized)
	fmt.Fprint(w, "<!DOCTYPE html><html><head><title>Document Error: Unauthorized</title></head><body><h2>Access Error: 401 -- Unauthorized</h2><p>Authentication Error</p></body></html>\n")
	return false
}

func (d *digestAuth) valid(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	scheme, rest, _ := strings.Cut(h, " ")
	if !strings.EqualFold(scheme, "Digest") {
		return false
	}
	p := parseAuthParams(rest)
	d.mu.Lock()
	known := d.nonces[p["nonce"]]
	d.mu.Unlock()
	if !known || p["username"] != d.user || p["realm"] != d.realm || p["uri"] != r.URL.RequestURI() {
		return false
	}
	if alg := p["algorithm"]; alg != "" && !strings.EqualFold(alg, "MD5") {
		return false
	}
	ha1 := md5hex(d.user + ":" + d.realm + ":" + d.password)
	ha2 := md5hex(r.Method + ":" + p["uri"])
	var want string
	switch p["qop"] {
	case "auth":
		want = md5hex(ha1 + ":" + p["nonce"] + ":" + p["nc"] + ":" + p["cnonce"] + ":auth:" + ha2)
	case "":
		want = md5hex(ha1 + ":" + p["nonce"] + ":" + ha2)
	default:
		return false
	}
	return p["response"] == want
}

// parseAuthParams splits `k="v", k2=v2` into a map; quoted values may hold commas.
func parseAuthParams(s string) map[string]string {
	m := map[string]string{}
	for s = strings.TrimSpace(s); s != ""; s = strings.TrimLeft(s, ", ") {
		k, rest, ok := strings.Cut(s, "=")
		if !ok {
			break
		}
		k = strings.ToLower(strings.TrimSpace(k))
		var v string
		if strings.HasPrefix(rest, `"`) {
			end := strings.Index(rest[1:], `"`)
			if end < 0 {
				v, s = rest[1:], ""
			} else {
				v, s = rest[1:end+1], rest[end+2:]
			}
		} else {
			v, s, _ = strings.Cut(rest, ",")
			v = strings.TrimSpace(v)
		}
		m[k] = v
	}
	return m
}
