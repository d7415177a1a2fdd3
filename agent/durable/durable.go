// Package durable writes files that survive a power cut whole or not at all: through a synced
// temporary file, a rename and a synced folder. It imports nothing from sitegate.
package durable

import (
	"os"
	"path/filepath"
)

// WriteFile writes b to path through a synced temporary file (path.tmp) and a rename, then
// syncs the folder, so that after a power cut path holds the old bytes or the new ones.
func WriteFile(path string, b []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	d, err := os.Open(filepath.Dir(path))
	if err != nil {
		return err
	}
	err = d.Sync()
	d.Close()
	return err
}
