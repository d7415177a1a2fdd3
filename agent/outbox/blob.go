package outbox

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"golang.org/x/sys/unix"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// blobPath is where the payload files of the store in dir live: beside Badger's files, so the
// store is still one directory.
func blobPath(dir string) string { return filepath.Join(dir, "blobs") }

// blobDir keeps large payloads as files named by their seq. A file is written to a temporary
// name, synced, renamed and the directory synced before the Badger transaction that refers to it
// commits, so a committed entry never points at a missing or torn file; a file with no entry
// (a crash between the two) is removed at the next open.
type blobDir struct {
	path    string
	created bool
}

func (d *blobDir) name(seq uint64) string {
	return filepath.Join(d.path, fmt.Sprintf("%016x", seq))
}

func (d *blobDir) write(seq uint64, p []byte) (blobRef, error) {
	if int64(len(p)) > 1<<31 {
		return blobRef{}, fmt.Errorf("blob %d: %d bytes is too large", seq, len(p))
	}
	if !d.created {
		if err := os.MkdirAll(d.path, 0o750); err != nil {
			return blobRef{}, err
		}
		d.created = true
	}
	tmp := d.name(seq) + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o640)
	if err != nil {
		return blobRef{}, err
	}
	_, err = f.Write(p)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, d.name(seq))
	}
	if err != nil {
		os.Remove(tmp)
		return blobRef{}, fmt.Errorf("blob %d: %w", seq, err)
	}
	return blobRef{size: uint32(len(p)), crc: crc32.Checksum(p, castagnoli)}, nil
}

// sync makes the renames durable.
func (d *blobDir) sync() error { return syncDir(d.path) }

func (d *blobDir) read(seq uint64, ref blobRef) ([]byte, error) {
	p, err := os.ReadFile(d.name(seq))
	if err != nil {
		return nil, fmt.Errorf("%w: blob %d: %w", ErrCorrupt, seq, err)
	}
	if uint32(len(p)) != ref.size || crc32.Checksum(p, castagnoli) != ref.crc {
		return nil, fmt.Errorf("%w: blob %d: %d bytes, want %d with CRC %08x", ErrCorrupt, seq, len(p), ref.size, ref.crc)
	}
	return p, nil
}

func (d *blobDir) remove(seqs ...uint64) {
	for _, s := range seqs {
		_ = os.Remove(d.name(s))
	}
}

// sweepBlobs removes files no entry refers to: temporary files, and files of entries whose
// commit never happened or whose delete committed before the file was removed.
func (b *Badger) sweepBlobs() error {
	des, err := os.ReadDir(b.blobs.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("blobs: %w", err)
	}
	b.blobs.created = true
	return b.db.View(func(txn *badger.Txn) error {
		for _, de := range des {
			name := de.Name()
			seq, err := strconv.ParseUint(name, 16, 64)
			if err == nil && !strings.HasSuffix(name, ".tmp") && seq >= b.st.head {
				if _, ok, err := getMeta(txn, seq); err != nil {
					return err
				} else if ok {
					continue
				}
			}
			b.log.Info("removing an orphaned blob", "file", name)
			_ = os.Remove(filepath.Join(b.blobs.path, name))
		}
		return nil
	})
}

// freeSpace reports the bytes an unprivileged writer can still use on dir's file system.
func freeSpace(dir string) (int64, error) {
	var s unix.Statfs_t
	if err := unix.Statfs(dir, &s); err != nil {
		return 0, err
	}
	return int64(s.Bavail) * int64(s.Bsize), nil
}

// fsSize reports the total size of dir's file system.
func fsSize(dir string) (int64, error) {
	var s unix.Statfs_t
	if err := unix.Statfs(dir, &s); err != nil {
		return 0, err
	}
	return int64(s.Blocks) * int64(s.Bsize), nil
}

// FreeSpace reports the bytes an unprivileged writer can still use on dir's file system
// (statfs), as the disk reserve counts them.
func FreeSpace(dir string) (int64, error) { return freeSpace(dir) }
