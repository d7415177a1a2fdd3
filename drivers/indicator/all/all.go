// Package all registers every weighbridge indicator protocol with sitegate/drivers/indicator;
// a program that reads scales imports it for its side effects. It is the one place that names
// every protocol package: one import line each, its comment the scale.protocol names it
// registers. Adding a protocol adds a line here and nothing elsewhere.
//
// It imports protocol packages only, and must not import sitegate/models or sitegate/agent.
package all

import (
	_ "sitegate/drivers/indicator/ascii"  // ascii
	_ "sitegate/drivers/indicator/mtsics" // mt-sics
	_ "sitegate/drivers/indicator/toledo" // toledo-cont
	_ "sitegate/drivers/indicator/yaohua" // yaohua-tf0, yaohua-eq, yaohua-eq-fwd, yaohua-a12e, yaohua-cmd
)
