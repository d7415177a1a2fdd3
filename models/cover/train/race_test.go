//go:build race

package main

// raceOn: the race detector slows rendering tenfold; the leave-gates-out figures run without it.
const raceOn = true
