package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConsoleValidation(t *testing.T) {
	ok := Console{SessionTTL: Duration(8 * 3600e9), PollInterval: Duration(1e9)}
	cases := []struct {
		name string
		edit func(c *Console)
		want string // a path in the problems; "" for none
	}{
		{"off", func(c *Console) {}, ""},
		{"on", func(c *Console) { c.Listen, c.UsersFile = "127.0.0.1:8090", "/x/users" }, ""},
		{"no users", func(c *Console) { c.Listen = "127.0.0.1:8090" }, "console.users_file"},
		{"bad listen", func(c *Console) { c.Listen, c.UsersFile = "8090", "/x" }, "console.listen"},
		{"half tls", func(c *Console) { c.TLS.CertFile = "/c.pem" }, "console.tls"},
		{"short ttl", func(c *Console) { c.SessionTTL = Duration(1e9) }, "console.session_ttl"},
		{"fast poll", func(c *Console) { c.PollInterval = Duration(1e6) }, "console.poll_interval"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			var ps problems
			validateConsole(c, &ps)
			got := ""
			for _, p := range ps.list {
				got += p.Path + ": " + p.Msg + "\n"
			}
			if tc.want == "" && got != "" || tc.want != "" && !strings.Contains(got, tc.want+":") {
				t.Fatalf("problems %q, want %q", got, tc.want)
			}
		})
	}
}

func TestConsoleUsersFileMustExist(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sitegate.yaml")
	body := "site: s\ngateway: g\nstore: {dir: data}\nlanes: [{id: exit-1, scale: {port: /dev/ttyUSB0}}]\nconsole: {listen: \"127.0.0.1:8090\", users_file: users}\n"
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	if err == nil || !strings.Contains(err.Error(), "console.users_file: "+filepath.Join(dir, "users")+" does not exist") {
		t.Fatalf("a missing users file: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "users"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err != nil {
		t.Fatalf("with the users file: %v", err)
	}
}
