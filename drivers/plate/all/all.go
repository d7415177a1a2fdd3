// Package all registers every plate-camera vendor with sitegate/drivers/plate; a program that
// takes plate reads imports it for its side effects.
//
// It imports vendor packages only, and must not import sitegate/models or sitegate/agent.
package all

import (
	_ "sitegate/drivers/plate/dahua"     // dahua: ITC event stream (pull), snapshot, openStrobe barrier
	_ "sitegate/drivers/plate/generic"   // generic: POST /v1/plate, CONTRACT section 3
	_ "sitegate/drivers/plate/hikvision" // hikvision: ISAPI push, alertStream pull, barrier and snapshot
	_ "sitegate/drivers/plate/vzenith"   // vzenith: AlarmInfoPlate push and heartbeats, barrier by reply
)
