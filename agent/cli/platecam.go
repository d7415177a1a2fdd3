package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"sitegate/testbench/platecam"
)

const platecamEmulateUsage = `  emulate platecam --vendor hikvision|dahua|vzenith|generic --mode push|pull
                   (--target URL | --listen ADDR) --lane L --plate P [--color C] [--every 5s]
                   [--count N] [--offline N] [--user U --password-file F]
                             a plate camera: byte-exact vendor pushes (push) or an event
                             stream with digest auth, snapshot and barrier (pull); prints what
                             it sends and every barrier command it receives
`

const platecamUsage = `  platecam record --listen ADDR --out FILE [--duration D]
                             record what a real camera pushes (line-delimited JSON, no
                             credentials), for Replay in tests
  platecam replay FILE --target URL
                             send a recording to a listener again
`

func init() {
	register(command{name: "platecam", usage: platecamUsage, run: runPlatecam})
}

func runPlatecam(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "record":
			return platecamRecord(ctx, args[1:], stdout, stderr)
		case "replay":
			return platecamReplay(args[1:], stdout, stderr)
		}
	}
	fmt.Fprint(stderr, "usage:\n"+platecamUsage)
	return ExitUsage
}

// colors are the section 3 colour names a plate camera emulator takes.
var colors = map[string]bool{"blue": true, "yellow": true, "green": true, "yellow-green": true, "white": true, "black": true}

