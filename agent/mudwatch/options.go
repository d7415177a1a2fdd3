package mudwatch

import (
	"fmt"
	"log/slog"
	"time"

	checkcover "sitegate/agent/checks/cover"
	"sitegate/agent/framestore"
	"sitegate/agent/mudlearn"
	"sitegate/drivers/camera"
	"sitegate/models/cover"
	"sitegate/models/mud"
	"sitegate/models/vision/quality"
)

// Checks a Watcher serves (Options.Check): the scorer registry, the log's check and the
// evidence's names follow it.
const (
	CheckMud   = "mud"
	CheckCover = "cover"
)

// Options configure a Watcher.
type Options struct {
	// Check is the check the watcher serves: CheckMud (the default, for "") or CheckCover. It
	// picks the scorer registry (models/mud or models/cover), the words on the annotated image
	// and the check its kept frames are filed under.
	Check     string
	CameraID  string
	Camera    *camera.Camera
	Regions   []mud.Region
	Scorer    mud.Config
	Threshold float64
	// Rate is frames analysed per second while active; default 4.
	Rate   float64
	Logger *slog.Logger
	// Language of the words on the annotated image: caption.Chinese (the default) or
	// caption.English (evidence.language).
	Language string
	// Location is the zone the annotated image writes its time in (site_timezone); nil:
	// the frame's.
	Location *time.Location

	// Quality bounds what a frame must show to be judged (models/vision/quality).
	Quality quality.Limits
	// EmptyLane learns the empty lane from a frame every ReferenceEvery (default 15 s) while
	// inactive, and refuses frames that look like it.
	EmptyLane      bool
	ReferenceEvery time.Duration
	// OnSight is told after each frame whether the camera can see (blind false) or not, and
	// why: the gateway raises and clears the camera_blind alarm from it. Called from the
	// watcher's goroutine.
	OnSight func(blind bool, reason string)
	// Store, when set, keeps each passage's judged frame and region crops for reviews.
	Store *framestore.Store
	// Models, when set, is the camera's learned model folder: the version in force there
	// replaces the shipped rule (agent/mudlearn).
	Models *mudlearn.Versions
}

func (o Options) withDefaults() Options {
	if o.Rate <= 0 {
		o.Rate = 4
	}
	if o.Language == "" {
		o.Language = "zh"
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.ReferenceEvery <= 0 {
		o.ReferenceEvery = 15 * time.Second
	}
	if o.Check == "" {
		o.Check = CheckMud
	}
	o.Logger = o.Logger.With("camera", o.CameraID, "check", o.Check)
	return o
}

// newScorer builds the check's scorer from its registry.
func (o Options) newScorer() (mud.Scorer, error) {
	switch o.Check {
	case CheckMud:
		return mud.New(o.Scorer)
	case CheckCover:
		return cover.New(o.Scorer)
	}
	return nil, fmt.Errorf("no check %q", o.Check)
}

// defaultScorer is the name of the check's scorer when the config names none.
func (o Options) defaultScorer() string {
	if o.Check == CheckCover {
		return cover.Classic
	}
	return mud.Classic
}

// kind is the kind the check reports for a judged frame: the scorer's for mud (""), and for
// cover one that agrees with the verdict under the model in force (checkcover.KindOf).
func (o Options) kind(res mud.Result, score, threshold float64) string {
	if o.Check != CheckCover {
		return res.Kind
	}
	return checkcover.KindOf(res.Kind, score, threshold)
}

func (o Options) interval() time.Duration { return time.Duration(float64(time.Second) / o.Rate) }

// boxes are the regions' bounds, as the frame judgement takes them.
func boxes(regions []mud.Region) []quality.Box {
	out := make([]quality.Box, 0, len(regions))
	for _, r := range regions {
		if len(r.Polygon) == 0 {
			continue
		}
		b := quality.Box{X0: 1, Y0: 1}
		for _, p := range r.Polygon {
			b.X0, b.Y0 = min(b.X0, p[0]), min(b.Y0, p[1])
			b.X1, b.Y1 = max(b.X1, p[0]), max(b.Y1, p[1])
		}
		out = append(out, b)
	}
	return out
}

// provinces spells the province characters of Chinese plates in Latin letters, for readers
// that cannot show Chinese (the annotated image itself draws them with agent/caption).
var provinces = map[rune]string{
	'京': "Jing", '津': "Jin", '沪': "Hu", '渝': "Yu", '冀': "Ji", '豫': "Yu", '云': "Yun", '辽': "Liao",
	'黑': "Hei", '湘': "Xiang", '皖': "Wan", '鲁': "Lu", '新': "Xin", '苏': "Su", '浙': "Zhe", '赣': "Gan",
	'鄂': "E", '桂': "Gui", '甘': "Gan", '晋': "Jin", '蒙': "Meng", '陕': "Shaan", '吉': "Ji", '闽': "Min",
	'贵': "Gui", '粤': "Yue", '青': "Qing", '藏': "Zang", '川': "Chuan", '宁': "Ning", '琼': "Qiong",
}

// latin writes a plate in characters the annotation font can draw.
func latin(s string) string {
	out := make([]rune, 0, len(s)+8)
	for _, r := range s {
		switch {
		case r < 128:
			out = append(out, r)
		case provinces[r] != "":
			out = append(out, []rune(provinces[r]+"-")...)
		default:
			out = append(out, '?')
		}
	}
	return string(out)
}
