package archive

import (
	"os"
	"sitegate/agent/durable"
)

// writeSynced writes b to path through a synced temporary file and a rename, then syncs the
// folder, so the file is whole or absent after a power cut.
func writeSynced(path string, b []byte) error { return durable.WriteFile(path, b, 0o640) }

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// appendIndex appends one line to a day's index and syncs it. A power cut may leave the line
// torn: readers skip a last line without its newline, and the next open writes the index
// again from the folders.
func appendIndex(path string, line []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	_, err = f.Write(line)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