func emulatePlatecam(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("emulate platecam", stderr)
	vendor := fs.String("vendor", "generic", "hikvision, dahua, vzenith (also Qianyi) or generic")
	mode := fs.String("mode", "push", "push: post reads to --target; pull: serve the camera's stream on --listen")
	target := fs.String("target", "", "push: the listener, e.g. http://127.0.0.1:8088 (the vendor's path for --lane is added when it has none)")
	listen := fs.String("listen", "", "pull: the camera's address, e.g. 127.0.0.1:8081")
	lane := fs.String("lane", "exit-1", "the lane (in the generic body, and in the vendors' push paths)")
	plateText := fs.String("plate", "", "the plate number to read")
	color := fs.String("color", "blue", "blue, yellow, green, yellow-green, white or black")
	every := fs.Duration("every", 5*time.Second, "time between reads")
	count := fs.Int("count", 1, "number of reads (0: until interrupted)")
	offline := fs.Int("offline", 0, "vzenith: a backlog of this many stored reads, resent first with isoffline 1")
	twice := fs.Bool("twice", false, "vzenith: send each offline read twice")
	heartbeat := fs.Duration("heartbeat", 0, "vzenith: heartbeat interval (0: none); pull: time between heartbeat parts")
	user := fs.String("user", "admin", "pull: the digest user; vzenith: the login its heartbeats carry")
	passFile := fs.String("password-file", "", "a file holding the password (default: "+platecam.DefaultPassword+")")
	colorWord := fs.Bool("color-word", false, "hikvision: the colour word in front of the plate, as Chinese firmware sends it")
	xmlOnly := fs.Bool("xml-only", false, "hikvision push: the XML alone, no pictures")
	pictureBytes := fs.Int("picture-bytes", 0, "exact size of the scene picture (0: a few kB; at most 100 KiB)")
	dropAfter := fs.Int("drop-after", 0, "pull: drop each stream after this many parts, in the middle of the next")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return ExitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "sitegate emulate platecam: "+format+"\n", a...)
		return ExitUsage
	}
	switch {
	case len(pos) != 0:
		return fail("unexpected argument %q", pos[0])
	case *plateText == "":
		return fail("--plate is required")
	case !colors[*color]:
		return fail("--color %q: want blue, yellow, green, yellow-green, white or black", *color)
	case *mode == "push" && (*target == "" || *listen != ""):
		return fail("push mode wants --target URL (and no --listen)")
	case *mode == "pull" && (*listen == "" || *target != ""):
		return fail("pull mode wants --listen ADDR (and no --target)")
	case *mode != "push" && *mode != "pull":
		return fail("--mode %q: want push or pull", *mode)
	case *mode == "pull" && *vendor != "hikvision" && *vendor != "dahua":
		return fail("pull mode is for hikvision and dahua cameras, not %q", *vendor)
	case *mode == "push" && *vendor != "hikvision" && *vendor != "vzenith" && *vendor != "generic":
		return fail("push mode is for hikvision, vzenith and generic cameras, not %q (Dahua's push format is not public)", *vendor)
	case *offline > 0 && *vendor != "vzenith":
		return fail("--offline is for vzenith cameras")
	case *count < 0 || *offline < 0 || *every <= 0:
		return fail("--count and --offline must be 0 or more, --every above 0")
	case *pictureBytes < 0 || *pictureBytes > platecam.MaxPictureBytes:
		return fail("--picture-bytes must be 0..%d", platecam.MaxPictureBytes)
	}
	password := ""
	if *passFile != "" {
		b, err := os.ReadFile(*passFile)
		if err != nil {
			return fail("%v", err)
		}
		password = strings.TrimSpace(string(b))
	}
	out := &syncWriter{w: stdout}
	onBarrier := func(c platecam.BarrierCommand) { fmt.Fprintf(out, "barrier command: %s\n", c) }

	// reads calls read count times (or until ctx ends), every apart; read reports whether the
	// read went out (a pull camera with no client holds it).
	reads := func(read func(n int) bool) {
		t := time.NewTicker(*every)
		defer t.Stop()
		for n := 0; (*count == 0 || n < *count) && ctx.Err() == nil; {
			if read(n) {
				n++
				if *count != 0 && n == *count {
					return
				}
			}
			select {
			case <-ctx.Done():
			case <-t.C:
			}
		}
	}

	if *mode == "pull" {
		return emulatePull(ctx, pullArgs{vendor: *vendor, listen: *listen, plate: *plateText, color: *color, colorWord: *colorWord,
			opts: platecam.CameraOptions{User: *user, Password: password, Heartbeat: *heartbeat, DropAfter: *dropAfter, PictureBytes: *pictureBytes, OnBarrier: onBarrier}},
			reads, out, stderr)
	}

	u, err := url.Parse(*target)
	if err != nil || u.Host == "" {
		return fail("--target %q is not a URL", *target)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = map[string]string{"generic": "/v1/plate", "hikvision": "/v1/plate/hikvision/" + *lane, "vzenith": "/v1/plate/vzenith/" + *lane}[*vendor]
	}
	dest := u.String()
	var failed atomic.Bool
	switch *vendor {
	case "generic":
		reads(func(int) bool {
			err := platecam.Push(ctx, dest, platecam.PushRequest{Lane: *lane, Plate: *plateText, Color: *color, Confidence: 0.97, Time: time.Now(), Image: true})
			report(out, &failed, fmt.Sprintf("generic read %s %s to %s", *plateText, *color, dest), err)
			return true
		})
	case "hikvision":
		plate, _ := platecam.Picture(160, 48, 0, 1)
		scene, err := platecam.Picture(640, 480, *pictureBytes, 2)
		if err != nil {
			fmt.Fprintln(stderr, "sitegate emulate platecam:", err)
			return ExitRuntime
		}
		reads(func(int) bool {
			a := platecam.HikvisionAlert{Plate: *plateText, Color: *color, ColorWord: *colorWord, PlatePicture: plate, ScenePicture: scene}
			err := platecam.HikvisionPush(ctx, dest, a, platecam.HikvisionPushOptions{XMLOnly: *xmlOnly})
			shape := "multipart/form-data, 3 parts"
			if *xmlOnly {
				shape = "application/xml"
			}
			report(out, &failed, fmt.Sprintf("hikvision ANPR %s (%s) to %s", a.Plate, shape, dest), err)
			return true
		})
	case "vzenith":
		cam := &platecam.VzenithCamera{URL: dest, User: *user, Password: password, SendTwice: *twice, PictureBytes: *pictureBytes, OnBarrier: onBarrier}
		if *heartbeat > 0 {
			hctx, stop := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				cam.RunHeartbeats(hctx, *heartbeat, func(r platecam.VzenithReply, err error) {
					report(out, &failed, "vzenith heartbeat to "+dest+replyText(r), err)
				})
			}()
			defer func() { stop(); <-done }()
		}
		ct := platecam.VzenithColorType(*color)
		typ := map[int]int{1: 1, 2: 3, 5: 19, 6: 20}[ct]
		if *offline > 0 {
			backlog := make([]platecam.VzenithRead, *offline)
			for i := range backlog {
				backlog[i] = platecam.VzenithRead{Plate: *plateText, ColorType: ct, Type: typ, Time: time.Now().Add(time.Duration(i-*offline) * time.Minute)}
			}
			cam.Fail(backlog...)
			sent, err := cam.SendOffline(ctx)
			report(out, &failed, fmt.Sprintf("vzenith offline backlog: %d of %d resent to %s, %d left", sent, *offline, dest, cam.Backlog()), err)
		}
		reads(func(int) bool {
			r, err := cam.Push(ctx, platecam.VzenithRead{Plate: *plateText, ColorType: ct, Type: typ})
			report(out, &failed, fmt.Sprintf("vzenith AlarmInfoPlate %s colorType %d to %s%s", *plateText, ct, dest, replyText(r)), err)
			return true
		})
	}
	if failed.Load() {
		return ExitRuntime
	}
	return ExitOK
}

func report(out io.Writer, failed *atomic.Bool, what string, err error) {
	if err != nil {
		failed.Store(true)
		fmt.Fprintf(out, "%s sent %s: %v\n", time.Now().Format("15:04:05.000"), what, err)
		return
	}
	fmt.Fprintf(out, "%s sent %s: ok\n", time.Now().Format("15:04:05.000"), what)
}

func replyText(r platecam.VzenithReply) string {
	if len(r.Raw) == 0 {
		return ""
	}
	return ", reply " + strings.TrimSpace(string(r.Raw))
}

type pullArgs struct {
	vendor, listen, plate, color string
	colorWord                    bool
	opts                         platecam.CameraOptions
}

