#!/bin/sh
# Instruction counts per operation of the gateway's parts, for docs/budget.md: each benchmark
# runs twice under callgrind (valgrind), with N1 and N2 iterations, and the difference divided by
# N2-N1 is the instructions of one operation (set-up and the test binary's start cancel out).
# perf stat -e instructions is used instead when the kernel exposes the counter (not in this VM).
# Run by `make budget` (not CI: several minutes). Output: one line per benchmark.
set -eu
GO=${GO:-go}
OUT=$(realpath "${BUDGET_DIR:-$(mktemp -d)}")
export GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1   # callgrind and Go's preemption signals do not mix
# The camera benchmarks' 1080p25 stream, made here so that no ffmpeg runs under callgrind (the
# arguments are drivers/camera's Stream1080pArgs).
export SITEGATE_BENCH_H264="$OUT/cam1080.h264"
[ -s "$SITEGATE_BENCH_H264" ] || ffmpeg -hide_banner -loglevel error -f lavfi -i testsrc2=size=1920x1080:rate=25 -t 2 \
	-c:v libx264 -preset veryfast -profile:v main -b:v 4M -maxrate 4M -bufsize 8M -g 50 -pix_fmt yuv420p \
	-x264-params aud=1 -f h264 -y "$SITEGATE_BENCH_H264"

count() { # binary bench N -> instructions (callgrind is retried: it now and then trips on a signal)
	for try in 1 2 3; do
		n=$(count1 "$@")
		[ -n "$n" ] && { echo "$n"; return; }
	done
	echo "callgrind failed on $2 ($3 iterations)" >&2
	exit 1
}

count1() {
	if perf stat -x, -e instructions true 2>&1 | grep -q '^[0-9]'; then
		perf stat -x, -e instructions "$1" -test.run='^$' -test.bench="$2" -test.benchtime="$3"x 2>&1 >/dev/null | awk -F, '/instructions/ {print $1}'
	else
		valgrind --tool=callgrind --callgrind-out-file=/dev/null "$1" -test.run='^$' -test.bench="$2" -test.benchtime="$3"x 2>&1 \
			| awk '/Collected :/ {print $NF}'
	fi
}

per_op() { # package bench N1 N2 what (run in the package's folder, as go test does)
	bin="$OUT/$(echo "$1" | tr / _).test"
	[ -x "$bin" ] || $GO test -c -o "$bin" "./$1"
	a=$(cd "$1" && count "$bin" "$2" "$3")
	b=$(cd "$1" && count "$bin" "$2" "$4")
	echo "$1 $2: $(( (b - a) / ($4 - $3) )) instructions/op ($5)"
}

per_op drivers/indicator/yaohua '^BenchmarkDecodeTF0$' 2000 12000 "one tF=0 reading decoded"
per_op drivers/plate/hikvision '^BenchmarkPush$/^xml$' 20 220 "one ISAPI XML push taken"
per_op drivers/plate/hikvision '^BenchmarkPush$/^multipart-2x50KB$' 10 60 "one ISAPI push with two 50 KB pictures"
per_op drivers/camera '^BenchmarkIngest1080p$' 50 550 "one 1080p picture received as packets (idle camera)"
per_op drivers/camera '^BenchmarkDecode1080p$' 10 60 "one 1080p picture decoded, one thread"
per_op drivers/camera '^BenchmarkConvert1080p$' 5 30 "one 1080p picture converted to BGR"
per_op drivers/camera '^BenchmarkClip1080p$' 3 13 "one 2 s 1080p clip written as MP4"
per_op models/mud '^BenchmarkAnalyse1080p$/^classic$' 2 12 "one classic mud analysis of a 1080p frame"
per_op models/mud '^BenchmarkAnalyse1080p$/^onnx$' 2 12 "one onnx mud analysis of a 1080p frame"
per_op agent/outbox '^BenchmarkAppendBatch$/^badger$' 20 120 "one passage with 50 KiB of evidence committed"
per_op agent/outbox '^BenchmarkDrain$/^badger$' 100 600 "one passage peeked and deleted (the outbox's part of the drain)"
