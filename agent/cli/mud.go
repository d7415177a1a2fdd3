package cli

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	checkcover "sitegate/agent/checks/cover"
	config "sitegate/firmware-config"
	"sitegate/models/cover"
	"sitegate/models/mud"
)

func init() {
	register(command{name: "eval", usage: "  eval mud|cover --config FILE --camera ID --images DIR --labels FILE.csv [--json]\n" +
		"                             score labelled frames with the camera's mud or cover scorer: precision, recall, F1\n" +
		"                             (cover: and how often the kind found, open, torn or heaped, is the label's)\n", run: runEval})
	register(command{name: "calibrate", usage: "  calibrate mud|cover --config FILE --camera ID --images DIR --labels FILE.csv [--write] [--json]\n" +
		"                             fit a calibration of the camera's scorer to labelled frames (cross-validated;\n" +
		"                             refused, exit 2, when degenerate or no better); print (or write) its mud: or cover: block\n", run: runCalibrate})
}

// labelRow is one labelled frame: its file, whether it is of the positive class (muddy; for
// cover, not properly covered), its label, and any extra columns.
type labelRow struct {
	File  string
	Muddy bool
	Label string
	Extra map[string]string
}

// labelSet is one check's labels: which words are labels, and which of them are positive.
type labelSet struct {
	words string // for messages: "clean or muddy"
	read  func(label string) (positive, ok bool)
}

var (
	mudLabels = labelSet{"clean or muddy", func(l string) (bool, bool) {
		switch l {
		case "clean":
			return false, true
		case "muddy":
			return true, true
		}
		return false, false
	}}
	coverLabels = labelSet{"covered, open, torn, heaped or uncovered", cover.IsAlarmLabel}
)

// maxLabelRows bounds a labels file.
const maxLabelRows = 1_000_000

// parseLabels reads `file,label[,extra...]` rows; label is clean or muddy. A first row whose
// label column is not clean or muddy is a header naming the columns; without one, extra
// columns are named col3, col4, ...
func parseLabels(r io.Reader) ([]labelRow, []string, error) { return parseLabelsOf(r, mudLabels) }

// parseLabelsOf is parseLabels for a check's labels.
func parseLabelsOf(r io.Reader, set labelSet) ([]labelRow, []string, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = false
	var names []string
	var rows []labelRow
	for line := 1; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("labels: %w", err)
		}
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue
		}
		if len(rec) < 2 {
			return nil, nil, fmt.Errorf("labels line %d: want file,label[,...], got %d column(s)", line, len(rec))
		}
		label := strings.ToLower(strings.TrimSpace(rec[1]))
		muddy, ok := set.read(label)
		if line == 1 && !ok {
			names = append([]string(nil), rec...)
			continue
		}
		if !ok {
			return nil, nil, fmt.Errorf("labels line %d: label %q is not %s", line, rec[1], set.words)
		}
		file := strings.TrimSpace(rec[0])
		if file == "" || filepath.IsAbs(file) || strings.Contains(file, "..") {
			return nil, nil, fmt.Errorf("labels line %d: file %q must be a relative path inside the images folder", line, rec[0])
		}
		row := labelRow{File: file, Muddy: muddy, Label: label}
		for k := 2; k < len(rec); k++ {
			name := fmt.Sprintf("col%d", k+1)
			if k < len(names) && strings.TrimSpace(names[k]) != "" {
				name = strings.TrimSpace(names[k])
			}
			if row.Extra == nil {
				row.Extra = map[string]string{}
			}
			row.Extra[name] = strings.TrimSpace(rec[k])
		}
		rows = append(rows, row)
		if len(rows) > maxLabelRows {
			return nil, nil, fmt.Errorf("labels: more than %d rows", maxLabelRows)
		}
	}
	if len(rows) == 0 {
		return nil, nil, errors.New("labels: no labelled frames")
	}
	var extra []string
	if len(names) > 2 {
		for _, n := range names[2:] {
			if n = strings.TrimSpace(n); n != "" {
				extra = append(extra, n)
			}
		}
	} else {
		seen := map[string]bool{}
		for _, r := range rows {
			for k := range r.Extra {
				if !seen[k] {
					seen[k] = true
					extra = append(extra, k)
				}
			}
		}
		sort.Strings(extra)
	}
	return rows, extra, nil
}

// mudJob is what eval and calibrate share: the check, the camera and its block of that check,
// its labelled frames and their scores.
type mudJob struct {
	path    string
	check   string
	cam     config.Camera
	block   checkBlock
	rows    []labelRow
	extra   []string
	samples []mud.Sample
	results []mud.Result // each row's, from the bare scorer (no calibration)
	failed  []string
	cal     *mud.Calibration // the camera's current calibration, if it has one
}

