package platecam

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// RecordedRequest is one request a camera made, as a line of a recording (line-delimited JSON,
// one object per request, in arrival order). Body holds the body when it is valid UTF-8,
// BodyBase64 otherwise (pictures). A recording never holds credentials: the Authorization
// header is left out, and the values of the Vzenith heartbeat's user_name and pass_wd fields
// are emptied (Content-Length is then the stored body's).
type RecordedRequest struct {
	Time       time.Time           `json:"time"`
	Method     string              `json:"method"`
	Path       string              `json:"path"` // with the query, as on the request line
	Remote     string              `json:"remote,omitempty"`
	Header     map[string][]string `json:"header"`
	Body       string              `json:"body,omitempty"`
	BodyBase64 []byte              `json:"body_base64,omitempty"`
}

// Bytes is the request's body.
func (r RecordedRequest) Bytes() []byte {
	if r.BodyBase64 != nil {
		return r.BodyBase64
	}
	return []byte(r.Body)
}

// secretHeaders are never recorded.
var secretHeaders = []string{"Authorization", "Proxy-Authorization", "Cookie"}

// secretFields are form fields whose values are never recorded.
var secretFields = map[string]bool{"user_name": true, "pass_wd": true, "password": true, "passwd": true}

// Recorder is an http.Handler that writes every request to a recording and answers as a
// listener that only listens would: 200 "OK", and to a Vzenith push
// {"Response_AlarmInfoPlate":{"info":"no"}} (never "ok", which would open the barrier), with
// ContinuePushOffline for an offline record so that the camera sends its whole backlog, and to
// a Vzenith heartbeat {"status":"ok"}.
type Recorder struct {
	mu  sync.Mutex
	w   io.Writer
	n   int
	err error
	// OnRequest, when not nil, sees each request as it is recorded.
	OnRequest func(RecordedRequest)
	// MaxBody is the largest body recorded (default 16 MiB); a larger one is answered 413.
	MaxBody int64
}

// NewRecorder makes a Recorder writing to w.
func NewRecorder(w io.Writer) *Recorder { return &Recorder{w: w} }

// Count is the number of requests recorded.
func (rec *Recorder) Count() int { rec.mu.Lock(); defer rec.mu.Unlock(); return rec.n }

// Err is the first error writing the recording.
func (rec *Recorder) Err() error { rec.mu.Lock(); defer rec.mu.Unlock(); return rec.err }

func (rec *Recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	limit := rec.MaxBody
	if limit == 0 {
		limit = 16 << 20
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, limit+1))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if int64(len(body)) > limit {
		http.Error(w, "too large", http.StatusRequestEntityTooLarge)
		return
	}
	rr := recordOf(r, body, time.Now())
	line, _ := json.Marshal(rr)
	rec.mu.Lock()
	if rec.err == nil {
		if _, err := rec.w.Write(append(line, '\n')); err != nil {
			rec.err = err
		}
	}
	rec.n++
	rec.mu.Unlock()
	if rec.OnRequest != nil {
		rec.OnRequest(rr)
	}
	answerAsListener(w, r, body)
}

// recordOf turns a request into its recording, without credentials.
func recordOf(r *http.Request, body []byte, at time.Time) RecordedRequest {
	h := r.Header.Clone()
	for _, k := range secretHeaders {
		h.Del(k)
	}
	body = scrubBody(h.Get("Content-Type"), body)
	if r.ContentLength >= 0 {
		h.Set("Content-Length", strconv.Itoa(len(body)))
	}
	if r.Host != "" {
		h.Set("Host", r.Host)
	}
	u := *r.URL
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if secretFields[strings.ToLower(k)] {
				q.Set(k, "")
			}
		}
		u.RawQuery = q.Encode()
	}
	rr := RecordedRequest{Time: at, Method: r.Method, Path: u.RequestURI(), Remote: r.RemoteAddr, Header: h}
	if utf8.Valid(body) {
		rr.Body = string(body)
	} else {
		rr.BodyBase64 = body
	}
	return rr
}

var partName = regexp.MustCompile(`(?i)\bname\s*=\s*"?([^";\r\n]+)"?`)

