// Package geoip looks up the country of an address in a MaxMind database (GeoLite2-Country,
// GeoIP2-Country or -City, or any MMDB with a country.iso_code), for the last pings a status
// page shows (docs/operations.md "Status pages"). Only the country code leaves this package.
//
// It imports no package of ours.
package geoip

import (
	"fmt"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// Reader is an open database. It is safe for concurrent use.
type Reader struct {
	db *maxminddb.Reader
}

// Open opens the database at path (memory-mapped).
func Open(path string) (*Reader, error) {
	db, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geoip database %s: %w", path, err)
	}
	return &Reader{db: db}, nil
}

// OpenBytes opens a database held in memory.
func OpenBytes(b []byte) (*Reader, error) {
	db, err := maxminddb.OpenBytes(b)
	if err != nil {
		return nil, fmt.Errorf("geoip database: %w", err)
	}
	return &Reader{db: db}, nil
}

// record is the part of a record this package reads.
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
}

// Country returns the ISO 3166-1 alpha-2 code of ip's country, "" when the database has none.
func (r *Reader) Country(ip netip.Addr) string {
	if r == nil || !ip.IsValid() {
		return ""
	}
	var rec record
	if err := r.db.Lookup(ip.Unmap()).Decode(&rec); err != nil {
		return ""
	}
	return rec.Country.ISOCode
}

// Close releases the database.
func (r *Reader) Close() error { return r.db.Close() }
