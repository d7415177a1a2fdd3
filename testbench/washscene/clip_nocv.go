//go:build nocv

package washscene

import "errors"

// WriteClip needs OpenCV.
func WriteClip(path string, sc Script, w, h int, fps float64) error {
	return errors.New("wash clip " + path + ": built without OpenCV (-tags nocv)")
}
