// Package washscene makes wash-bay camera scenes with their ground truth: a bay seen from the
// side, trucks that drive in, stand with water spraying and drive out, people walking through,
// spray with no truck, light that changes slowly (clouds) and at once (floodlights), and rain.
// Frames are greyscale images (pure Go); WriteClip writes them as a Motion-JPEG AVI that
// drivers/camera plays (it needs OpenCV).
package washscene
