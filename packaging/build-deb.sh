#!/bin/sh
# Builds one sitegate .deb with dpkg-deb.
#
#   build-deb.sh -a amd64|arm64 -f cv|nocv -b BINARY -v VERSION -o OUTDIR
#
# cv is the full agent (cgo, Debian's OpenCV: its Depends come from the binary's DT_NEEDED
# entries); nocv the static weighbridge-only build, package sitegate-nocv. The two conflict.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
arch="" flavor="" bin="" version="" out=""
while getopts a:f:b:v:o: opt; do
	case $opt in
	a) arch=$OPTARG ;;
	f) flavor=$OPTARG ;;
	b) bin=$OPTARG ;;
	v) version=$OPTARG ;;
	o) out=$OPTARG ;;
	*) exit 2 ;;
	esac
done
[ -n "$arch" ] && [ -n "$flavor" ] && [ -n "$bin" ] && [ -n "$version" ] && [ -n "$out" ] || {
	echo "usage: $0 -a amd64|arm64 -f cv|nocv -b BINARY -v VERSION -o OUTDIR" >&2
	exit 2
}
case "$arch" in amd64) elfarch="X86-64" ;; arm64) elfarch="AArch64" ;; *) echo "$0: arch $arch is not supported (amd64, arm64)" >&2; exit 2 ;; esac
case "$flavor" in
cv) pkg=sitegate other=sitegate-nocv ;;
nocv) pkg=sitegate-nocv other=sitegate ;;
*) echo "$0: flavor $flavor is not cv or nocv" >&2; exit 2 ;;
esac
# A binary for another machine or flavor must never end up in the package.
machine=$(LC_ALL=C readelf -h "$bin" | sed -n 's/^ *Machine: *//p')
case "$machine" in *"$elfarch"*) ;; *) echo "$0: $bin is for $machine, not $arch" >&2; exit 1 ;; esac
needed=$(LC_ALL=C readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
if [ "$flavor" = nocv ] && [ -n "$needed" ]; then
	echo "$0: $bin is dynamically linked; the nocv package takes the static CGO_ENABLED=0 build" >&2
	exit 1
fi

# Depends: the package shipping each needed library. Debian names them the same on every
# architecture, so this host's dpkg database (with the amd64 OpenCV installed) answers for arm64.
depends="passwd"
if [ -n "$needed" ]; then
	hosttriplet=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -dumpmachine)
	libs=""
	for so in $needed; do
		p=$(dpkg -S "/usr/lib/$hosttriplet/$so" "/lib/$hosttriplet/$so" 2>/dev/null | head -n1 | cut -d: -f1) || true
		[ -n "$p" ] || { echo "$0: no installed package ships $so" >&2; exit 1; }
		libs="$libs
$p"
	done
	for p in $(echo "$libs" | sort -u); do
		case "$p" in libc6) depends="$depends, libc6 (>= 2.36)" ;; *) depends="$depends, $p" ;; esac
	done
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
root="$work/root"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/sitegate" "$root/usr/share/doc/$pkg"
install -m 0755 "$bin" "$root/usr/bin/sitegate"
install -m 0644 "$here/sitegate.service" "$root/lib/systemd/system/sitegate.service"
install -m 0644 "$repo/README.md" "$root/usr/share/doc/$pkg/README.md"
[ ! -f "$repo/docs/arm64-and-packages.md" ] || install -m 0644 "$repo/docs/arm64-and-packages.md" "$root/usr/share/doc/$pkg/"

# The default config: the commented example, with the outbox in the state directory (the unit
# makes everything else read-only), and no registry file yet (a new gateway has none until the
# operator puts one there or the site registry arrives over MQTT; validation checks a named one
# exists).
conf="$root/etc/sitegate/sitegate.yaml"
{
	echo "# /etc/sitegate/sitegate.yaml: this gateway's sitegate config (package $pkg $version)."
	echo "# Set site, gateway, mqtt and each lane's ports, then: sitegate config validate $(echo /etc/sitegate/sitegate.yaml)"
	sed -e 's#^\(  dir: \)\./data\( *\)#\1/var/lib/sitegate#' \
		-e 's#^  file: registry.json *\#.*#  file: ""                      \# e.g. /etc/sitegate/registry.json (approved vehicles, JSON or YAML)#' \
		"$repo/firmware-config/example.yaml"
} >"$conf"
grep -q '^  dir: /var/lib/sitegate' "$conf" || { echo "$0: example.yaml has no '  dir: ./data' line to point at /var/lib/sitegate" >&2; exit 1; }
grep -q '^  file: ""' "$conf" || { echo "$0: example.yaml has no '  file: registry.json' line to empty" >&2; exit 1; }
chmod 0644 "$conf"
echo /etc/sitegate/sitegate.yaml >"$root/DEBIAN/conffiles"

for s in postinst prerm postrm; do
	install -m 0755 "$here/debian/$s" "$root/DEBIAN/$s"
done
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -print | sed 's#^\./##' | sort | xargs md5sum) >"$root/DEBIAN/md5sums"

if [ "$flavor" = cv ]; then
	what="the full agent: weighbridge, plate pushes, camera evidence and vision (OpenCV)"
else
	what="the weighbridge-only agent, static, without OpenCV: cameras and vision are not in this build"
fi
cat >"$root/DEBIAN/control" <<CONTROL
Package: $pkg
Version: $version
Architecture: $arch
Maintainer: sitegate maintainers <sitegate@localhost>
Section: misc
Priority: optional
Installed-Size: $(du -sk --exclude=DEBIAN "$root" | cut -f1)
Depends: $depends
Recommends: systemd
Conflicts: $other
Replaces: $other
Description: edge agent for construction-site exits and road checkpoints
 sitegate reads the weighbridge indicator over a serial line, takes plate-camera
 pushes over HTTP, judges each truck (overload, registry, mud), stores each
 passage durably and publishes it over MQTT.
 .
 This package is $what.
 It runs as the systemd service sitegate (user sitegate, groups dialout and
 video); its config is /etc/sitegate/sitegate.yaml and its outbox
 /var/lib/sitegate, both kept on upgrade.
CONTROL

mkdir -p "$out"
deb="$out/${pkg}_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zgzip -z6 --build "$root" "$deb" >/dev/null
echo "$deb"
