// Package mudlearn fits a camera's mud model to its reviewed frames and keeps the camera's
// model versions on disk: {store.dir}/models/mud/{camera}/v{N}.json, each a head
// (models/vision/head) over the camera's scorer, and current.json, the versions adopted in
// order, so a rollback returns to the one before. A fit is adopted only when it beats the
// model in force on frames it was not fitted to (stratified cross-validation over the reviewed
// frames).
//
// The agent's mud check reads the current version (agent/mudwatch); `sitegate learn mud` and
// the agent's own learning (mud.learn: auto) write it. Files, so both may run at once.
//
// The cover check learns the same way from its own reviewed frames (Camera.Check "cover",
// labels covered against open, torn, heaped and uncovered), into {store.dir}/models/cover;
// only `sitegate learn cover` writes it.
//
// It imports agent/framestore and the models; never agent/gateway.
package mudlearn
