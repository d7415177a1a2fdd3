package console

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"sync"
	"time"
)

// maxSessions bounds the sessions kept; the oldest goes first.
const maxSessions = 256

// session is one login.
type session struct {
	token   string
	user    string
	role    string
	csrf    string
	expires time.Time
}

// sessions are the logins in force, by token; they live in memory only (a restart logs
// everyone out).
type sessions struct {
	ttl time.Duration
	now func() time.Time

	mu sync.Mutex
	m  map[string]*session
}

func newSessions(ttl time.Duration, now func() time.Time) *sessions {
	return &sessions{ttl: ttl, now: now, m: map[string]*session{}}
}

// randomToken is 32 random bytes, base64url.
func randomToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return base64.RawURLEncoding.EncodeToString(b)
}

// start makes a session for user.
func (s *sessions) start(user, role string) *session {
	ss := &session{token: randomToken(), user: user, role: role, csrf: randomToken(), expires: s.now().Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.prune()
	for len(s.m) >= maxSessions {
		var oldest *session
		for _, o := range s.m {
			if oldest == nil || o.expires.Before(oldest.expires) {
				oldest = o
			}
		}
		delete(s.m, oldest.token)
	}
	s.m[ss.token] = ss
	return ss
}

// get returns the session of token while it has not expired.
func (s *sessions) get(token string) (*session, bool) {
	if token == "" {
		return nil, false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ss, ok := s.m[token]
	if !ok {
		return nil, false
	}
	if !s.now().Before(ss.expires) {
		delete(s.m, token)
		return nil, false
	}
	return ss, true
}

func (s *sessions) end(token string) {
	s.mu.Lock()
	delete(s.m, token)
	s.mu.Unlock()
}

// keepOnly ends the sessions of users no longer valid (removed from the users file, or
// their role changed).
func (s *sessions) keepOnly(valid func(user, role string) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for t, ss := range s.m {
		if !valid(ss.user, ss.role) {
			delete(s.m, t)
		}
	}
}

func (s *sessions) prune() {
	now := s.now()
	for t, ss := range s.m {
		if !now.Before(ss.expires) {
			delete(s.m, t)
		}
	}
}

// sameToken compares two secrets in constant time.
func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// limiter refuses logins from a client address or for a user name after too many failures in
// a window: a guesser gets maxFailures tries per window, a technician who mistypes a few
// times is not locked out for long.
type limiter struct {
	max    int
	window time.Duration
	now    func() time.Time

	mu   sync.Mutex
	fail map[string][]time.Time
}

func newLimiter(max int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{max: max, window: window, now: now, fail: map[string][]time.Time{}}
}

// maxLimiterKeys bounds the addresses and names remembered; past it the oldest are forgotten.
const maxLimiterKeys = 4096

// blocked reports whether key has used up its tries, and when it may try again.
func (l *limiter) blocked(key string) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	ts := l.recent(key)
	if len(ts) < l.max {
		return false, 0
	}
	return true, ts[0].Add(l.window).Sub(l.now())
}

func (l *limiter) failed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.fail) >= maxLimiterKeys {
		for k := range l.fail {
			l.recent(k) // forgets the keys whose failures are all out of the window
		}
		if len(l.fail) >= maxLimiterKeys {
			// Thousands of names or addresses failing at once: start afresh rather than
			// grow; the other limit (by address, by name) still holds.
			clear(l.fail)
		}
	}
	ts := append(l.recent(key), l.now())
	if len(ts) > l.max {
		ts = ts[len(ts)-l.max:]
	}
	l.fail[key] = ts
}

func (l *limiter) succeeded(key string) {
	l.mu.Lock()
	delete(l.fail, key)
	l.mu.Unlock()
}

// recent drops key's failures older than the window; l.mu is held.
func (l *limiter) recent(key string) []time.Time {
	ts := l.fail[key]
	cut := l.now().Add(-l.window)
	i := 0
	for i < len(ts) && !ts[i].After(cut) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.fail, key)
		return nil
	}
	l.fail[key] = ts
	return ts
}
