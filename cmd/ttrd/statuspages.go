package main

import (
	"github.com/ttr-rip/ttr/http/geoip"
	"github.com/ttr-rip/ttr/http/statuspage"
)

// statusPages builds the node's status-page service, shared by the API and the web UI (one
// cache of public views), with the GeoIP database when --geoip-db names one.
func (m *Main) statusPages() (*statuspage.Service, error) {
	d := statuspage.Deps{Store: m.store}
	if m.cfg.Web.GeoIPDB != "" {
		r, err := geoip.Open(m.cfg.Web.GeoIPDB)
		if err != nil {
			return nil, err
		}
		m.defer_(func() { _ = r.Close() })
		d.Countries = r
	}
	return statuspage.New(statuspage.Config{Quotas: m.cfg.Abuse.Quotas}, d)
}
