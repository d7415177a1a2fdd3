// Package plate takes plate reads from plate cameras (CONTRACT sections 3 and 7), normalizes the
// plate text and hands each read to its lane's sink.
//
// A Server listens for pushes: POST /v1/plate is the generic JSON (the lane in the body), and
// POST /v1/plate/{vendor}/{lane} a vendor's own format for one lane. The server checks what every
// push shares (method, lane, body size), counts accepted and rejected pushes, and leaves the
// format and the answer to the vendor's PushDecoder. A camera whose event stream we hold instead
// (mode: pull) is a vendor's PullClient, which reconnects by itself and reports a PullStatus.
// Both kinds are found by vendor name in registries that vendors fill from init.
//
// # Adding a plate-camera vendor
//
// A vendor is one folder, drivers/plate/{vendor}, and one line in drivers/plate/all:
//
//   - a PushDecoder registered with RegisterPush(vendor, d) for a camera that posts to us, and/or
//     a PullFactory registered with RegisterPull(vendor, f) for one whose stream we hold;
//   - reads built with NormalizePlate, so every vendor's plate text is the same;
//   - refusals as Reject(status, Reason..., ...), answered in the vendor's own form by Reply;
//   - its captured requests in testdata/ as table cases that also seed a fuzz test of Decode.
//
// The vendor name is its path segment and its config value (lanes[].plate.cameras[].vendor). A
// program gets every vendor by importing sitegate/drivers/plate/all; a test that builds a server
// imports the vendor packages it pushes to.
//
// Neither this package nor a vendor's may import sitegate/models or sitegate/agent.
package plate
