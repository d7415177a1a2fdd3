// Package packaging holds the Debian packaging of sitegate (the systemd unit, the maintainer
// scripts and build-deb.sh, which `make package` runs) and the tests that build a package,
// inspect it and install, upgrade, remove and purge it in a scratch root.
//
// It has no Go code of its own and nothing imports it; it imports nothing from sitegate.
package packaging
