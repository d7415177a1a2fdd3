package config

import (
	"strings"
	"testing"
	"time"

	_ "sitegate/drivers/indicator/all"
	"sitegate/drivers/indicator/ascii"
)

const laneBase = `site: s
gateway: g
lanes:
  - id: exit-1
    scale:
`

func parseScale(t *testing.T, scale string) (*Config, error) {
	t.Helper()
	return Parse([]byte(laneBase+scale), t.TempDir())
}

func TestIndicatorProfiles(t *testing.T) {
	cases := []struct {
		name, scale             string
		protocol, framing, addr string
		baud                    int
	}{
		{"profile only", "      port: /dev/ttyUSB0\n      indicator: toledo-ind\n", "toledo-cont", "7E1", "A", 9600},
		{"lane key wins", "      port: /dev/ttyUSB0\n      indicator: toledo-ind\n      baud: 4800\n", "toledo-cont", "7E1", "A", 4800},
		{"polled profile", "      port: usb:1a86:7523\n      indicator: xk3118k9\n      address: C\n", "yaohua-cmd", "8N1", "C", 9600},
		{"no profile", "      port: /dev/ttyUSB0\n", "yaohua-tf0", "8N1", "A", 9600},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := parseScale(t, c.scale)
			if err != nil {
				t.Fatal(err)
			}
			s := cfg.Lanes[0].Scale
			if s.Protocol != c.protocol || s.Framing != c.framing || s.Baud != c.baud || s.Address != c.addr {
				t.Errorf("scale = %+v", s)
			}
			if s.Backend != "bugst" || s.PollInterval.D() != 200*time.Millisecond || s.ReplyTimeout.D() != 500*time.Millisecond {
				t.Errorf("defaults not applied: %+v", s)
			}
		})
	}
	cfg, err := parseScale(t, "      port: /dev/ttyS0\n      indicator: xk3118t1\n")
	if err != nil {
		t.Fatal(err)
	}
	if a, _ := cfg.Lanes[0].Scale.ProtocolProfiles["ascii"].(ascii.Profile); a.Terminator != "=" || !a.Reverse || a.Pattern == "" {
		t.Errorf("xk3118t1 ascii profile = %+v", a)
	}
	if o := cfg.Lanes[0].Scale.IndicatorOptions(); o.Profile != cfg.Lanes[0].Scale.ProtocolProfiles["ascii"] || o.PollInterval != 200*time.Millisecond {
		t.Errorf("IndicatorOptions = %+v", o)
	}
	for _, p := range IndicatorProfiles() {
		if p.Protocol == "" || p.Baud == 0 || p.Framing == "" || p.About == "" {
			t.Errorf("profile %s is incomplete: %+v", p.Name, p)
		}
		if _, err := parseScale(t, "      port: /dev/ttyS0\n      indicator: "+p.Name+"\n"); err != nil {
			t.Errorf("profile %s does not validate: %v", p.Name, err)
		}
	}
}

func TestScaleProblems(t *testing.T) {
	cases := []struct{ scale, want string }{
		{"      port: /dev/ttyS0\n      indicator: xk9999\n", "lanes[0].scale.indicator: \"xk9999\" is not a known indicator"},
		{"      port: usb:1a86\n", "lanes[0].scale.port:"},
		{"      port: /dev/ttyS0\n      backend: rxtx\n", "lanes[0].scale.backend: \"rxtx\" is not bugst or tarm"},
		{"      port: /dev/ttyS0\n      backend: tarm\n      framing: 8M1\n", "lanes[0].scale.framing: \"8M1\": the tarm backend"},
		{"      port: /dev/ttyS0\n      protocol: yaohua-cmd\n      address: a1\n", "lanes[0].scale.address:"},
		{"      port: /dev/ttyS0\n      poll_interval: 1ms\n", "lanes[0].scale.poll_interval:"},
		{"      port: /dev/ttyS0\n      protocol: mt-sics\n      reply_timeout: 40s\n", "lanes[0].scale.reply_timeout: 40s must be shorter than silence_timeout"},
		{"      port: /dev/ttyS0\n      protocol: ascii\n", "lanes[0].scale.ascii.pattern: must be set"},
		{"      port: /dev/ttyS0\n      protocol: ascii\n      ascii: {pattern: '([0-9]+)'}\n", "lanes[0].scale.ascii.pattern: \"([0-9]+)\" has no group named w"},
		{"      port: /dev/ttyS0\n      protocol: ascii\n      ascii: {pattern: '(?P<w>', unit: oz, scale: 0}\n", "lanes[0].scale.ascii.unit:"},
		{"      port: /dev/ttyS0\n      ascii: {patern: x}\n", "lanes[0].scale.ascii.patern:"},
	}
	for _, c := range cases {
		_, err := parseScale(t, c.scale)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q:\n got %v\nwant a line containing %q", c.scale, err, c.want)
		}
	}
}
