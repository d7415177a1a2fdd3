// Package hikvision speaks Hikvision's ISAPI to plate cameras (CONTRACT section 7): the pushes of
// "HTTP listening" at POST /v1/plate/hikvision/{lane} (an EventNotificationAlert XML alone, or
// multipart/form-data with the XML and the camera's JPEGs), the alertStream a camera in pull mode
// holds open (GET /ISAPI/Event/notification/alertStream, digest authentication), and the camera's
// snapshot and barrier-gate resources. It registers itself with sitegate/drivers/plate as the
// vendor "hikvision" for push, pull and control.
//
// The XML's namespace differs between firmwares (isapi.org, hikvision.com, std-cgi.com), so
// elements are matched by local name only.
//
// It must not import sitegate/models or sitegate/agent.
package hikvision
