package schedule

// Embed the IANA time zone database so that schedules evaluate the same way
// on every host, including minimal containers without /usr/share/zoneinfo.
import _ "time/tzdata"
