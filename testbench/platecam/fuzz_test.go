package platecam

import "testing"

// The camera side parses outside bytes too: the server's replies and digest headers.
func FuzzParseVzenithReply(f *testing.F) {
	for _, s := range []string{
		`{"Response_AlarmInfoPlate":{"info":"ok","content":"retransfer_stop"}}`,
		`{"Response_AlarmInfoPlate":{"ivs_ioctrl":{"io":"1","value":2,"delay":500},"ContinuePushOffline":{"plateid":7,"continue":"1"}}}`,
		`{"status":"ok"}`, ``, `<html>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseVzenithReply(b)
		if err == nil && !r.HasResult && (r.Info != "" || r.IOCtrl != nil || r.Continue != nil) {
			t.Errorf("a command without Response_AlarmInfoPlate: %+v", r)
		}
	})
}

func FuzzParseAuthParams(f *testing.F) {
	for _, s := range []string{
		`username="admin", realm="IP Camera(C6231)", nonce="abc", uri="/ISAPI/x?a=1,2", qop=auth, nc=00000001, cnonce="x", response="y"`,
		`realm="a,b"`, `x=`, `"`, `k="unterminated`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { parseAuthParams(s) })
}
