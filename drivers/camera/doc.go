// Package camera reads video cameras (files, RTSP, HTTP MJPEG, V4L2 devices) through OpenCV and
// keeps only the latest frame of each, so the rest of sitegate can take a JPEG snapshot as
// evidence or look at the current picture, while the reader survives disconnects and hung streams.
//
// Every use of gocv lives in files built without the nocv tag; a nocv build keeps the same API
// and reports that camera support is missing. This package must not import sitegate/models or
// sitegate/agent.
package camera