// checkBlock is what eval and calibrate read of a camera's mud or cover block.
type checkBlock struct {
	Scorer, Model, Calibration string
	Threshold                  float64
	ROIs                       []config.ROI
}

// blockOf is the camera's block of check.
func blockOf(check string, c config.Camera) checkBlock {
	if check == "cover" {
		v := c.Cover
		return checkBlock{Scorer: v.Scorer, Model: v.Model, Calibration: v.Calibration, Threshold: v.Threshold, ROIs: v.ROIs}
	}
	m := c.Mud
	return checkBlock{Scorer: m.Scorer, Model: m.Model, Calibration: m.Calibration, Threshold: m.Threshold, ROIs: c.ROIs}
}

func mudFlags(name string, args []string, stderr io.Writer, boolFlags ...string) (*mudJob, map[string]bool, int) {
	usage := fmt.Sprintf("usage: sitegate %s mud|cover --config FILE --camera ID --images DIR --labels FILE.csv", name)
	for _, b := range boolFlags {
		usage += " [--" + b + "]"
	}
	if len(args) == 0 || (args[0] != "mud" && args[0] != "cover") {
		fmt.Fprintln(stderr, usage)
		return nil, nil, ExitUsage
	}
	check := args[0]
	fs := newFlags(name+" "+check, stderr)
	path := fs.String("config", "", "the config file")
	camID := fs.String("camera", "", "the camera id")
	images := fs.String("images", "", "the folder of the labelled frames")
	labels := fs.String("labels", "", "the labels CSV (file,label[,extra columns])")
	flags := map[string]*bool{}
	for _, b := range boolFlags {
		flags[b] = fs.Bool(b, false, map[string]string{"json": "print one JSON object", "write": "write the calibration next to the config and update the camera's " + check + " block"}[b])
	}
	if err := fs.Parse(args[1:]); err != nil {
		return nil, nil, ExitUsage
	}
	if *path == "" || *camID == "" || *images == "" || *labels == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, usage)
		return nil, nil, ExitUsage
	}
	set := map[string]bool{}
	for b, v := range flags {
		set[b] = *v
	}
	cfg, err := config.Load(*path)
	if err != nil {
		reportConfigError(stderr, *path, err)
		return nil, nil, ExitUsage
	}
	job := &mudJob{path: *path, check: check}
	found := false
	for _, l := range cfg.Lanes {
		for _, c := range l.Cameras {
			if c.ID == *camID && !found {
				job.cam, found = c, true
			}
		}
	}
	if !found {
		fmt.Fprintf(stderr, "%s: no camera %q\n", *path, *camID)
		return nil, nil, ExitUsage
	}
	job.block = blockOf(check, job.cam)
	if len(job.block.ROIs) == 0 {
		if check == "cover" {
			fmt.Fprintf(stderr, "%s: camera %s has no cover block with rois\n", *path, *camID)
		} else {
			fmt.Fprintf(stderr, "%s: camera %s has no rois to check for mud\n", *path, *camID)
		}
		return nil, nil, ExitUsage
	}
	lf, err := os.Open(*labels)
	if err != nil {
		fmt.Fprintln(stderr, err)
		return nil, nil, ExitUsage
	}
	labelsOf := mudLabels
	if check == "cover" {
		labelsOf = coverLabels
	}
	job.rows, job.extra, err = parseLabelsOf(lf, labelsOf)
	lf.Close()
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n", *labels, err)
		return nil, nil, ExitUsage
	}
	if c := job.block.Calibration; c != "" {
		cal, err := mud.LoadCalibration(c)
		if err != nil {
			fmt.Fprintf(stderr, "camera %s: %v\n", *camID, err)
			return nil, nil, ExitUsage
		}
		job.cal = &cal
	}
	results, failed, err := scoreFrames(check, job.block, *images, job.rows)
	if err != nil {
		fmt.Fprintf(stderr, "camera %s: %v\n", *camID, err)
		return nil, nil, ExitRuntime
	}
	job.failed, job.results = failed, results
	for i, r := range job.rows {
		job.samples = append(job.samples, mud.Sample{Score: job.score(results[i]), Muddy: r.Muddy})
	}
	return job, set, ExitOK
}

// score is a frame's score as the camera is configured: the scorer's, or its calibration's.
func (j *mudJob) score(r mud.Result) float64 {
	if j.cal == nil || len(r.Regions) == 0 {
		return r.Score
	}
	s, err := j.cal.ApplyResult(r)
	if err != nil {
		return r.Score
	}
	return s
}

