//go:build nocv

package cli

import (
	config "sitegate/firmware-config"
	"sitegate/models/mud"
)

func scoreFrames(config.Camera, string, []labelRow) ([]mud.Result, []string, error) {
	return nil, nil, mud.ErrNoVision
}
