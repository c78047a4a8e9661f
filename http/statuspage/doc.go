// Package statuspage owns public status pages (docs/api.md "Status pages"): the rules of a
// page's settings, the status-page quota, and the public view of a page — overall status,
// each check's status, last ping, exact uptime over rolling windows and the owner's last 90
// days, and optionally the last pings' countries — computed at most once per CacheFor per
// page however many viewers ask. The API (package http) and the web UI (http/web) both use
// its Service.
//
// A public view shows a check's name, status, times, schedule and uptime only: never its
// UUID, slug, ping URL, tags, bodies, user agents or addresses (an address is only looked up
// in the GeoIP database, and only its country is shown).
//
// It may import messages, persistence contracts and the pure packages http/badge,
// http/uptime and http/limit.
package statuspage