// evalGroup is one breakdown cell.
type evalGroup struct {
	N         int           `json:"n"`
	Precision float64       `json:"precision"`
	Recall    float64       `json:"recall"`
	F1        float64       `json:"f1"`
	Accuracy  float64       `json:"accuracy"`
	Confusion mud.Confusion `json:"confusion"`
}

func group(c mud.Confusion) evalGroup {
	return evalGroup{N: c.TP + c.FP + c.TN + c.FN, Precision: c.Precision(), Recall: c.Recall(), F1: c.F1(), Accuracy: c.Accuracy(), Confusion: c}
}

type evalReport struct {
	Camera    string  `json:"camera"`
	Scorer    string  `json:"scorer"`
	Threshold float64 `json:"threshold"`
	evalGroup
	Unreadable []string                        `json:"unreadable,omitempty"`
	By         map[string]map[string]evalGroup `json:"by,omitempty"`
	// Kinds is, for cover, how often the kind the check reports (covered, open, torn, heaped,
	// uncovered) is the frame's label.
	Kinds *kindReport `json:"kinds,omitempty"`
}

// kindReport compares the kind reported with the label, over the readable frames labelled
// with a kind (a frame labelled uncovered tells no kind and is left out).
type kindReport struct {
	N        int     `json:"n"`
	Accuracy float64 `json:"accuracy"`
	// Confusion counts frames by label, then by the kind reported.
	Confusion map[string]map[string]int `json:"confusion"`
}

// kinds is the kind report of a cover job.
func (j *mudJob) kinds() *kindReport {
	k := &kindReport{Confusion: map[string]map[string]int{}}
	right := 0
	for i, r := range j.rows {
		if r.Label == cover.Uncovered || len(j.results[i].Regions) == 0 {
			continue
		}
		got := checkcover.KindOf(j.results[i].Kind, j.samples[i].Score, j.block.Threshold)
		if k.Confusion[r.Label] == nil {
			k.Confusion[r.Label] = map[string]int{}
		}
		k.Confusion[r.Label][got]++
		k.N++
		if got == r.Label {
			right++
		}
	}
	if k.N > 0 {
		k.Accuracy = float64(right) / float64(k.N)
	}
	return k
}

func runEval(_ context.Context, args []string, stdout, stderr io.Writer) int {
	job, flags, code := mudFlags("eval", args, stderr, "json")
	if job == nil {
		return code
	}
	asJSON := flags["json"]
	t := job.block.Threshold
	rep := evalReport{Camera: job.cam.ID, Scorer: job.block.Scorer, Threshold: t, evalGroup: group(mud.Evaluate(job.samples, t)), Unreadable: job.failed}
	if job.check == "cover" {
		rep.Kinds = job.kinds()
	}
	for _, col := range job.extra {
		cells := map[string]*mud.Confusion{}
		for i, r := range job.rows {
			v := r.Extra[col]
			if cells[v] == nil {
				cells[v] = &mud.Confusion{}
			}
			cells[v].Add(job.samples[i].Score >= t, r.Muddy)
		}
		if len(cells) > 12 || len(cells) < 2 { // a free-form column (or a constant one) says nothing per value
			continue
		}
		if rep.By == nil {
			rep.By = map[string]map[string]evalGroup{}
		}
		rep.By[col] = map[string]evalGroup{}
		for v, c := range cells {
			rep.By[col][v] = group(*c)
		}
	}
	if asJSON {
		b, _ := json.Marshal(rep)
		fmt.Fprintln(stdout, string(b))
		return ExitOK
	}
	fmt.Fprintf(stdout, "camera %s, %s scorer %s, threshold %.3f, %d frames", rep.Camera, job.check, rep.Scorer, t, rep.N)
	if len(rep.Unreadable) > 0 {
		fmt.Fprintf(stdout, " (%d unreadable, scored 0)", len(rep.Unreadable))
	}
	fmt.Fprintf(stdout, "\nprecision %.3f  recall %.3f  F1 %.3f  accuracy %.3f\n", rep.Precision, rep.Recall, rep.F1, rep.Accuracy)
	c := rep.Confusion
	if job.check == "cover" {
		fmt.Fprintf(stdout, "confusion            predicted uncovered  predicted covered\n  actual uncovered   %19d  %17d\n  actual covered     %19d  %17d\n", c.TP, c.FN, c.FP, c.TN)
		printKinds(stdout, rep.Kinds)
	} else {
		fmt.Fprintf(stdout, "confusion        predicted muddy  predicted clean\n  actual muddy   %15d  %15d\n  actual clean   %15d  %15d\n", c.TP, c.FN, c.FP, c.TN)
	}
	for _, col := range job.extra {
		cells, ok := rep.By[col]
		if !ok {
			continue
		}
		fmt.Fprintf(stdout, "by %s:\n", col)
		keys := make([]string, 0, len(cells))
		for k := range cells {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			g := cells[k]
			fmt.Fprintf(stdout, "  %-14s n %4d  precision %.3f  recall %.3f  F1 %.3f  (tp %d fp %d tn %d fn %d)\n",
				k, g.N, g.Precision, g.Recall, g.F1, g.Confusion.TP, g.Confusion.FP, g.Confusion.TN, g.Confusion.FN)
		}
	}
	return ExitOK
}

