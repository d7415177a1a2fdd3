package config

import (
	"strings"
	"testing"
)

// TestURLCredentialsRefused: a broker, plate camera or video camera URL with userinfo is refused
// with where the credentials go, and no message repeats the secret; a camera's login comes from
// username and password_file.
func TestURLCredentialsRefused(t *testing.T) {
	cases := []struct {
		name, yaml, path, want string
	}{
		{"broker user and password", strings.Replace(minimal, "gateway: gw-01", "gateway: gw-01\nmqtt: {url: \"tcp://ops:s3cret@127.0.0.1:1883\"}", 1),
			"mqtt.url", "put the user in mqtt.username and the password in mqtt.password_file"},
		{"broker, remote host, plain", strings.Replace(minimal, "gateway: gw-01", "gateway: gw-01\nmqtt: {url: \"tcp://ops:s3cret@broker.example:1883\"}", 1),
			"mqtt.url", "mqtt.password_file"},
		{"broker, unparsable", strings.Replace(minimal, "gateway: gw-01", "gateway: gw-01\nmqtt: {url: \"ssl://ops:s3/cret@broker.example:8883\"}", 1),
			"mqtt.url", ""},
		{"plate camera", minimal + "    plate: {cameras: [{id: front, mode: pull, vendor: hikvision, url: \"http://admin:s3cret@192.168.1.64\"}]}\n",
			"lanes[0].plate.cameras[0].url", "username and password_file"},
		{"video camera", strings.Replace(minimal, "url: clip.avi", "url: \"rtsp://admin:s3cret@192.168.1.64:554/Streaming/Channels/101\"", 1),
			"lanes[0].cameras[0].url", "username and the password in password_file"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse([]byte(c.yaml), "/srv")
			ps, ok := err.(Problems)
			if !ok {
				t.Fatalf("want Problems, got %v", err)
			}
			found := false
			for _, p := range ps {
				found = found || (p.Path == c.path && strings.Contains(p.Msg, c.want))
			}
			if !found {
				t.Errorf("no %s problem saying %q in:\n%v", c.path, c.want, ps)
			}
			if strings.Contains(ps.Error(), "s3") {
				t.Errorf("the secret is in the problems:\n%v", ps)
			}
		})
	}
	cfg, err := Parse([]byte(strings.Replace(minimal, "url: clip.avi", "url: \"rtsp://192.168.1.64:554/Streaming/Channels/101\"\n        username: admin\n        password_file: cam.pass", 1)), "/srv")
	if err != nil {
		t.Fatalf("a camera whose login is in username and password_file: %v", err)
	}
	if c := cfg.Lanes[0].Cameras[0]; c.Username != "admin" || c.PasswordFile != "/srv/cam.pass" {
		t.Errorf("camera %+v", c)
	}
}

func TestRedactURL(t *testing.T) {
	cases := map[string]string{
		"tcp://127.0.0.1:1883":                            "tcp://127.0.0.1:1883",
		"tcp://ops:s3cret@127.0.0.1:1883":                 "tcp://xxxxx@127.0.0.1:1883",
		"rtsp://admin:s3cret@10.0.0.5:554/ch1":            "rtsp://xxxxx@10.0.0.5:554/ch1",
		"rtsp://admin:s3/cr@t@10.0.0.5:554/ch1":           "rtsp://xxxxx@10.0.0.5:554/ch1",
		"rtsp://token@cam/x":                              "rtsp://xxxxx@cam/x",
		"rtsp://10.0.0.5/user=admin&password=s3cret&ch=1": "rtsp://10.0.0.5/user=admin&password=xxxxx&ch=1",
		"http://cam/snap?pwd=s3cret":                      "http://cam/snap?pwd=xxxxx",
		"/srv/clip.avi":                                   "/srv/clip.avi",
		"":                                                "",
	}
	for in, want := range cases {
		if got := RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
