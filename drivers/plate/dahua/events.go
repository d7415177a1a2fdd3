package dahua

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"

	"sitegate/drivers/plate"
)

// event is one event of a text part: its keys without the "Events[i]." prefix.
type event map[string]string

// parseEvents reads a text part's "Events[i].Key=Value" lines into its events, in index order.
// Lines without an Events[i] prefix (older firmwares' "Code=..." blocks) form one event of
// their own; lines without '=' are ignored.
func parseEvents(text []byte) []event {
	byIndex := map[int]event{}
	var top event
	for _, line := range strings.Split(string(text), "\n") {
		line = strings.TrimRight(line, "\r")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k = strings.TrimSpace(k)
		v = strings.TrimSpace(v)
		if rest, ok := strings.CutPrefix(k, "Events["); ok {
			i := strings.Index(rest, "].")
			n, err := strconv.Atoi(rest[:max(i, 0)])
			if i < 0 || err != nil || n < 0 || n > 64 {
				continue
			}
			e := byIndex[n]
			if e == nil {
				e = event{}
				byIndex[n] = e
			}
			e[rest[i+2:]] = v
			continue
		}
		if top == nil {
			top = event{}
		}
		top[k] = v
	}
	idx := make([]int, 0, len(byIndex))
	for i := range byIndex {
		idx = append(idx, i)
	}
	sort.Ints(idx)
	out := make([]event, 0, len(idx)+1)
	for _, i := range idx {
		out = append(out, byIndex[i])
	}
	if top != nil && len(out) == 0 {
		out = append(out, top)
	}
	return out
}

// first is the first non-empty value among keys.
func (e event) first(keys ...string) string {
	for _, k := range keys {
		if v := e[k]; v != "" {
			return v
		}
	}
	return ""
}

// code is the event's code, e.g. TrafficJunction.
func (e event) code() string { return e.first("Code", "EventBaseInfo.Code") }

// errNotPlate marks an event that carries no plate read: another event code, or none.
var errNotPlate = errors.New("not a plate event")

// read turns a traffic event into a plate read; errNotPlate for an event of another kind,
// plate.ErrNoPlate when the camera saw no plate, or the plate's error. Field paths differ by
// firmware: TrafficCar.*, then Object.*, then the top level.
func (e event) read(now time.Time) (plate.Read, error) {
	if c := e.code(); c != "" && !strings.HasPrefix(c, "Traffic") {
		return plate.Read{}, errNotPlate
	}
	text := e.first("TrafficCar.PlateNumber", "Object.Text", "PlateNumber")
	if text == "" && e.code() == "" {
		return plate.Read{}, errNotPlate
	}
	p, word, err := plate.VendorPlate(text)
	if err != nil {
		return plate.Read{}, err
	}
	rd := plate.Read{Plate: p, Color: colorOf(e.first("TrafficCar.PlateColor", "Object.Color", "PlateColor")), Time: now}
	if rd.Color == "" {
		rd.Color = word
	}
	pt := strings.ToLower(e.first("TrafficCar.PlateType", "Object.PlateType", "PlateType"))
	switch {
	case strings.Contains(pt, "double"):
		rd.Type = "double"
	case strings.Contains(pt, "newenergy") || strings.Contains(pt, "new energy") || rd.Color == "green" || rd.Color == "yellow-green":
		rd.Type = "new-energy"
	}
	if c, err := strconv.ParseFloat(e.first("Object.Confidence", "TrafficCar.Confidence", "Confidence"), 64); err == nil && c > 0 && c <= 100 {
		rd.Confidence = c / 100
	}
	if sec, err := strconv.ParseInt(e.first("UTC", "TrafficCar.UTC"), 10, 64); err == nil && sec > 0 {
		ms, _ := strconv.ParseInt(e.first("UTCMS", "TrafficCar.UTCMS"), 10, 64)
		if ms < 0 || ms > 999 {
			ms = 0
		}
		rd.Time = time.Unix(sec, ms*1e6).In(now.Location())
	}
	rd.Key = e.first("GroupID", "TrafficCar.GroupID", "Object.ObjectID")
	return rd, nil
}

// colorOf maps Dahua's plate colour words to section 3's names.
func colorOf(s string) string {
	k := strings.ToLower(strings.NewReplacer(" ", "", "_", "", "-", "").Replace(s))
	switch k {
	case "blue":
		return "blue"
	case "yellow":
		return "yellow"
	case "white":
		return "white"
	case "black":
		return "black"
	case "green", "gradientgreen", "newenergygreen", "shadowgreen":
		return "green"
	case "yellowgreen", "newenergyyellowgreen":
		return "yellow-green"
	}
	return ""
}
