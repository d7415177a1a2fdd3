// Package console is the technician's web console (CONTRACT 12, docs/console.md): a small
// web page served by the agent when console.listen is set, behind a login. It shows the
// gateway's live state (each lane's weight trace and deck state, the last plates, each
// camera's live frame with its regions and its mud score, the outbox and uplink, equipment
// problems, recent passages with their evidence) and lets a technician move a camera's
// regions of interest, which are then applied through the control plane like any desired
// config (agent/remote).
//
// Users, with bcrypt-hashed passwords and a role (viewer or technician), are in
// console.users_file. Sessions are random tokens in an HttpOnly, SameSite=Strict cookie
// (Secure over TLS); every state-changing request carries the session's CSRF token; failed
// logins are rate limited. Nothing but the login page is served without a session.
//
// It takes what it shows as functions (Sources) and never imports agent/gateway; its HTML,
// CSS and JavaScript are embedded (assets/), hand-written, and fetch nothing from the
// internet.
package console
