// Package washcam sees a vehicle in a wash bay from a camera's frames: background subtraction
// against a learned empty-bay reference, cell by cell over the bay's region, with the overall
// brightness normalised away (clouds, floodlights), hysteresis on the share of changed cells and
// a minimum on and off time, so that a person walking through or a burst of spray makes no stay.
//
// It is pure Go over greyscale frames (models/vision/quality's Grey); the caller makes the grey
// copy and decides what a blind camera means. It imports only sitegate/models/vision/quality.
package washcam
