// Package gateeval measures the mud scorers leave-gates-out: on generated gates
// (testbench/scene gate geometries) that no fit ever saw, each scorer uncalibrated, then
// calibrated (mud.FitScores) on a few labelled frames of that gate and scored on others. The
// training programs and the acceptance test share it.
//
// It belongs to the training programs (it draws with testbench/scene) and must not be imported
// by the agent.
package gateeval
