package yaohua

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"regexp"
	"testing"
	"time"

	"sitegate/drivers/indicator"
	"sitegate/drivers/indicator/indicatortest"
)

type rd = indicator.Reading

func s(x string) []byte { return []byte(x) }

// xorHex is an independent reference of the Yaohua XOR checksum, two upper-case hex characters.
func xorHex(b []byte) []byte {
	var x byte
	for _, c := range b {
		x ^= c
	}
	const h = "0123456789ABCDEF"
	return []byte{h[x>>4], h[x&15]}
}

var eqCases = []indicatortest.Case{
	{Name: "manual 3.000", In: s("=000.3000"), Want: []rd{{Kg: 3}}},
	{Name: "manual -1.00", In: s("=00.1000-"), Want: []rd{{Kg: -1}}},
	{Name: "stream", In: s("=00.1000-=00.1000-=00.1000-"), Want: []rd{{Kg: -1}, {Kg: -1}, {Kg: -1}}},
	{Name: "whole kg", In: s("=00213000=00213000"), Want: []rd{{Kg: 31200}, {Kg: 31200}}},
	{Name: "cut short", In: s("=0021=00213000"), Want: []rd{{Kg: 31200}}, Bad: 1},
	{Name: "garbage before", In: s("\x00\xffab=000.3000"), Want: []rd{{Kg: 3}}},
	{Name: "not digits", In: s("=0X0.3000=000.3000"), Want: []rd{{Kg: 3}}, Bad: 1},
	{Name: "two points", In: s("=0.0.3000"), Bad: 1},
	{Name: "sign inside", In: s("=0-0.3000"), Bad: 1},
	{Name: "truncated at end", In: s("=000.3000=000"), Want: []rd{{Kg: 3}}, Bad: 1},
}

var eqFwdCases = []indicatortest.Case{
	{Name: "manual -1.00", In: s("=-0001.00"), Want: []rd{{Kg: -1}}},
	{Name: "3.000", In: s("=0003.000=0003.000"), Want: []rd{{Kg: 3}, {Kg: 3}}},
	{Name: "reversed sign is bad", In: s("=00.1000-"), Bad: 1},
}

func TestEqGolden(t *testing.T) {
	indicatortest.Run(t, func(r io.Reader) indicator.Decoder { return NewEq(r, indicator.Options{}, true) }, eqCases)
	indicatortest.Run(t, func(r io.Reader) indicator.Decoder { return NewEq(r, indicator.Options{}, false) }, eqFwdCases)
}

func TestEncodeEq(t *testing.T) {
	for _, c := range []struct {
		kg   float64
		dp   int
		rev  bool
		want string
	}{
		{3, 3, true, "=000.3000"},
		{-1, 2, true, "=00.1000-"},
		{-1, 2, false, "=-0001.00"},
		{31200, 0, true, "=00213000"},
		{0, 0, false, "=00000000"},
	} {
		if got := string(EncodeEq(c.kg, c.dp, c.rev)); got != c.want {
			t.Errorf("EncodeEq(%g, %d, %v) = %q, want %q", c.kg, c.dp, c.rev, got, c.want)
		}
	}
}

var a12eCases = []indicatortest.Case{
	{Name: "manual 4.139 kg gross", In: s("WG004.139kg3D\r\n"), Want: []rd{{Kg: 4.139}}},
	{Name: "net", In: cat(s("WN004.139kg"), xorHex(s("WN004.139kg")), s("\r\n")), Want: []rd{{Kg: 4.139, Flags: indicator.Net}}},
	{Name: "no point, trailing blank", In: cat(s("WG031200 kg"), xorHex(s("WG031200 kg")), s("\r\n")), Want: []rd{{Kg: 31200}}},
	{Name: "negative", In: cat(s("WG-04.139kg"), xorHex(s("WG-04.139kg")), s("\r\n")), Want: []rd{{Kg: -4.139}}},
	{Name: "overload", In: s("         OL23\r\n"), Want: []rd{{Flags: indicator.Overload}}},
	{Name: "underload", In: s("         LO23\r\n"), Want: []rd{{Flags: indicator.Underload}}},
	{Name: "bad checksum", In: s("WG004.139kg3E\r\nWG004.139kg3D\r\n"), Want: []rd{{Kg: 4.139}}, Bad: 1},
	{Name: "missing LF", In: s("WG004.139kg3D\rWG004.139kg3D\r\n"), Want: []rd{{Kg: 4.139}}, Bad: 1},
	{Name: "noise between", In: s("\x13\x99WG004.139kg3D\r\n  x WG004.139kg3D\r\n"), Want: []rd{{Kg: 4.139}, {Kg: 4.139}}},
}

func TestA12EGolden(t *testing.T) {
	indicatortest.Run(t, func(r io.Reader) indicator.Decoder { return NewA12E(r, indicator.Options{}) }, a12eCases)
}

