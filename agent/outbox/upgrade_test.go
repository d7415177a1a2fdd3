package outbox

import (
	"archive/tar"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// untar unpacks a gzipped tar of a store into a new directory.
func untar(t *testing.T, archive string) string {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return dir
		}
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, filepath.Clean(h.Name))
		if !strings.HasPrefix(name, dir) {
			t.Fatalf("%s leaves the directory", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(name, 0o750); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			b, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, b, 0o640); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// TestOpenStoreOfPreviousLayout: a gateway upgraded with a backlog keeps it. testdata/store-v1.tgz
// was written by the version before segments (passages inline in Badger's value log, Snappy
// tables): 20 passages, two with a 5,000-byte image, the first passage and its image delivered.
// The new version reads and delivers all of it, and stores new passages in segments beside it.
func TestOpenStoreOfPreviousLayout(t *testing.T) {
	dir := untar(t, "testdata/store-v1.tgz")
	box := openBadgerWith(t, dir, BadgerOptions{})
	if st := box.Stats(); st.Depth != 20 || st.Batches != 20 || st.OldestSeq != 3 {
		t.Fatalf("Stats of the old store = %+v", st)
	}
	appendPassage(t, box, "new", 0)
	var passages, images int
	var after uint64
	for {
		es, err := box.Peek(after, 7)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) == 0 {
			break
		}
		var seqs []uint64
		for _, e := range es {
			switch {
			case e.Kind == KindEvidence:
				images++
				if len(e.Payload) != 5000 || e.Payload[1] != 7 || e.Ref != "p10" {
					t.Fatalf("image %d: %d bytes, ref %q", e.Seq, len(e.Payload), e.Ref)
				}
			case e.Ref == "new":
				passages++
			default:
				passages++
				if want := fmt.Sprintf(`{"seq":%d,`, passages+1); !strings.HasPrefix(string(e.Payload), want) || e.Ref != fmt.Sprintf("p%d", passages) {
					t.Fatalf("entry %d: ref %q, payload %.12q, want %s", e.Seq, e.Ref, e.Payload, want)
				}
			}
			seqs = append(seqs, e.Seq)
			after = e.Seq
		}
		if err := box.Delete(seqs...); err != nil {
			t.Fatal(err)
		}
	}
	if passages != 20 || images != 1 {
		t.Fatalf("%d passages and %d images delivered, want 20 (19 old, 1 new) and 1", passages, images)
	}
	if st := box.Stats(); st.Depth != 0 || st.Bytes != 0 || st.Batches != 21 {
		t.Fatalf("Stats after the drain = %+v", st)
	}
}
