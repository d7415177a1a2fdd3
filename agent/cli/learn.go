package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"sitegate/agent/mudlearn"
	config "sitegate/firmware-config"
	"sitegate/models/mud"
)

func init() {
	register(command{name: "learn", usage: "  learn mud|cover --config FILE --camera ID [--write] [--json] [--rollback]\n" +
		"                             fit the camera's mud or cover model to its reviewed frames; adopt it (--write) only if held-out F1 improves\n", run: runLearn})
}

func runLearn(_ context.Context, args []string, stdout, stderr io.Writer) int {
	const use = "usage: sitegate learn mud|cover --config FILE --camera ID [--write] [--json] [--rollback]\n"
	if len(args) == 0 || (args[0] != "mud" && args[0] != "cover") {
		fmt.Fprint(stderr, use)
		return ExitUsage
	}
	check := args[0]
	fs := newFlags("learn "+check, stderr)
	path := fs.String("config", "", "the config file")
	camID := fs.String("camera", "", "the camera id")
	write := fs.Bool("write", false, "adopt the fitted model if it improves held-out F1")
	asJSON := fs.Bool("json", false, "print one JSON object")
	rollback := fs.Bool("rollback", false, "put the camera's previous model back in force")
	if err := fs.Parse(args[1:]); err != nil {
		return ExitUsage
	}
	if *path == "" || *camID == "" || fs.NArg() > 0 {
		fmt.Fprint(stderr, use)
		return ExitUsage
	}
	cfg, err := config.Load(*path)
	if err != nil {
		reportConfigError(stderr, *path, err)
		return ExitUsage
	}
	var cam *config.Camera
	for _, l := range cfg.Lanes {
		for i := range l.Cameras {
			if l.Cameras[i].ID == *camID && cam == nil {
				cam = &l.Cameras[i]
			}
		}
	}
	if cam == nil {
		fmt.Fprintf(stderr, "%s: no camera %q\n", *path, *camID)
		return ExitUsage
	}
	block := blockOf(check, *cam)
	if len(block.ROIs) == 0 {
		if check == "cover" {
			fmt.Fprintf(stderr, "%s: camera %s has no cover block with rois\n", *path, *camID)
		} else {
			fmt.Fprintf(stderr, "%s: camera %s has no rois to check for mud\n", *path, *camID)
		}
		return ExitUsage
	}
	scorer := block.Scorer
	if scorer == "" {
		scorer = mud.Classic // cover's default scorer has the same name
	}
	if *rollback {
		n, err := mudlearn.Open(mudlearn.ModelsDirOf(cfg.Store.Dir, check), cam.ID).Rollback()
		if err != nil {
			fmt.Fprintf(stderr, "camera %s: %v\n", cam.ID, err)
			return ExitRuntime
		}
		name := mudlearn.Name(scorer, cam.ID, n)
		if *asJSON {
			b, _ := json.Marshal(map[string]string{"camera": cam.ID, "model": name})
			fmt.Fprintln(stdout, string(b))
		} else {
			fmt.Fprintf(stdout, "camera %s: %s is in force again\n", cam.ID, name)
		}
		return ExitOK
	}
	lc, _, _ := mudlearn.CameraOf(check, *cam)
	rep, err := mudlearn.Learn(cfg.Store.Dir, lc, *write, mudlearn.Options{})
	if err != nil {
		if errors.Is(err, mud.ErrNoVision) {
			fmt.Fprintf(stderr, "camera %s: %v\n", cam.ID, err)
			return ExitRuntime
		}
		fmt.Fprintf(stderr, "camera %s: %v\n", cam.ID, err)
		return ExitRuntime
	}
	if *asJSON {
		b, _ := json.Marshal(rep)
		fmt.Fprintln(stdout, string(b))
		return ExitOK
	}
	pos, neg := "muddy", "clean"
	if check == "cover" {
		pos, neg = "not covered", "covered"
	}
	fmt.Fprintf(stdout, "camera %s, %s scorer %s: %d reviewed frames (%d %s, %d %s)", rep.Camera, check, rep.Scorer, rep.Reviewed, rep.Muddy, pos, rep.Clean, neg)
	if rep.Unreadable > 0 {
		fmt.Fprintf(stdout, ", %d unreadable", rep.Unreadable)
	}
	fmt.Fprintln(stdout)
	if rep.F1Before != 0 || rep.F1After != 0 {
		fmt.Fprintf(stdout, "held-out F1: %.3f with %s, %.3f fitted\n", rep.F1Before, rep.ModelBefore, rep.F1After)
	}
	switch {
	case rep.Adopted:
		fmt.Fprintf(stdout, "adopted: %s is in force (roll back with --rollback)\n", rep.ModelAfter)
	case rep.Why != "":
		fmt.Fprintf(stdout, "not adopted: %s\n", rep.Why)
	case !*write && rep.Improves:
		fmt.Fprintln(stdout, "it improves: run again with --write to adopt it")
	}
	return ExitOK
}
