#!/bin/sh
# What loading shared libraries costs a process before it does anything, for docs/budget.md and
# docs/store-and-forward.md (peak RSS): for each set of libraries below, a C program linked with
# exactly that set (no --as-needed) prints its own VmRSS, RssAnon and RssFile at main and how many
# shared libraries it has mapped. The agent's default build links OpenCV and FFmpeg; what their
# Debian packages load with them is most of its memory.
# Usage: testbench/budget/librss.sh ["-lfoo -lbar" ...]   (no argument: the sets of the docs)
set -eu
CC=${CC:-cc}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
cat >"$dir/rss.c" <<'C'
#include <stdio.h>
#include <string.h>
int main(void) {
	char l[512], last[512] = "";
	int libs = 0;
	FILE *f = fopen("/proc/self/status", "r");
	while (f && fgets(l, sizeof l, f))
		if (!strncmp(l, "VmRSS:", 6) || !strncmp(l, "RssAnon:", 8) || !strncmp(l, "RssFile:", 8)) {
			l[strcspn(l, "\n")] = 0;
			printf("%s  ", l);
		}
	f = fopen("/proc/self/maps", "r");
	while (f && fgets(l, sizeof l, f)) {
		char *p = strchr(l, '/');
		if (p && strstr(p, ".so") && strcmp(p, last)) {
			libs++;
			strcpy(last, p);
		}
	}
	printf("libraries: %d\n", libs);
	return 0;
}
C
if [ $# -eq 0 ]; then
	av="-lavcodec -lavutil -lswscale"
	set -- "" "-lopencv_core" "-lopencv_imgproc" "-lopencv_dnn" "-lopencv_highgui" "-lopencv_imgcodecs" \
		"-lopencv_videoio" "$av" "$(pkg-config --libs opencv4)" \
		"-lopencv_highgui -lopencv_videoio -lopencv_video -lopencv_objdetect -lopencv_calib3d -lopencv_imgcodecs -lopencv_features2d -lopencv_dnn -lopencv_photo -lopencv_imgproc -lopencv_core $av" \
		"-lopencv_core -lopencv_imgproc -lopencv_imgcodecs -lopencv_videoio -lopencv_dnn $av" \
		"-lopencv_core -lopencv_imgproc -lopencv_dnn $av -ljpeg"
fi
for libs in "$@"; do
	# shellcheck disable=SC2086 # a set of -l flags
	$CC -Wl,--no-as-needed -o "$dir/rss" "$dir/rss.c" $libs
	printf '%s\n    ' "${libs:-(none)}"
	"$dir/rss"
done