func emulatePull(ctx context.Context, a pullArgs, reads func(func(int) bool), out io.Writer, stderr io.Writer) int {
	var (
		h       http.Handler
		emit    func() int
		streams func() int
		stream  string
	)
	switch a.vendor {
	case "hikvision":
		cam, err := platecam.NewHikvisionCamera(a.opts)
		if err != nil {
			fmt.Fprintln(stderr, "sitegate emulate platecam:", err)
			return ExitUsage
		}
		h, streams, stream = cam.Handler(), cam.Streams, "/ISAPI/Event/notification/alertStream"
		emit = func() int {
			return cam.Emit(platecam.HikvisionAlert{Plate: a.plate, Color: a.color, ColorWord: a.colorWord})
		}
	case "dahua":
		cam, err := platecam.NewDahuaCamera(a.opts)
		if err != nil {
			fmt.Fprintln(stderr, "sitegate emulate platecam:", err)
			return ExitUsage
		}
		h, streams, stream = cam.Handler(), cam.Streams, "/cgi-bin/snapManager.cgi?action=attachFileProc&Flags[0]=Event&Events=[TrafficJunction]&heartbeat=5"
		emit = func() int { return cam.Emit(platecam.DahuaEvent{Plate: a.plate, Color: a.color}) }
	}
	ln, err := net.Listen("tcp", a.listen)
	if err != nil {
		fmt.Fprintln(stderr, "sitegate emulate platecam:", err)
		return ExitRuntime
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	user := a.opts.User
	if user == "" {
		user = "admin"
	}
	fmt.Fprintf(out, "%s camera listening on %s: stream http://%s%s (digest user %s)\n", a.vendor, ln.Addr(), ln.Addr(), stream, user)
	reads(func(int) bool {
		if streams() == 0 {
			fmt.Fprintf(out, "%s no stream open: read %s held\n", time.Now().Format("15:04:05.000"), a.plate)
			return false
		}
		fmt.Fprintf(out, "%s sent %s read %s %s on %d stream(s)\n", time.Now().Format("15:04:05.000"), a.vendor, a.plate, a.color, emit())
		return true
	})
	<-ctx.Done() // keep answering snapshots and barrier commands until interrupted
	sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	srv.Close()
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(stderr, "sitegate emulate platecam:", err)
		return ExitRuntime
	}
	return ExitOK
}

func platecamRecord(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := newFlags("platecam record", stderr)
	listen := fs.String("listen", "", "the address the camera pushes to, e.g. 0.0.0.0:8088")
	outFile := fs.String("out", "", "the recording to write (line-delimited JSON)")
	dur := fs.Duration("duration", 0, "stop after this long (0: until interrupted)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 0 || *listen == "" || *outFile == "" {
		fmt.Fprintln(stderr, "usage: sitegate platecam record --listen ADDR --out FILE [--duration D]")
		return ExitUsage
	}
	f, err := os.Create(*outFile)
	if err != nil {
		fmt.Fprintln(stderr, "sitegate platecam record:", err)
		return ExitRuntime
	}
	defer f.Close()
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "sitegate platecam record:", err)
		return ExitRuntime
	}
	out := &syncWriter{w: stdout}
	rec := platecam.NewRecorder(f)
	rec.OnRequest = func(r platecam.RecordedRequest) {
		fmt.Fprintf(out, "%s %s %s %s, %d bytes\n", r.Time.Format("15:04:05.000"), r.Method, r.Path, http.Header(r.Header).Get("Content-Type"), len(r.Bytes()))
	}
	if *dur > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *dur)
		defer cancel()
	}
	srv := &http.Server{Handler: rec, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(out, "recording pushes to http://%s to %s\n", ln.Addr(), *outFile)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srv.Shutdown(sctx)
	<-served
	if err := rec.Err(); err != nil {
		fmt.Fprintln(stderr, "sitegate platecam record:", err)
		return ExitRuntime
	}
	if err := f.Close(); err != nil {
		fmt.Fprintln(stderr, "sitegate platecam record:", err)
		return ExitRuntime
	}
	fmt.Fprintf(out, "recorded %d requests to %s\n", rec.Count(), *outFile)
	return ExitOK
}

func platecamReplay(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("platecam replay", stderr)
	target := fs.String("target", "", "the listener, e.g. http://127.0.0.1:8088 (a path replaces the recorded ones)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return ExitUsage
	}
	if len(pos) != 1 || *target == "" {
		fmt.Fprintln(stderr, "usage: sitegate platecam replay FILE --target URL")
		return ExitUsage
	}
	answers, err := platecam.Replay(pos[0], *target)
	for _, a := range answers {
		fmt.Fprintf(stdout, "%s %s: %d %s\n", a.Request.Method, a.Request.Path, a.Status, strings.TrimSpace(string(a.Body[:min(len(a.Body), 200)])))
	}
	if err != nil {
		fmt.Fprintln(stderr, "sitegate platecam replay:", err)
		return ExitRuntime
	}
	return ExitOK
}