// scrubBody empties the secret fields of a form body (multipart or urlencoded), leaving every
// other byte as it came.
func scrubBody(contentType string, body []byte) []byte {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return body
	}
	switch mt {
	case "application/x-www-form-urlencoded":
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return body
		}
		changed := false
		for k := range q {
			if secretFields[strings.ToLower(k)] {
				q.Set(k, "")
				changed = true
			}
		}
		if changed {
			return []byte(q.Encode())
		}
	case "multipart/form-data":
		delim := []byte("--" + params["boundary"])
		if len(delim) == 2 {
			return body
		}
		segs := bytes.Split(body, delim)
		for i, seg := range segs[1:] {
			end := bytes.Index(seg, []byte("\r\n\r\n"))
			if end < 0 {
				continue
			}
			m := partName.FindSubmatch(seg[:end])
			if m == nil || !secretFields[strings.ToLower(string(m[1]))] {
				continue
			}
			tail := []byte{}
			if bytes.HasSuffix(seg, []byte("\r\n")) {
				tail = []byte("\r\n")
			}
			segs[i+1] = append(append([]byte{}, seg[:end+4]...), tail...)
		}
		return bytes.Join(segs, delim)
	}
	return body
}

// answerAsListener answers a camera as a listener that takes the read and decides nothing.
func answerAsListener(w http.ResponseWriter, r *http.Request, body []byte) {
	var doc struct {
		A *struct {
			Result struct {
				P struct {
					PlateID   flexInt `json:"plateid"`
					IsOffline flexInt `json:"isoffline"`
				} `json:"PlateResult"`
			} `json:"result"`
		} `json:"AlarmInfoPlate"`
	}
	if json.Unmarshal(body, &doc) == nil && doc.A != nil {
		w.Header().Set("Content-Type", "application/json")
		if doc.A.Result.P.IsOffline == 1 {
			fmt.Fprintf(w, `{"Response_AlarmInfoPlate":{"info":"no","ContinuePushOffline":{"plateid":%d,"continue":1}}}`, doc.A.Result.P.PlateID)
			return
		}
		io.WriteString(w, `{"Response_AlarmInfoPlate":{"info":"no"}}`)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" && bytes.Contains(body, []byte(`name="device_name"`)) {
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"status":"ok"}`) // a Vzenith heartbeat: nothing to do
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "OK")
}

// ReadRecording reads a recording's requests.
func ReadRecording(file string) ([]RecordedRequest, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []RecordedRequest
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var r RecordedRequest
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return out, fmt.Errorf("%s:%d: %w", file, n, err)
		}
		out = append(out, r)
	}
	if err := sc.Err(); err != nil {
		return out, fmt.Errorf("%s: %w", file, err)
	}
	return out, nil
}

// ReplayAnswer is what the listener answered to one replayed request.
type ReplayAnswer struct {
	Request RecordedRequest
	Status  int
	Body    []byte
}

// replayDrop are the headers the transport sets itself.
var replayDrop = []string{"Host", "Content-Length", "Connection", "Transfer-Encoding", "Accept-Encoding", "Authorization"}

// Replay re-sends a recording's requests, one after another, to a listener at targetURL: its
// scheme and host replace the recorded ones, and its path, unless empty or "/", replaces each
// request's path (a capture from a camera set up for one lane replayed at another's endpoint).
// Bodies and headers go as recorded. It returns the answers; any status is an answer, only a
// failed exchange is an error.
func Replay(file, targetURL string) ([]ReplayAnswer, error) {
	reqs, err := ReadRecording(file)
	if err != nil {
		return nil, err
	}
	base, err := url.Parse(targetURL)
	if err != nil {
		return nil, fmt.Errorf("replay %s: %w", targetURL, err)
	}
	var out []ReplayAnswer
	for _, rr := range reqs {
		u := *base
		if base.Path == "" || base.Path == "/" {
			p, err := url.Parse(rr.Path)
			if err != nil {
				return out, fmt.Errorf("replay %s: %w", rr.Path, err)
			}
			u.Path, u.RawPath, u.RawQuery = p.Path, p.RawPath, p.RawQuery
		}
		req, err := http.NewRequest(rr.Method, u.String(), bytes.NewReader(rr.Bytes()))
		if err != nil {
			return out, fmt.Errorf("replay %s: %w", u.String(), err)
		}
		for k, vs := range rr.Header {
			req.Header[http.CanonicalHeaderKey(k)] = append([]string(nil), vs...)
		}
		for _, k := range replayDrop {
			req.Header.Del(k)
		}
		resp, err := Client.Do(req)
		if err != nil {
			return out, fmt.Errorf("replay %s: %w", u.String(), err)
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		out = append(out, ReplayAnswer{Request: rr, Status: resp.StatusCode, Body: b})
	}
	return out, nil
}
