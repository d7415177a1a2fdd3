// Package othergate draws the scene generator's trucks as another exit's camera sees them: set
// further back (the truck at 0.8 of the size, low in the picture, road around it) with its
// white balance off (red up, blue down). The shipped mud models were never fitted to it and
// judge it badly (docs/mud.md, "Learning from the site"), which makes it the gate the learning
// tests teach.
//
// It needs OpenCV; in builds with -tags nocv it is empty.
package othergate
