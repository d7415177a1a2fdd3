//go:build !nocv

package camera

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v4/pkg/format"
	"github.com/bluenviron/mediacommon/pkg/codecs/h264"
	"github.com/pion/rtp"
	"gocv.io/x/gocv"
)

// The per-picture costs of an on-demand camera, on a 1080p25 H.264 stream made as a site camera
// sends it (main profile, 4 Mbit/s, a key frame every 2 s). The budget (docs/budget.md) counts
// their instructions under callgrind.

var (
	gopOnce sync.Once
	gopAUs  [][][]byte // 2 s of pictures, each its NAL units; the first is a key frame
	gopErr  error
)

func stream1080p(b *testing.B) [][][]byte {
	b.Helper()
	gopOnce.Do(func() {
		// SITEGATE_BENCH_H264 names a stream made beforehand (make budget: no ffmpeg is started
		// under callgrind).
		if f := os.Getenv("SITEGATE_BENCH_H264"); f != "" {
			raw, err := os.ReadFile(f)
			if err != nil {
				gopErr = err
				return
			}
			gopAUs, gopErr = splitAUs(raw)
			return
		}
		if _, err := exec.LookPath("ffmpeg"); err != nil {
			gopErr = err
			return
		}
		dir, err := os.MkdirTemp("", "sitegate-bench")
		if err != nil {
			gopErr = err
			return
		}
		defer os.RemoveAll(dir)
		out := filepath.Join(dir, "cam.h264")
		cmd := exec.Command("ffmpeg", append(append([]string{"-hide_banner", "-loglevel", "error"}, Stream1080pArgs...), out)...)
		if o, err := cmd.CombinedOutput(); err != nil {
			gopErr = &exec.Error{Name: string(o), Err: err}
			return
		}
		raw, err := os.ReadFile(out)
		if err != nil {
			gopErr = err
			return
		}
		gopAUs, gopErr = splitAUs(raw)
	})
	if gopErr != nil || len(gopAUs) == 0 {
		b.Skipf("no 1080p stream (ffmpeg): %v", gopErr)
	}
	return gopAUs
}

// Stream1080pArgs are ffmpeg's arguments (but the output file) for the benchmarks' stream: 2 s of
// 1080p25, main profile, 4 Mbit/s, one key frame, access unit delimiters, raw H.264.
var Stream1080pArgs = []string{"-f", "lavfi", "-i", "testsrc2=size=1920x1080:rate=25",
	"-t", "2", "-c:v", "libx264", "-preset", "veryfast", "-profile:v", "main", "-b:v", "4M", "-maxrate", "4M",
	"-bufsize", "8M", "-g", "50", "-pix_fmt", "yuv420p", "-x264-params", "aud=1", "-f", "h264", "-y"}

// splitAUs cuts an Annex-B stream into pictures at its access unit delimiters.
func splitAUs(raw []byte) ([][][]byte, error) {
	var nalus h264.AnnexB
	if err := nalus.Unmarshal(raw); err != nil {
		return nil, err
	}
	var out [][][]byte
	var au [][]byte
	for _, n := range nalus {
		if len(n) > 0 && h264.NALUType(n[0]&0x1f) == h264.NALUTypeAccessUnitDelimiter {
			if len(au) > 0 {
				out = append(out, au)
			}
			au = nil
			continue
		}
		au = append(au, n)
	}
	if len(au) > 0 {
		out = append(out, au)
	}
	return out, nil
}

// BenchmarkIngest1080p is what an idle on-demand camera does per picture: RTP packets to a
// picture (gortsplib's depacketiser), key frame and parameter sets noted, into the ring with
// the default 5 s clip. The RTSP session's TCP reads are not in it (the agent's figure has them).
func BenchmarkIngest1080p(b *testing.B) {
	aus := stream1080p(b)
	f := &format.H264{PayloadTyp: 96, PacketizationMode: 1}
	enc, err := f.CreateEncoder()
	if err != nil {
		b.Fatal(err)
	}
	pkts := make([][]*rtp.Packet, len(aus))
	size := 0
	for i, au := range aus {
		if pkts[i], err = enc.Encode(au); err != nil {
			b.Fatal(err)
		}
		for _, n := range au {
			size += len(n)
		}
	}
	dec, err := f.CreateDecoder()
	if err != nil {
		b.Fatal(err)
	}
	ps := &packetStream{}
	ring := packetRing{keep: 5 * time.Second}
	t0 := time.Now()
	b.SetBytes(int64(size / len(aus)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := i % len(aus)
		for _, p := range pkts[k] {
			nalus, err := dec.Decode(p)
			if err != nil {
				continue
			}
			au := accessUnit{at: t0.Add(time.Duration(i) * 40 * time.Millisecond), pts: int64(i) * 3600, nalus: nalus}
			for _, n := range nalus {
				au.size += len(n)
			}
			au.key = ps.learn(nalus)
			ring.add(au)
		}
		i++
	}
}

// BenchmarkDecode1080p decodes one picture per op with libavcodec on one thread, the stream's
// pictures in order (its key frame every 50).
func BenchmarkDecode1080p(b *testing.B) {
	aus := stream1080p(b)
	d, err := newAVDecoder(false)
	if err != nil {
		b.Fatal(err)
	}
	defer d.close()
	ab := make([][]byte, len(aus))
	for i, au := range aus {
		if ab[i], err = h264.AnnexB(au).Marshal(); err != nil {
			b.Fatal(err)
		}
	}
	i := 0
	for b.Loop() {
		if _, err := d.decode(ab[i%len(ab)]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkConvert1080p converts one decoded 1080p picture to BGR (a frame the checks can use).
func BenchmarkConvert1080p(b *testing.B) {
	aus := stream1080p(b)
	d, err := newAVDecoder(false)
	if err != nil {
		b.Fatal(err)
	}
	defer d.close()
	for _, au := range aus[:5] {
		ab, _ := h264.AnnexB(au).Marshal()
		if _, err := d.decode(ab); err != nil {
			b.Fatal(err)
		}
	}
	m := gocv.NewMat()
	defer m.Close()
	for b.Loop() {
		if err := d.toMat(&m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClip1080p writes a 2 s clip (50 pictures, about 1 MB) as MP4 per op.
func BenchmarkClip1080p(b *testing.B) {
	aus := stream1080p(b)
	p := codecParams{}
	var list []accessUnit
	for i, au := range aus {
		for _, n := range au {
			switch h264.NALUType(n[0] & 0x1f) {
			case h264.NALUTypeSPS:
				p.sps = n
			case h264.NALUTypePPS:
				p.pps = n
			}
		}
		list = append(list, accessUnit{pts: int64(i) * 3600, key: h264.IDRPresent(au), nalus: au})
	}
	for b.Loop() {
		if _, err := writeMP4(p, list); err != nil {
			b.Fatal(err)
		}
	}
}
