//go:build nocv

package cli

func openCVVersion() string { return "none (built with -tags nocv: no camera or vision support)" }
