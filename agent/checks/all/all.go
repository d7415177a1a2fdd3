// Package all registers every passage check with agent/checks; a program that runs lanes
// imports it for its side effects. One line per check.
package all

import (
	_ "sitegate/agent/checks/cover" // cover
	_ "sitegate/agent/checks/manifest"
	_ "sitegate/agent/checks/mud"          // mud
	_ "sitegate/agent/checks/overload"     // overload
	_ "sitegate/agent/checks/permit"       // permit
	_ "sitegate/agent/checks/registration" // registry
	_ "sitegate/agent/checks/wash"
)