// printKinds writes the kind report: its accuracy and, per label, the kinds reported.
func printKinds(w io.Writer, k *kindReport) {
	if k == nil || k.N == 0 {
		fmt.Fprintln(w, "kind: no frame labelled with a kind")
		return
	}
	fmt.Fprintf(w, "kind accuracy %.3f over %d frames labelled with a kind\n", k.Accuracy, k.N)
	for _, label := range []string{cover.Covered, cover.Open, cover.Torn, cover.Heaped} {
		got := k.Confusion[label]
		if len(got) == 0 {
			continue
		}
		var parts []string
		for _, kind := range []string{cover.Covered, cover.Open, cover.Torn, cover.Heaped, cover.Uncovered} {
			if n := got[kind]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s %d", kind, n))
			}
		}
		fmt.Fprintf(w, "  labelled %-8s reported %s\n", label, strings.Join(parts, ", "))
	}
}

// calibrateReport is what `calibrate mud --json` (or cover) prints.
type calibrateReport struct {
	Camera  string `json:"camera"`
	Scorer  string `json:"scorer"`
	Version string `json:"version,omitempty"`
	mud.FitReport
	Threshold  float64  `json:"threshold,omitempty"`
	Written    string   `json:"written,omitempty"`
	Unreadable []string `json:"unreadable,omitempty"`
}

