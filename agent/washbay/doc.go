// Package washbay watches a lane's wash bay through the wash controller's output (a Modbus
// discrete input or coil saying "vehicle in bay") or a camera (models/washcam's presence
// detector over its frames; a blind camera is an input that is down) and remembers the recent
// stays, durably, so the wash check (agent/checks/wash) can find the one of the truck now
// leaving, with a camera's frame from the middle of each stay for its evidence.
//
// Stays closer together than a merge gap are one (a truck rocking, spray breaking a light
// beam); times the input could not be read are kept too, so a wash missed because the input
// was down is unknown, not a bypass.
package washbay
