//go:build faults

package outbox

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestBadgerSmallTmpfs: a store on a real 16 MiB tmpfs with the default 64 MiB reserve keeps
// all of 400 passages of about 1 KiB. Needs root to mount.
func TestBadgerSmallTmpfs(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root")
	}
	mnt := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", mnt).CombinedOutput(); err != nil {
		t.Fatalf("mount tmpfs: %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", mnt).CombinedOutput(); err != nil {
			t.Errorf("umount: %v: %s", err, out)
		}
	})
	dir := filepath.Join(mnt, "outbox")
	box, err := OpenBadger(dir, BadgerOptions{Limits: Limits{ReserveBytes: 64 << 20}, Announce: announceJSON})
	if err != nil {
		t.Fatal(err)
	}
	closeOnCleanup(t, box) // before the unmount
	const n = 400
	for i := range n {
		_, err := box.AppendBatch(func(seq uint64) ([]Message, error) {
			return []Message{{Topic: "passage", Payload: fmt.Appendf(nil, `{"seq":%d,"pad":"%0900d"}`, seq, 0), QoS: 1, Ref: fmt.Sprint(i)}}, nil
		})
		if err != nil {
			t.Fatalf("passage %d: %v", i, err)
		}
	}
	st := box.Stats()
	free, _ := freeSpace(dir)
	t.Logf("reserve %d, depth %d, drops %+v, store %d bytes, %d free", box.Reserve(), st.Depth, st.Drops, DiskUsage(dir), free)
	if st.Depth != n || st.Drops.Total() != 0 {
		t.Errorf("depth %d, drops %+v: want all %d passages kept", st.Depth, st.Drops, n)
	}
}
