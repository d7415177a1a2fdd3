// Package train holds the recipes that fit sitegate's mud models to generated frames: classic
// refits the classic scorer's boosted trees, dataset writes region patches for the ONNX
// classifier, and train.py (Debian's python3-torch, CPU) trains that classifier and exports it
// to models/mud/model. They are tools for developers, never imported by the agent.
//
// Tuning seeds are below 1000; evaluation sets use seeds of 1000 and above, so no evaluated
// frame was ever seen in training.
package train
