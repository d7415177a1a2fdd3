// Package all registers every weighbridge indicator protocol with sitegate/drivers/indicator;
// a program that reads scales imports it for its side effects.
//
// It imports protocol packages only, and must not import sitegate/models or sitegate/agent.
package all

import (
	_ "sitegate/drivers/indicator/yaohua" // yaohua-tf0
)
