//go:build nocv

package cli_test

// withCV: this build has no OpenCV (-tags nocv), so test sites are weighbridge-only gates.
const withCV = false
