package camera

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/bluenviron/mediacommon/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/pkg/formats/pmp4"
)

// ErrNoClip is returned by Clip when the camera has no coded pictures to write (a source that is
// not RTSP H.264/H.265, or nothing received around the capture).
var ErrNoClip = errors.New("camera: no clip")

// clipTimeScale is the MP4 track's clock: RTP video's 90 kHz.
const clipTimeScale = 90000

// codecParams are what a decoder or an MP4 track needs besides the pictures.
type codecParams struct {
	hevc          bool
	vps, sps, pps []byte
}

// writeMP4 writes aus (starting at a key frame) as a progressive MP4, the pictures as they came
// (no re-encoding). Each picture lasts until the next one's time; the last as long as the one
// before it.
func writeMP4(p codecParams, aus []accessUnit) ([]byte, error) {
	if len(aus) == 0 || !aus[0].key {
		return nil, ErrNoClip
	}
	var codec fmp4.Codec
	if p.hevc {
		if p.vps == nil || p.sps == nil || p.pps == nil {
			return nil, fmt.Errorf("%w: H.265 parameters not received", ErrNoClip)
		}
		codec = &fmp4.CodecH265{VPS: p.vps, SPS: p.sps, PPS: p.pps}
	} else {
		if p.sps == nil || p.pps == nil {
			return nil, fmt.Errorf("%w: H.264 parameters not received", ErrNoClip)
		}
		codec = &fmp4.CodecH264{SPS: p.sps, PPS: p.pps}
	}
	samples := make([]*pmp4.Sample, 0, len(aus))
	var last uint32 = clipTimeScale / 25
	for i, au := range aus {
		// MP4 frames H.264 and H.265 NAL units alike: each after its 4-byte length.
		payload, err := h264.AVCC(au.nalus).Marshal()
		if err != nil {
			return nil, fmt.Errorf("clip: picture %d: %w", i, err)
		}
		dur := last
		if i+1 < len(aus) {
			if d := aus[i+1].pts - au.pts; d > 0 && d < 10*clipTimeScale {
				dur = uint32(d)
			}
		}
		last = dur
		samples = append(samples, &pmp4.Sample{
			Duration:        dur,
			IsNonSyncSample: !au.key,
			PayloadSize:     uint32(len(payload)),
			GetPayload:      func() ([]byte, error) { return payload, nil },
		})
	}
	pres := pmp4.Presentation{Tracks: []*pmp4.Track{{ID: 1, TimeScale: clipTimeScale, Codec: codec, Samples: samples}}}
	var buf bytes.Buffer
	if err := pres.Marshal(&buf); err != nil {
		return nil, fmt.Errorf("clip: mp4: %w", err)
	}
	return buf.Bytes(), nil
}
