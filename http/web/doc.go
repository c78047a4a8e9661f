// Package web is ttr's web UI: server-rendered html/template pages with embedded templates and
// static assets and one small hand-written JavaScript module (docs/operations.md "Web UI and sessions"). Every page reads and
// submits its forms without JavaScript; the script only adds copy buttons and instant theme
// changes. Every HTML answer carries a strict Content-Security-Policy (no inline script or
// style), so templates use no style= or on…= attributes.
//
// Besides the check page's run chart (runchart), markup is written in Go in the dashboard's
// rows (dashboard.go: the strip, the channels' badges, the actions, the times): a hundred
// rows a page made template actions the render's main cost. Those functions escape every
// user text they write (the time cells hold only formatted times and numbers) and follow the
// same CSP rules.
//
// This package holds the page shell (header, navigation, footer, skip link), the themes, the
// public status pages and their editor (statuspages.go), the
// landing, sign-in, get-a-key, dashboard placeholder and account pages, and the HTML 404 and
// error pages. Sessions and CSRF come from http/session, the account rules from
// http/account; the edge (package http) mounts Routes on its router. Static assets are served
// under content-hashed names with Cache-Control immutable, gzipped when the browser accepts it.
package web
