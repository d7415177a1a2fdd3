//go:build !nocv

package cli_test

// withCV: this build has OpenCV, so test sites have a wheel camera fed from a generated clip.
const withCV = true
