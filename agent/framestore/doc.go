// Package framestore keeps the frames each camera check judged, per passage, so that reviews
// (CONTRACT 9) can label them and `sitegate learn mud` can fit the camera's model to its own
// gate. Each passage's frames are plain files in their own folder,
// {dir}/{camera}/{passage_id}/: the judged frame, every region cut out at full resolution, and
// kept.json (what was judged, by which model); a review adds label.json. Files, not the Badger
// store, so the learn command reads them while the agent runs.
//
// The store is bounded by size and age, oldest out (unlabelled frames before labelled ones), and
// never writes into the disk reserve the outbox keeps (it asks the outbox's Room first, as the
// plate journal does).
//
// It imports agent/wire only.
package framestore
