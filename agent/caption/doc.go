// Package caption draws the words of an annotated evidence image (plate, weight, verdicts,
// labels, time) with an embedded subset of Noto Sans CJK SC Bold, so Chinese plates and labels
// are written in Chinese on a gateway without any font package. font/make-font.sh (make font)
// rebuilds the subset from font/chars.txt; font/LICENSE-NotoSansCJK.txt is its licence (SIL
// OFL 1.1).
//
// It imports no sitegate package.
package caption
