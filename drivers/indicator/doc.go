// Package indicator defines what every weighbridge indicator driver produces (Reading,
// Decoder, Stats), the framed-stream decoder most protocols are built on (NewStream), and the
// registry of wire protocols by their `scale.protocol` name (Register, Protocol).
//
// A protocol lives in its own sub-package and registers itself in init, with everything the
// tools around a decoder need: scale detect (Rank, Checksummed, Probe), config validation
// (Validate, and ProfileKey, DefaultProfile for a protocol with its own block of settings)
// and the emulator (Emulate). sitegate/drivers/indicator/all imports every protocol.
//
// This package and the protocols must not import sitegate/models, sitegate/agent,
// sitegate/testbench or sitegate/firmware-config; those import the drivers.
//
// # Adding an indicator protocol
//
// A new protocol is one folder, drivers/indicator/<proto>/, and one import line in
// drivers/indicator/all/all.go; nothing else. The config, scale detect, scale watch and
// record, the emulator and sitegate emulate scale all read the registration. The folder holds:
//
//   - the decoder, New(r io.Reader, opts indicator.Options) indicator.Decoder: for a framed
//     format a Parser handed to NewStream, which resynchronises, counts bad frames, polls
//     and skips echoes, and stops its poller on Close;
//   - the encoder (continuous) or the responder (polled) of an indicator's side, exported,
//     byte for byte what a real indicator sends: the emulator speaks it;
//   - one Register call in init, with Name, Summary, Rank (a free place among the others),
//     Checksummed, New, Emulate; for a polled protocol Polled and Probe; for settings beyond
//     the shared Options, ProfileKey, DefaultProfile, Example and Validate;
//   - its tests: golden cases run with indicatortest.Run, a fuzz test seeded from them
//     (indicatortest.Seed, indicatortest.Check, corpus in testdata/fuzz), captures from the
//     field in testdata replayed, and an indicatortest.Bench benchmark.
//
// Tests that range over the registry fail for a protocol without what the tools need: the
// registration checks and Close of every decoder (drivers/indicator/all), the emulator's round
// trip and the pty run (testbench/indicatoremu), scale detect of every emulated protocol
// (agent/cli), and the decoding of every settings block (firmware-config). docs/indicators.md
// has the longer version.
package indicator
