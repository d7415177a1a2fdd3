package control

import (
	"encoding/base64"
	"errors"
	"strings"
	"testing"
	"time"

	"sitegate/agent/clock"
)

// TestVerifyNamesTheClock: a signature refused for its expiry while the gateway's clock is not
// set or not synchronised says it is the clock; with a good clock the refusal is as before.
func TestVerifyNamesTheClock(t *testing.T) {
	pub, priv := keys(t)
	const topic = "sitegate/v1/s1/gw-01/config/desired"
	real := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	signed, err := Sign(priv, topic, []byte(`{"version":3,"config":{}}`), real.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		now    time.Time
		clock  clock.Source // nil: judged by the year alone
		wantIs []error
		want   string // in the message
	}{
		{"booted in 1970", time.Unix(90, 0), nil, []error{ErrClock, ErrBadSig},
			"the gateway's clock is not set (1970-01-01T00:01:30Z): signed messages cannot be checked until it is synchronised"},
		{"booted in 1970, kernel asked", time.Unix(90, 0), clock.NewFake(false, time.Unix(90, 0)), []error{ErrClock, ErrBadSig},
			"the gateway's clock is not set (1970-01-01T00:01:30Z): signed messages cannot be checked"},
		{"unsynchronised clock running ahead", real.Add(48 * time.Hour), clock.NewFake(false, real), []error{ErrClock, ErrExpired},
			"the gateway's clock is not synchronised (2026-11-29T12:00:00Z, fake): signed messages cannot be checked"},
		{"synchronised clock, really expired", real.Add(48 * time.Hour), clock.NewFake(true, real), []error{ErrExpired}, "expired at"},
		{"unsynchronised clock, signature good", real, clock.NewFake(false, real), nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tr, err := NewTrust([]string{base64.StdEncoding.EncodeToString(pub)}, func() time.Time { return c.now })
			if err != nil {
				t.Fatal(err)
			}
			if c.clock != nil {
				tr.WithClock(c.clock)
			}
			_, err = tr.Verify(topic, signed)
			if c.wantIs == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, w := range c.wantIs {
				if !errors.Is(err, w) {
					t.Errorf("error %v is not %v", err, w)
				}
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to say %q", err, c.want)
			}
			if c.wantIs[0] != ErrClock && errors.Is(err, ErrClock) {
				t.Errorf("a good clock blamed: %v", err)
			}
		})
	}
}
