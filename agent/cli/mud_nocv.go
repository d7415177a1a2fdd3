//go:build nocv

package cli

import "sitegate/models/mud"

func scoreFrames(string, checkBlock, string, []labelRow) ([]mud.Result, []string, error) {
	return nil, nil, mud.ErrNoVision
}
