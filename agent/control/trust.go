package control

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"sitegate/agent/clock"
)

// Fields a signed message carries beside its own.
const (
	SigField     = "sig"        // {"key": base64 public key, "ed25519": base64 signature}
	ExpiresField = "expires_at" // RFC 3339; a signed message is refused after it
)

// SigContext is prefixed to what is signed, so a signature made for anything else never fits.
const SigContext = "sitegate-sig-v1"

// MaxValidity bounds how far in the future a signed message may expire, which bounds the
// replay cache.
const MaxValidity = 31 * 24 * time.Hour

// Errors of Verify, wrapped with details.
var (
	ErrUnsigned   = errors.New("signature required")
	ErrBadSig     = errors.New("bad signature")
	ErrUntrusted  = errors.New("key not trusted")
	ErrExpired    = errors.New("expired")
	ErrReplayed   = errors.New("replayed")
	ErrBadPayload = errors.New("not a JSON object")
	// ErrClock is a signature whose expiry could not be judged because the gateway's clock
	// is not set or not synchronised; the error also wraps what the expiry check said
	// (ErrExpired, or ErrBadSig for an expiry too far ahead).
	ErrClock = errors.New("the gateway's clock cannot be trusted")
)

// clockError is a refused signature that may be fine: the clock it was checked against is not.
type clockError struct {
	problem string // clock.State.Problem
	cause   error
}

func (e clockError) Error() string {
	return e.problem + ": signed messages cannot be checked until it is synchronised (" + e.cause.Error() + ")"
}

func (e clockError) Unwrap() []error { return []error{ErrClock, e.cause} }

// Signature is the sig field of a signed message.
type Signature struct {
	Key     string `json:"key"`
	Ed25519 string `json:"ed25519"`
}

// Canonical is the byte string a signature covers: SigContext, the topic, and the message
// without its sig field, re-encoded with sorted keys, no spaces, numbers kept as written and
// strings escaped only where JSON needs it (no HTML escaping of & < >), exactly as
// docs/control-plane.md says, so that a signer written from the docs in any language agrees.
func Canonical(topic string, payload []byte) ([]byte, map[string]any, error) {
	return canonical(topic, payload, false)
}

// canonical is Canonical; with escapeHTML, the form earlier releases signed (json.Marshal,
// which writes & < > as \u0026 \u003c \u003e), still accepted by Verify for a transition.
func canonical(topic string, payload []byte, escapeHTML bool) ([]byte, map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, nil, ErrBadPayload
	}
	if dec.More() {
		return nil, nil, ErrBadPayload
	}
	sig := m[SigField]
	delete(m, SigField)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(m); err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrBadPayload, err)
	}
	body := bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
	if sig != nil {
		m[SigField] = sig
	}
	return append([]byte(SigContext+"\n"+topic+"\n"), body...), m, nil
}

// Sign adds expires_at and sig to payload (a JSON object) for topic, with priv.
func Sign(priv ed25519.PrivateKey, topic string, payload []byte, expires time.Time) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(payload))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil || m == nil {
		return nil, ErrBadPayload
	}
	delete(m, SigField)
	m[ExpiresField] = expires.UTC().Format(time.RFC3339)
	body, err := json.Marshal(m)
	if err != nil {
		return nil, err
	}
	msg, _, err := Canonical(topic, body)
	if err != nil {
		return nil, err
	}
	m[SigField] = Signature{
		Key:     base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey)),
		Ed25519: base64.StdEncoding.EncodeToString(ed25519.Sign(priv, msg)),
	}
	return json.Marshal(m)
}

// Trust checks signatures against the trusted keys. With no keys every message is accepted
// unchecked (the local file chose not to require signatures).
type Trust struct {
	keys  [][]byte
	now   func() time.Time
	clock clock.Source
}

// NewTrust parses base64 ed25519 public keys. now is the clock (nil: time.Now).
func NewTrust(keys []string, now func() time.Time) (*Trust, error) {
	if now == nil {
		now = time.Now
	}
	t := &Trust{now: now}
	for i, k := range keys {
		b, err := base64.StdEncoding.DecodeString(k)
		if err != nil || len(b) != ed25519.PublicKeySize {
			return nil, fmt.Errorf("control.trusted_keys[%d]: not a base64 ed25519 public key", i)
		}
		t.keys = append(t.keys, b)
	}
	return t, nil
}

// WithClock has Verify ask src whether the clock is synchronised before it refuses a
// signature for its expiry, so that the refusal names the clock; without it only a clock
// before clock.SaneEpoch is named.
func (t *Trust) WithClock(src clock.Source) *Trust {
	t.clock = src
	return t
}

// clockProblem is what is wrong with the clock at now, "" when nothing is known to be.
func (t *Trust) clockProblem(now time.Time) string {
	st := clock.State{Synced: true, Now: now}
	if t.clock != nil {
		st = t.clock.State()
		st.Now = now
	}
	return st.Problem()
}

// Required reports whether messages must be signed.
func (t *Trust) Required() bool { return t != nil && len(t.keys) > 0 }

