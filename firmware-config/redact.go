package config

import (
	"net/url"
	"regexp"
	"strings"
)

// Redacted is what stands in a URL for credentials that must not be shown.
const Redacted = "xxxxx"

// secretParam matches a password given as a parameter in a URL's path or query, as some RTSP
// cameras take it (rtsp://cam/user=admin&password=...&channel=1).
var secretParam = regexp.MustCompile(`(?i)\b(password|passwd|pass|pwd|token|secret)=[^&;/?#]*`)

// RedactURL is s fit for a log line, a report or `config validate`: the userinfo of a URL
// (everything between "://" and the last "@", so that a password holding "/" or "@" is covered
// too) and password parameters are replaced by Redacted. Anything that is not a URL (a file
// path) is returned as it is. Every URL of a config goes through it before it is logged or
// reported.
func RedactURL(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	head, rest := s[:i+3], s[i+3:]
	if at := strings.LastIndex(rest, "@"); at >= 0 {
		rest = Redacted + rest[at:]
	}
	rest = secretParam.ReplaceAllStringFunc(rest, func(m string) string {
		return m[:strings.IndexByte(m, '=')+1] + Redacted
	})
	return head + rest
}

// HasUserinfo reports whether a URL carries credentials before its host. An "@" anywhere
// before its query counts, also when the URL does not parse or parses otherwise (a password
// holding "/" makes the rest look like a path): better refused than sent in clear.
func HasUserinfo(s string) bool {
	if u, err := url.Parse(s); err == nil && u.User != nil {
		return true
	}
	i := strings.Index(s, "://")
	if i < 0 {
		return false
	}
	rest, _, _ := strings.Cut(s[i+3:], "?")
	rest, _, _ = strings.Cut(rest, "#")
	return strings.Contains(rest, "@")
}