func TestEncodeA12E(t *testing.T) {
	for _, c := range []struct {
		kg    float64
		dp    int
		flags indicator.Flags
		want  string
	}{
		{4.139, 3, 0, "WG004.139kg3D\r\n"},
		{0, 0, indicator.Overload, "         OL23\r\n"},
		{31200, 0, 0, "WG031200 kg" + string(xorHex(s("WG031200 kg"))) + "\r\n"},
		{-4.139, 3, indicator.Net, "WN-04.139kg" + string(xorHex(s("WN-04.139kg"))) + "\r\n"},
	} {
		if got := string(EncodeA12E(c.kg, c.dp, c.flags)); got != c.want {
			t.Errorf("EncodeA12E(%g, %d, %v) = %q, want %q", c.kg, c.dp, c.flags, got, c.want)
		}
	}
}

func cmdReply(body string) []byte {
	return cat([]byte{0x02}, s(body), xorHex(s(body)), []byte{0x03})
}

var cmdCases = []indicatortest.Case{
	{Name: "gross 1560", In: cmdReply("AB+0015600"), Want: []rd{{Kg: 1560}}},
	{Name: "two decimals", In: cmdReply("AB+0312002"), Want: []rd{{Kg: 312}}},
	{Name: "keli point in place", In: cmdReply("AB+0015.60"), Want: []rd{{Kg: 15.6}}},
	{Name: "net", In: cmdReply("AD-0002000"), Want: []rd{{Kg: -200, Flags: indicator.Net}}},
	{Name: "tare gives nothing", In: cmdReply("AC+0050000"), Want: nil},
	{Name: "handshake gives nothing", In: EncodeCmdRequest('A', 'A'), Want: nil},
	{Name: "echo of the request then the reply", In: cat(s("\x02AB03\x03"), cmdReply("AB+0015600")), Want: []rd{{Kg: 1560}}},
	{Name: "bad checksum", In: cat(s("\x02AB+001560000\x03"), cmdReply("AB+0015600")), Want: []rd{{Kg: 1560}}, Bad: 1},
	{Name: "bad dp", In: cmdReply("AB+0015609"), Bad: 1},
}

func TestCmdGolden(t *testing.T) {
	if got, want := EncodeCmdRequest('A', 'B'), []byte{0x02, 0x41, 0x42, 0x30, 0x33, 0x03}; !bytes.Equal(got, want) {
		t.Errorf("EncodeCmdRequest(A, B) = % X, want % X (the manual's example)", got, want)
	}
	if got, want := EncodeCmdReply('A', 'B', 1560, 0), cmdReply("AB+0015600"); !bytes.Equal(got, want) {
		t.Errorf("EncodeCmdReply = %q, want %q", got, want)
	}
	indicatortest.Run(t, func(r io.Reader) indicator.Decoder { return NewCmd(r, indicator.Options{}) }, cmdCases)
	other := []indicatortest.Case{{Name: "another address is ignored", In: cat(cmdReply("BB+0015600"), cmdReply("AB+0002000")), Want: []rd{{Kg: 200}}}}
	indicatortest.Run(t, func(r io.Reader) indicator.Decoder { return NewCmd(r, indicator.Options{Address: "A"}) }, other)
}

// responder answers gross-weight requests on conn like an indicator at address addr; it stays
// silent for the requests whose number (from 1) is in mute.
func responder(ctx context.Context, conn net.Conn, addr byte, kg float64, mute map[int]bool) {
	buf := make([]byte, 0, 64)
	tmp := make([]byte, 64)
	n := 0
	for ctx.Err() == nil {
		k, err := conn.Read(tmp)
		if err != nil {
			return
		}
		buf = append(buf, tmp[:k]...)
		for {
			i := bytes.IndexByte(buf, 0x02)
			if i < 0 {
				buf = buf[:0]
				break
			}
			buf = buf[i:]
			a, c, m, ok := ParseCmdRequest(buf)
			if !ok {
				if len(buf) >= 6 {
					buf = buf[1:]
					continue
				}
				break
			}
			buf = buf[m:]
			n++
			if a == addr && !mute[n] {
				conn.Write(EncodeCmdReply(a, c, kg, 0))
			}
		}
	}
}

func TestCmdPolls(t *testing.T) {
	host, ind := net.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); responder(ctx, ind, 'C', 31200, map[int]bool{2: true}) }()
	d := NewCmd(host, indicator.Options{Writer: host, Address: "C", PollInterval: 5 * time.Millisecond, ReplyTimeout: 20 * time.Millisecond})
	for i := range 3 {
		r, err := d.Next()
		if err != nil {
			t.Fatal(err)
		}
		if r.Kg != 31200 {
			t.Fatalf("reading %d: %v, want 31200 kg", i, r)
		}
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if st := d.Stats(); st.Timeouts != 1 || st.Frames != 3 || st.BadFrames != 0 {
		t.Errorf("stats %+v, want 3 frames, 1 timeout (the muted request)", st)
	}
	cancel()
	host.Close()
	ind.Close()
	<-done
}

var hexRe = regexp.MustCompile(`^[0-9A-F]{2}$`)

