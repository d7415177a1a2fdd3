// Package archive keeps every passage the gateway stored, with its files, on the gateway's own
// disk after delivery (CONTRACT 11): for archive.keep, within archive.max_bytes, oldest first
// out, and always yielding its space to the outbox. Its layout is plain files, so that
// `sitegate archive find` and `archive export` read it while the agent runs:
//
//	days/YYYY-MM-DD/<id>/passage.json   the passage as published (passage-r1.json, ... its amendments)
//	days/YYYY-MM-DD/<id>/<name>         each distinct evidence file, under its listed name
//	index/YYYY-MM-DD.idx                one line a passage (and amendment): id, seq, times, plate, alarms
//
// Files are written through a synced temporary file and a rename; a passage's folder without
// passage.json is a write a power cut interrupted, removed at the next open; the index is
// appended after the passage's files and rebuilt from the folders where it lacks one.
//
// It imports only sitegate/agent/wire.
package archive
