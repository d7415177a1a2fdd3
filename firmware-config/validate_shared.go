package config

import (
	"net"
	"path/filepath"
	"strconv"
	"strings"

	"sitegate/drivers/serialport"
)

// validateShared checks what lanes must not share: a serial port serves one lane, and a
// listening address is one listener. Lanes naming the same plate.listen share its listener on
// purpose (agent/parts groups lanes by address); a different address that binds the same port
// (the same host, or a wildcard such as 0.0.0.0 and a host) is refused, as is a plate listener
// on control.metrics_listen.
func validateShared(c *Config, ps *problems) {
	ports := map[string]int{}       // normalised port: first lane
	usbNoSerial := map[string]int{} // VID:PID given without a serial: first lane
	usbAny := map[string]int{}      // VID:PID: first lane
	for i, l := range c.Lanes {
		p := l.Scale.Port
		if p == "" {
			continue
		}
		key := filepath.Clean(p)
		var vidpid string
		if strings.HasPrefix(p, serialport.USBPrefix) {
			id, err := serialport.ParseUSB(p)
			if err != nil {
				continue // reported with the port
			}
			vidpid = id.VID + ":" + id.PID
			key = serialport.USBPrefix + vidpid
			if id.Serial != "" {
				key += ":" + id.Serial
			}
		}
		path := indexPath("lanes", i) + ".scale.port"
		if k, ok := ports[key]; ok {
			ps.add(path, "%q is also the port of lane %s (lanes[%d]): a serial port serves one lane", p, c.Lanes[k].ID, k)
			continue
		}
		ports[key] = i
		if vidpid == "" {
			continue
		}
		// usb:VID:PID without a serial may open the same adapter as one with it.
		if k, ok := usbNoSerial[vidpid]; ok {
			ps.add(path, "%q may be the adapter of lane %s (lanes[%d], %s without a serial number): give both their serial numbers", p, c.Lanes[k].ID, k, c.Lanes[k].Scale.Port)
		} else if k, ok := usbAny[vidpid]; ok && key == serialport.USBPrefix+vidpid {
			ps.add(path, "%q without a serial number may be the adapter of lane %s (lanes[%d], %s): give its serial number", p, c.Lanes[k].ID, k, c.Lanes[k].Scale.Port)
		}
		if key == serialport.USBPrefix+vidpid {
			usbNoSerial[vidpid] = i
		}
		if _, ok := usbAny[vidpid]; !ok {
			usbAny[vidpid] = i
		}
	}

	type listener struct{ addr, path string }
	var seen []listener
	if c.Control.MetricsListen != "" {
		seen = append(seen, listener{c.Control.MetricsListen, "control.metrics_listen"})
	}
	for i, l := range c.Lanes {
		a := l.Plate.Listen
		if a == "" {
			continue
		}
		path := indexPath("lanes", i) + ".plate.listen"
		same := false
		for _, s := range seen {
			if s.addr == a && s.path != "control.metrics_listen" {
				same = true // the same listener, shared on purpose
				break
			}
			if s.addr == a || overlaps(s.addr, a) {
				ps.add(path, "%q binds the same port as %q (%s); lanes share a listener only by naming the same address", a, s.addr, s.path)
				same = true
				break
			}
		}
		if !same {
			seen = append(seen, listener{a, path})
		}
	}
}

// overlaps reports whether two different host:port addresses would bind the same port: the
// same port (not 0) and the same host, or either a wildcard.
func overlaps(a, b string) bool {
	ha, pa, err1 := net.SplitHostPort(a)
	hb, pb, err2 := net.SplitHostPort(b)
	if err1 != nil || err2 != nil || pa != pb {
		return false
	}
	if n, err := strconv.Atoi(pa); err != nil || n == 0 {
		return false
	}
	ha, hb = listenHost(ha), listenHost(hb)
	return ha == hb || ha == "*" || hb == "*"
}

// ListenHost is the host of a listening address in one spelling, to compare hosts by: "*" for
// every interface ("", 0.0.0.0, ::), 127.0.0.1 for localhost, an IP address as net.IP writes it.
func ListenHost(h string) string { return listenHost(h) }

func listenHost(h string) string {
	switch strings.ToLower(h) {
	case "", "0.0.0.0", "::":
		return "*"
	case "localhost":
		return "127.0.0.1"
	}
	if ip := net.ParseIP(h); ip != nil {
		return ip.String()
	}
	return strings.ToLower(h)
}