// validYaohua re-checks, independently of the decoders, that in holds some frame that could
// have given r: a checksum-correct A12E or command frame, or an "=" frame.
func validA12E(in []byte, _ indicator.Reading) bool {
	for i := 0; i+15 <= len(in); i++ {
		f := in[i : i+15]
		if bytes.Equal(xorHex(f[:11]), f[11:13]) && f[13] == '\r' && f[14] == '\n' && hexRe.Match(f[11:13]) {
			return true
		}
	}
	return false
}

func validCmd(in []byte, _ indicator.Reading) bool {
	for i := 0; i+14 <= len(in); i++ {
		f := in[i : i+14]
		if f[0] == 2 && f[13] == 3 && bytes.Equal(xorHex(f[1:11]), f[11:13]) {
			return true
		}
	}
	return false
}

var eqRe = regexp.MustCompile(`=[-0-9.]{8}`)

func validEq(in []byte, _ indicator.Reading) bool { return eqRe.Match(in) }

func FuzzEq(f *testing.F) {
	indicatortest.Seed(f, eqCases)
	indicatortest.Seed(f, eqFwdCases)
	f.Fuzz(func(t *testing.T, in []byte) {
		for _, rev := range []bool{true, false} {
			indicatortest.Check(t, func(r io.Reader) indicator.Decoder { return NewEq(r, indicator.Options{}, rev) }, in, validEq)
		}
	})
}

func FuzzA12E(f *testing.F) {
	indicatortest.Seed(f, a12eCases)
	f.Fuzz(func(t *testing.T, in []byte) {
		indicatortest.Check(t, func(r io.Reader) indicator.Decoder { return NewA12E(r, indicator.Options{}) }, in, validA12E)
	})
}

func FuzzCmd(f *testing.F) {
	indicatortest.Seed(f, cmdCases)
	f.Fuzz(func(t *testing.T, in []byte) {
		indicatortest.Check(t, func(r io.Reader) indicator.Decoder { return NewCmd(r, indicator.Options{}) }, in, validCmd)
	})
}

func repeat(frame []byte, n int) []byte { return bytes.Repeat(frame, n) }

func BenchmarkDecodeTF0(b *testing.B) {
	indicatortest.Bench(b, func(r io.Reader) indicator.Decoder { return NewTF0(r, indicator.Options{}) }, repeat(EncodeTF0(31200, 0), 256))
}

func BenchmarkDecodeEq(b *testing.B) {
	indicatortest.Bench(b, func(r io.Reader) indicator.Decoder { return NewEq(r, indicator.Options{}, true) }, repeat(EncodeEq(31200, 0, true), 256))
}

func BenchmarkDecodeA12E(b *testing.B) {
	indicatortest.Bench(b, func(r io.Reader) indicator.Decoder { return NewA12E(r, indicator.Options{}) }, repeat(EncodeA12E(31200, 0, 0), 256))
}

func BenchmarkDecodeCmd(b *testing.B) {
	indicatortest.Bench(b, func(r io.Reader) indicator.Decoder { return NewCmd(r, indicator.Options{}) }, repeat(EncodeCmdReply('A', 'B', 31200, 0), 256))
}

func TestAnswerCmd(t *testing.T) {
	answer := AnswerCmd('C')
	for _, c := range []struct {
		name  string
		in    []byte
		reply []byte
		used  int
	}{
		{"gross", EncodeCmdRequest('C', CmdGross), EncodeCmdReply('C', CmdGross, 31200, 0), 6},
		{"net is the gross", EncodeCmdRequest('C', CmdNet), EncodeCmdReply('C', CmdNet, 31200, 0), 6},
		{"tare is 0", EncodeCmdRequest('C', CmdTare), EncodeCmdReply('C', CmdTare, 0, 0), 6},
		{"handshake", EncodeCmdRequest('C', CmdHandshake), EncodeCmdRequest('C', CmdHandshake), 6},
		{"another address", EncodeCmdRequest('A', CmdGross), nil, 6},
		{"a request cut short waits", EncodeCmdRequest('C', CmdGross)[:4], nil, 0},
		{"bytes before STX are skipped", s("xy\x02"), nil, 2},
		{"a damaged request skips its STX", s("\x02CB00\x03"), nil, 1},
	} {
		reply, used := answer(c.in, 31200, false)
		if !bytes.Equal(reply, c.reply) || used != c.used {
			t.Errorf("%s: answer(%q) = %q, %d; want %q, %d", c.name, c.in, reply, used, c.reply, c.used)
		}
	}
}

func TestValidateCmd(t *testing.T) {
	p, _ := indicator.Get(ProtocolCmd)
	for addr, ok := range map[string]bool{"A": true, "Z": true, "": false, "a": false, "AB": false, "1": false} {
		got := p.Validate(indicator.Options{Address: addr})
		if ok != (len(got) == 0) {
			t.Errorf("address %q: problems %v", addr, got)
		}
		if !ok && (len(got) != 1 || got[0].Path != "address" || got[0].Msg != fmt.Sprintf("%q is not an address A to Z", addr)) {
			t.Errorf("address %q: problems %v, want one at address", addr, got)
		}
	}
}
