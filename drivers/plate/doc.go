// Package plate takes plate-camera pushes over HTTP (POST /v1/plate, CONTRACT section 3),
// validates them, normalizes the plate text and hands each read to its lane's sink.
//
// It must not import sitegate/models or sitegate/agent.
package plate
