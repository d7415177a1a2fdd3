// Package vision is what sitegate's camera checks (mud, and the cover and wash checks to come)
// share above their scorers: each check's registry of scorers by the name a camera's config
// gives them (cameras[].mud.scorer), and an index of those registries by check, from which
// config validation learns the names without importing the checks.
//
// It builds everywhere and imports no OpenCV, so sitegate/firmware-config may import it; the
// frame preamble the scorers share is in sitegate/models/vision/frames. It must not import
// sitegate/agent.
package vision
