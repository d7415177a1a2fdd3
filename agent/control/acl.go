package control

import "strings"

// ACL returns the mosquitto acl_file block for one gateway, whose broker user name is
// "{site}/{gateway}": it may publish only its own outgoing topics and read only its own
// desired config, its commands and its site's registry. Operators' users get
// `topic readwrite sitegate/#` (or narrower) in a block of their own.
func ACL(site, gateway string) string {
	root := "sitegate/v1/" + site + "/" + gateway
	lines := []string{
		"user " + site + "/" + gateway,
		"topic write " + root + "/status",
		"topic write " + root + "/passage",
		"topic write " + root + "/drops",
		"topic write " + root + "/evidence/#",
		"topic write " + root + "/config/reported",
		"topic write " + root + "/registry/reported",
		"topic write " + root + "/cmd/+/reply",
		"topic read " + root + "/config/desired",
		"topic read " + root + "/cmd/+",
		"topic read sitegate/v1/" + site + "/registry",
	}
	return strings.Join(lines, "\n") + "\n\n"
}

// OperatorACL is the acl_file block of an operator user, who may do everything under sitegate/.
func OperatorACL(user string) string {
	return "user " + user + "\ntopic readwrite sitegate/#\n\n"
}
