package serialport

import (
	"errors"
	"fmt"
	"strings"

	"go.bug.st/serial/enumerator"
)

// USBPrefix starts a port given by its USB adapter: usb:VID:PID[:SERIAL].
const USBPrefix = "usb:"

// USBID names a USB serial adapter.
type USBID struct {
	VID, PID string // four hex digits each, compared without regard to case
	Serial   string // optional
}

func (u USBID) String() string {
	s := USBPrefix + u.VID + ":" + u.PID
	if u.Serial != "" {
		s += ":" + u.Serial
	}
	return s
}

// ParseUSB parses "usb:VID:PID[:SERIAL]" (VID and PID four hex digits).
func ParseUSB(s string) (USBID, error) {
	rest, ok := strings.CutPrefix(s, USBPrefix)
	if !ok {
		return USBID{}, fmt.Errorf("%q does not start with %s", s, USBPrefix)
	}
	parts := strings.SplitN(rest, ":", 3)
	if len(parts) < 2 || !isHex4(parts[0]) || !isHex4(parts[1]) {
		return USBID{}, fmt.Errorf("%q: want usb:VID:PID[:SERIAL] with VID and PID as four hex digits (e.g. usb:1a86:7523)", s)
	}
	id := USBID{VID: strings.ToLower(parts[0]), PID: strings.ToLower(parts[1])}
	if len(parts) == 3 {
		if parts[2] == "" {
			return USBID{}, fmt.Errorf("%q: empty serial number", s)
		}
		id.Serial = parts[2]
	}
	return id, nil
}

func isHex4(s string) bool {
	if len(s) != 4 {
		return false
	}
	for _, c := range s {
		if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
			return false
		}
	}
	return true
}

// ErrNoAdapter is the reason a usb: port cannot be opened when no adapter matches.
var ErrNoAdapter = errors.New("no matching USB serial adapter")

// ListPorts is the port enumerator; tests replace it.
type ListPorts func() ([]*enumerator.PortDetails, error)

// Resolve finds the device path of the adapter id among the ports list returns. With no serial
// number in id, more than one match is an error: the site must say which adapter it means.
func Resolve(id USBID, list ListPorts) (string, error) {
	if list == nil {
		list = func() ([]*enumerator.PortDetails, error) { return enumerator.GetDetailedPortsList() }
	}
	ports, err := list()
	if err != nil {
		return "", fmt.Errorf("list serial ports: %w", err)
	}
	var found []string
	for _, p := range ports {
		if p == nil || !p.IsUSB || !strings.EqualFold(p.VID, id.VID) || !strings.EqualFold(p.PID, id.PID) {
			continue
		}
		if id.Serial != "" && p.SerialNumber != id.Serial {
			continue
		}
		found = append(found, p.Name)
	}
	switch len(found) {
	case 0:
		return "", fmt.Errorf("%s: %w", id, ErrNoAdapter)
	case 1:
		return found[0], nil
	}
	return "", fmt.Errorf("%s matches %d adapters (%s): add the serial number, usb:VID:PID:SERIAL", id, len(found), strings.Join(found, ", "))
}

// WithUSB wraps an Opener so that a path "usb:VID:PID[:SERIAL]" is looked up through list (nil:
// the system enumerator) at every open: after a replug or a reboot renumbers /dev/ttyUSB*, the
// next reopen finds the adapter again. Other paths go to open unchanged.
func WithUSB(open Opener, list ListPorts) Opener {
	return func(path string, m Mode) (Port, error) {
		if !strings.HasPrefix(path, USBPrefix) {
			return open(path, m)
		}
		id, err := ParseUSB(path)
		if err != nil {
			return nil, err
		}
		dev, err := Resolve(id, list)
		if err != nil {
			return nil, err
		}
		p, err := open(dev, m)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dev, err)
		}
		return p, nil
	}
}
