package all_test

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"testing"

	"sitegate/drivers/indicator"
	_ "sitegate/drivers/indicator/all"
)

func TestEveryProtocolRegistered(t *testing.T) {
	for _, name := range []string{"yaohua-tf0", "yaohua-eq", "yaohua-eq-fwd", "yaohua-a12e", "yaohua-cmd", "toledo-cont", "mt-sics", "ascii"} {
		if _, ok := indicator.Lookup(name); !ok {
			t.Errorf("protocol %q is not registered; registered: %v", name, indicator.Names())
		}
	}
	if !slices.IsSorted(indicator.Names()) {
		t.Errorf("Names() = %v, not sorted", indicator.Names())
	}
}

// TestEveryProtocolHasWhatToolsNeed checks each registration for what scale detect, config
// validation and the emulator rely on, so that a new protocol missing one fails here rather
// than in a technician's hands.
func TestEveryProtocolHasWhatToolsNeed(t *testing.T) {
	ranks := map[int]string{}
	for _, p := range indicator.Protocols() {
		t.Run(p.Name, func(t *testing.T) {
			if p.Summary == "" {
				t.Error("no Summary: help texts and tools have nothing to say about it")
			}
			if p.Rank <= 0 {
				t.Errorf("Rank %d: choose a place among the others in scale detect (above 0)", p.Rank)
			} else if other, dup := ranks[p.Rank]; dup {
				t.Errorf("Rank %d is also %s's: scale detect could only tell them apart by name", p.Rank, other)
			}
			ranks[p.Rank] = p.Name
			if p.Polled && len(p.Probe) == 0 {
				t.Error("polled, but no Probe: scale detect cannot wake it on a silent line")
			}
			if !p.Polled && p.Probe != nil {
				t.Error("continuous, but has a Probe: scale detect would send it for nothing")
			}
			if p.ProfileKey != "" && p.Example == nil {
				t.Error("a profile but no Example: scale detect and scale watch --protocol have nothing to read with")
			}
			if p.ProfileKey == "" && (p.DefaultProfile != nil || p.Example != nil) {
				t.Error("DefaultProfile or Example without a ProfileKey: no config can set the profile")
			}
			if p.Emulate == nil {
				t.Error("no Emulate: the test bench and sitegate emulate scale cannot speak it")
			} else if sp := p.Emulate(0); (sp.Encode == nil) == (sp.Answer == nil) || (sp.Answer != nil) != p.Polled {
				t.Errorf("Emulate(0) must set Answer for a polled protocol, Encode for a continuous one (polled %v, encode %v, answer %v)",
					p.Polled, sp.Encode != nil, sp.Answer != nil)
			}
		})
	}
}

// TestEveryDecoderCloses checks Close on every protocol's decoder: before and after Next, twice,
// and on a polled decoder that was given a Writer but never polled.
func TestEveryDecoderCloses(t *testing.T) {
	for _, p := range indicator.Protocols() {
		t.Run(p.Name, func(t *testing.T) {
			d := p.New(bytes.NewReader(nil), indicator.Options{Writer: io.Discard})
			if err := d.Close(); err != nil {
				t.Errorf("Close before Next = %v", err)
			}
			if err := d.Close(); err != nil {
				t.Errorf("second Close = %v", err)
			}
			d = p.New(bytes.NewReader(nil), indicator.Options{Profile: p.Example})
			if _, err := d.Next(); !errors.Is(err, io.EOF) {
				t.Errorf("Next on an empty reader = %v, want io.EOF", err)
			}
			if err := d.Close(); err != nil {
				t.Errorf("Close after Next = %v", err)
			}
		})
	}
}