func runCalibrate(_ context.Context, args []string, stdout, stderr io.Writer) int {
	job, flags, code := mudFlags("calibrate", args, stderr, "write", "json")
	if job == nil {
		return code
	}
	write, asJSON := flags["write"], flags["json"]
	var frames []mud.LabelledScores
	for i, r := range job.rows {
		if len(job.results[i].Regions) == 0 { // unreadable: not a labelled frame to fit
			continue
		}
		frames = append(frames, mud.LabelledScores{Regions: job.results[i].Regions, Features: job.results[i].Features, Muddy: r.Muddy})
	}
	opts := mud.FitOptions{Threshold: job.block.Threshold}
	if job.cal != nil { // "before" is the camera as it is now: its calibration
		cur := *job.cal
		opts.Threshold = cur.Threshold
		opts.Current = func(f mud.LabelledScores) float64 {
			s, err := cur.ApplyResult(mud.Result{Regions: f.Regions, Features: f.Features})
			if err != nil {
				return 0
			}
			return s
		}
	}
	cal, rep, err := mud.FitScores(job.block.Scorer, frames, opts)
	out := calibrateReport{Camera: job.cam.ID, Scorer: job.block.Scorer, FitReport: rep, Unreadable: job.failed}
	if err != nil && !errors.Is(err, mud.ErrRefused) {
		fmt.Fprintf(stderr, "camera %s: %v\n", job.cam.ID, err)
		return ExitRuntime
	}
	if err == nil {
		out.Version, out.Threshold = cal.Version, cal.Threshold
	}
	calFile := job.check + "-calibration-" + job.cam.ID + ".json"
	if err == nil && write {
		dir := filepath.Dir(job.path)
		if werr := cal.Save(filepath.Join(dir, calFile)); werr != nil {
			fmt.Fprintf(stderr, "%s: %v\n", job.path, werr)
			return ExitRuntime
		}
		if werr := writeBlock(job.path, job.check, job.cam.ID, cal.Threshold, calFile); werr != nil {
			fmt.Fprintf(stderr, "%s: %v\n", job.path, werr)
			return ExitRuntime
		}
		out.Written = filepath.Join(dir, calFile)
	}
	if asJSON {
		b, _ := json.Marshal(out)
		fmt.Fprintln(stdout, string(b))
	} else {
		positive := "muddy"
		if job.check == "cover" {
			positive = "not covered"
		}
		fmt.Fprintf(stdout, "# camera %s: %d labelled frames (%d %s), %d-fold cross-validation, on the held-out folds:\n", job.cam.ID, rep.Frames, rep.Muddy, positive, rep.Folds)
		b, a := rep.Before, rep.After
		fmt.Fprintf(stdout, "#   before (threshold %.3f): precision %.3f, recall %.3f, F1 %.3f\n", b.Threshold, b.Precision, b.Recall, b.F1)
		if rep.Folds > 0 {
			fmt.Fprintf(stdout, "#   after  (%s stage, threshold %.3f): precision %.3f, recall %.3f, F1 %.3f\n", rep.Stage, a.Threshold, a.Precision, a.Recall, a.F1)
		}
		if err == nil {
			fmt.Fprintf(stdout, "# calibration %s\n", cal.Version)
			var block any
			if job.check == "cover" {
				// The block without its regions, which stay as the config draws them.
				c := job.cam.Cover
				type keys struct {
					Scorer      string  `yaml:"scorer"`
					Threshold   float64 `yaml:"threshold"`
					Model       string  `yaml:"model"`
					Rate        float64 `yaml:"rate"`
					Calibration string  `yaml:"calibration"`
				}
				fmt.Fprintln(stdout, "# rois: as the config draws them")
				block = struct {
					Cover keys `yaml:"cover"`
				}{keys{c.Scorer, cal.Threshold, c.Model, c.Rate, calFile}}
			} else {
				m := job.cam.Mud
				m.Threshold, m.Calibration = cal.Threshold, calFile
				block = struct {
					Mud config.Mud `yaml:"mud"`
				}{m}
			}
			var buf bytes.Buffer
			enc := yaml.NewEncoder(&buf)
			enc.SetIndent(2)
			enc.Encode(block)
			stdout.Write(buf.Bytes())
			if out.Written != "" {
				fmt.Fprintf(stdout, "# written to %s and %s\n", out.Written, job.path)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(stderr, "camera %s: %v; nothing written\n", job.cam.ID, err)
		return ExitUsage
	}
	return ExitOK
}

// math3 rounds a threshold to three decimals, as it is written.
func math3(t float64) float64 {
	v, _ := strconv.ParseFloat(strconv.FormatFloat(t, 'f', 3, 64), 64)
	return v
}

// writeBlock sets lanes[].cameras[id == camID].{check}.threshold (and, when calFile is not "",
// {check}.calibration; check is mud or cover) in the config file in place, keeping its
// comments and layout, and replaces the file only if the result still validates.
func writeBlock(path, check, camID string, t float64, calFile string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return err
	}
	cam := findCamera(&doc, camID)
	if cam == nil {
		return fmt.Errorf("no camera %q", camID)
	}
	mudNode := mapValue(cam, check)
	if mudNode == nil {
		cam.Content = append(cam.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: check}, &yaml.Node{Kind: yaml.MappingNode})
		mudNode = cam.Content[len(cam.Content)-1]
	}
	setKey(mudNode, "threshold", "!!float", strconv.FormatFloat(t, 'f', 3, 64))
	if calFile != "" {
		setKey(mudNode, "calibration", "!!str", calFile)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return err
	}
	if _, err := config.Parse(buf.Bytes(), filepath.Dir(path)); err != nil {
		return fmt.Errorf("the updated config would not validate: %w", err)
	}
	tmp := path + ".calibrate.tmp"
	if err := os.WriteFile(tmp, buf.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// setKey sets key's scalar value in mapping m, adding the key if it is missing.
func setKey(m *yaml.Node, key, tag, val string) {
	if n := mapValue(m, key); n != nil {
		n.Kind, n.Tag, n.Value, n.Style = yaml.ScalarNode, tag, val, 0
		return
	}
	m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: key}, &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: val})
}

// findCamera returns the mapping node of the camera with id camID under lanes[].cameras[].
func findCamera(doc *yaml.Node, camID string) *yaml.Node {
	root := doc
	if root.Kind == yaml.DocumentNode && len(root.Content) > 0 {
		root = root.Content[0]
	}
	lanes := mapValue(root, "lanes")
	if lanes == nil || lanes.Kind != yaml.SequenceNode {
		return nil
	}
	for _, l := range lanes.Content {
		cams := mapValue(l, "cameras")
		if cams == nil || cams.Kind != yaml.SequenceNode {
			continue
		}
		for _, c := range cams.Content {
			if id := mapValue(c, "id"); id != nil && id.Value == camID {
				return c
			}
		}
	}
	return nil
}

func mapValue(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}
