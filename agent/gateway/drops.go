package gateway

import (
	"encoding/json"

	"sitegate/agent/lane"
	"sitegate/agent/outbox"
)

// ReportSocket is the unix socket, in store.dir, on which a running agent answers
// `sitegate outbox`.
const ReportSocket = "outbox.sock"

// Drops is the payload on the drops topic: what a bound of the store dropped, so the platform
// can tell a loss from a delay. seq_ranges covers the passage seqs that will never arrive.
type Drops struct {
	Schema    string           `json:"schema"` // sitegate.drops/v1
	Site      string           `json:"site"`
	Gateway   string           `json:"gateway"`
	Time      string           `json:"time"`
	Reason    string           `json:"reason"` // max_bytes | max_age | disk_reserve | corrupt
	Passages  int              `json:"passages"`
	Evidence  int              `json:"evidence"`
	SeqRanges [][2]uint64      `json:"seq_ranges,omitempty"`
	Dropped   []outbox.Dropped `json:"dropped"`
}

// announceDrops builds the drops message for one drop pass of the outbox.
func (g *Gateway) announceDrops(r outbox.DropReport) outbox.Message {
	d := Drops{Schema: "sitegate.drops/v1", Site: g.cfg.Site, Gateway: g.cfg.Gateway,
		Time: r.At.Format(lane.TimeLayout), Reason: r.Reason, Dropped: r.Dropped}
	for _, x := range r.Dropped {
		switch x.Kind {
		case outbox.KindEvidence:
			d.Evidence++
		case outbox.KindPassage:
			d.Passages++
			if n := len(d.SeqRanges); n > 0 && d.SeqRanges[n-1][1]+1 == x.Batch {
				d.SeqRanges[n-1][1] = x.Batch
			} else if x.Batch > 0 {
				d.SeqRanges = append(d.SeqRanges, [2]uint64{x.Batch, x.Batch})
			}
		}
	}
	b, err := json.Marshal(d)
	if err != nil { // cannot happen with these types; announce the bare facts
		b = []byte(`{"schema":"sitegate.drops/v1","reason":"` + r.Reason + `"}`)
	}
	return outbox.Message{Topic: Root(g.cfg.Site, g.cfg.Gateway) + "/drops", Payload: b, QoS: 1}
}