// Verify checks payload, received on topic. It returns the message's expiry (zero when
// signatures are not required).
func (t *Trust) Verify(topic string, payload []byte) (time.Time, error) {
	if !t.Required() {
		return time.Time{}, nil
	}
	msg, m, err := Canonical(topic, payload)
	if err != nil {
		return time.Time{}, err
	}
	rawSig, ok := m[SigField]
	if !ok {
		return time.Time{}, ErrUnsigned
	}
	sb, _ := json.Marshal(rawSig)
	var sig Signature
	if err := json.Unmarshal(sb, &sig); err != nil {
		return time.Time{}, fmt.Errorf("%w: sig is not {key, ed25519}", ErrBadSig)
	}
	key, err := base64.StdEncoding.DecodeString(sig.Key)
	if err != nil || len(key) != ed25519.PublicKeySize {
		return time.Time{}, fmt.Errorf("%w: sig.key is not a public key", ErrBadSig)
	}
	trusted := false
	for _, k := range t.keys {
		if bytes.Equal(k, key) {
			trusted = true
		}
	}
	if !trusted {
		return time.Time{}, ErrUntrusted
	}
	s, err := base64.StdEncoding.DecodeString(sig.Ed25519)
	if err != nil {
		return time.Time{}, ErrBadSig
	}
	if !ed25519.Verify(key, msg, s) {
		// Transition: earlier signers HTML-escaped & < > (Go's json.Marshal). That form
		// encodes the same message, so a signature over it vouches for the same content; it is
		// tried only when it differs. Signed messages live at most MaxValidity, after which
		// this fallback can go.
		old, _, err := canonical(topic, payload, true)
		if err != nil || bytes.Equal(old, msg) || !ed25519.Verify(key, old, s) {
			return time.Time{}, ErrBadSig
		}
	}
	es, _ := m[ExpiresField].(string)
	exp, err := time.Parse(time.RFC3339, es)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: %s must be an RFC 3339 time", ErrBadSig, ExpiresField)
	}
	now := t.now()
	var expiry error
	switch {
	case !now.Before(exp):
		expiry = fmt.Errorf("%w at %s", ErrExpired, es)
	case exp.Sub(now) > MaxValidity:
		expiry = fmt.Errorf("%w: %s is more than %s ahead", ErrBadSig, ExpiresField, MaxValidity)
	default:
		return exp, nil
	}
	// A gateway booted in 1970 sees every signature as too far ahead, one whose clock runs
	// ahead sees it expired: say it is the clock, not the message.
	if p := t.clockProblem(now); p != "" {
		return time.Time{}, clockError{problem: p, cause: expiry}
	}
	return time.Time{}, expiry
}

// Replay remembers request ids until they expire and refuses one seen before. It is bounded:
// when full, the request is refused rather than an unexpired id forgotten. A cache opened on a
// Store (OpenReplay) keeps its ids there, so a request captured before a restart is still
// refused after it.
type Replay struct {
	mu    sync.Mutex
	max   int
	seen  map[string]time.Time
	store *Store
}

// ReplayFile is the Store file of the replay cache.
const ReplayFile = "replay.json"

// DefaultReplayMax is how many live signed request ids a gateway remembers.
const DefaultReplayMax = 4096

// replayState is ReplayFile: each remembered id and its expiry.
type replayState struct {
	IDs map[string]time.Time `json:"ids"`
}

// NewReplay returns a cache of at most max ids, in memory only.
func NewReplay(max int) *Replay { return &Replay{max: max, seen: map[string]time.Time{}} }

// OpenReplay returns a cache of at most max ids kept in s: the ids a previous run recorded that
// have not expired at now are refused again. An unreadable file is returned as the error with
// a working, empty cache (that still saves to s), for the caller to log.
func OpenReplay(s Store, max int, now time.Time) (*Replay, error) {
	r := NewReplay(max)
	r.store = &s
	b, err := s.Load(ReplayFile)
	if err != nil || b == nil {
		return r, err
	}
	var st replayState
	if err := json.Unmarshal(b, &st); err != nil {
		return r, fmt.Errorf("control store %s: %w", ReplayFile, err)
	}
	for id, e := range st.IDs {
		if now.Before(e) {
			r.seen[id] = e
		}
	}
	r.trim()
	return r, nil
}

// trim keeps the max ids that expire last, should a file hold more (a smaller max than the
// run that wrote it).
func (r *Replay) trim() {
	if len(r.seen) <= r.max {
		return
	}
	ids := make([]string, 0, len(r.seen))
	for id := range r.seen {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return r.seen[ids[i]].After(r.seen[ids[j]]) })
	for _, id := range ids[r.max:] {
		delete(r.seen, id)
	}
}

// Check records id until expires and reports ErrReplayed if it was seen before. A cache on a
// Store writes the id down before it reports it new, pruning the expired ones; when that
// fails the request is refused, since running it would let it be replayed after a restart.
func (r *Replay) Check(id string, expires, now time.Time) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if e, ok := r.seen[id]; ok && now.Before(e) {
		return fmt.Errorf("%w: request %q was already run (remembered until %s)", ErrReplayed, id, e.UTC().Format(time.RFC3339))
	}
	if len(r.seen) >= r.max || r.store != nil {
		r.prune(now)
		if len(r.seen) >= r.max {
			return fmt.Errorf("%w: too many live signed requests", ErrReplayed)
		}
	}
	r.seen[id] = expires
	if r.store == nil {
		return nil
	}
	b, err := json.Marshal(replayState{IDs: r.seen})
	if err == nil {
		err = r.store.Save(ReplayFile, b)
	}
	if err != nil {
		return fmt.Errorf("replay cache not saved, so the request is not run: %w", err)
	}
	return nil
}

func (r *Replay) prune(now time.Time) {
	for k, e := range r.seen {
		if !now.Before(e) {
			delete(r.seen, k)
		}
	}
}
