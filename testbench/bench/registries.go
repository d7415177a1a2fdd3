package bench

// The config is validated here as the agent validates it, against the same registries.
import (
	_ "sitegate/agent/checks/all"      // every passage check and its scorers
	_ "sitegate/drivers/indicator/all" // every indicator protocol
	_ "sitegate/drivers/plate/all"     // every plate-camera format
	_ "sitegate/models/mud"            // the mud scorers
)
