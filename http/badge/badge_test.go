package badge_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/ttr-rip/ttr/actors/schedule"
	"github.com/ttr-rip/ttr/http/badge"
	"github.com/ttr-rip/ttr/messages"
)

var now = time.Date(2030, 3, 4, 12, 0, 0, 0, time.UTC)

// stateAfterPing is the state a check's owner stores after a success ping at ping: the next
// expected time from its schedule, and the deadline grace later.
func stateAfterPing(t *testing.T, spec schedule.Spec, grace time.Duration, ping time.Time) messages.CheckState {
	t.Helper()
	sch, err := schedule.ParseAt(spec, ping)
	if err != nil {
		t.Fatal(err)
	}
	due, ok := sch.Next(ping)
	if !ok {
		t.Fatal("schedule never fires")
	}
	return messages.CheckState{Status: messages.StatusUp, LastPing: ping, NextDue: due, NextDeadline: due.Add(grace)}
}

func TestOfEveryStateForEverySchedule(t *testing.T) {
	specs := []struct {
		name string
		spec schedule.Spec
		// period is the time between two expected pings.
		period time.Duration
	}{
		{"interval", schedule.Spec{Type: messages.ScheduleInterval, IntervalSeconds: 3600, TZ: "UTC"}, time.Hour},
		{"cron", schedule.Spec{Type: messages.ScheduleCron, Expr: "0 3 * * *", TZ: "Europe/Berlin"}, 24 * time.Hour},
		{"oncalendar", schedule.Spec{Type: messages.ScheduleOnCalendar, Expr: "Mon..Sun 03:00", TZ: "America/New_York"}, 24 * time.Hour},
	}
	const grace = 10 * time.Minute
	for _, sp := range specs {
		t.Run(sp.name, func(t *testing.T) {
			ping := now
			st := stateAfterPing(t, sp.spec, grace, ping)
			tests := []struct {
				name string
				st   messages.CheckState
				at   time.Time
				want badge.Status
			}{
				{"just pinged", st, ping.Add(time.Second), badge.Up},
				// Between two runs of a cron check, hours after its last ping: still up.
				{"between two runs", st, st.NextDue.Add(-time.Minute), badge.Up},
				{"past the expected time, within grace", st, st.NextDue.Add(time.Minute), badge.Late},
				{"at the deadline", st, st.NextDeadline, badge.Late},
				// Past the deadline the owner flips the check down; until then the badge
				// shows what is stored (the owner is the one that decides).
				{"down", withStatus(st, messages.StatusDown), st.NextDue.Add(time.Minute), badge.Down},
				{"new", messages.CheckState{Status: messages.StatusNew}, now, badge.New},
				{"paused", messages.CheckState{Status: messages.StatusPaused}, now, badge.Paused},
				{"status unknown to this release", withStatus(st, "zombie"), now, badge.Unknown},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					if got := badge.Of(tt.st, tt.at); got != tt.want {
						t.Errorf("Of at %v (due %v, deadline %v) = %s, want %s", tt.at, tt.st.NextDue, tt.st.NextDeadline, got, tt.want)
					}
				})
			}
			if gap := st.NextDue.Sub(ping); gap > sp.period || gap <= 0 {
				t.Errorf("next due %v after the ping, want within one period %v", gap, sp.period)
			}
		})
	}
}

func withStatus(st messages.CheckState, s messages.CheckStatus) messages.CheckState {
	st.Status = s
	return st
}

func TestWorst(t *testing.T) {
	tests := []struct {
		in   []badge.Status
		want badge.Status
	}{
		{nil, badge.Unknown},
		{[]badge.Status{badge.Paused}, badge.Paused},
		{[]badge.Status{badge.Paused, badge.New}, badge.New},
		{[]badge.Status{badge.New, badge.Up, badge.Paused}, badge.Up},
		{[]badge.Status{badge.Up, badge.Late, badge.Up}, badge.Late},
		{[]badge.Status{badge.Late, badge.Down, badge.Up}, badge.Down},
		{[]badge.Status{badge.Unknown, badge.Up}, badge.Up},
	}
	for _, tt := range tests {
		if got := badge.Worst(tt.in); got != tt.want {
			t.Errorf("Worst(%v) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestColours(t *testing.T) {
	tests := []struct {
		s              badge.Status
		hex, shieldsNm string
	}{
		{badge.Up, "#4c1", "brightgreen"},
		{badge.Late, "#fe7d37", "orange"},
		{badge.Down, "#e05d44", "red"},
		{badge.New, "#9f9f9f", "lightgrey"},
		{badge.Paused, "#9f9f9f", "lightgrey"},
		{badge.Unknown, "#9f9f9f", "lightgrey"},
	}
	for _, tt := range tests {
		if tt.s.Colour() != tt.hex || tt.s.ShieldsColour() != tt.shieldsNm {
			t.Errorf("%s: colours %s %s, want %s %s", tt.s, tt.s.Colour(), tt.s.ShieldsColour(), tt.hex, tt.shieldsNm)
		}
		svg := string(badge.Badge{Label: "x", Status: tt.s}.SVG())
		if !strings.Contains(svg, `fill="`+tt.hex+`"`) {
			t.Errorf("%s: SVG does not use %s", tt.s, tt.hex)
		}
	}
}

func TestWidthFromFontMetrics(t *testing.T) {
	// DejaVu Sans advances at 11 px (units per em 2048): 'i' 0.278 em, 'W' 0.989 em.
	tests := []struct {
		s    string
		want float64
	}{
		{"", 0},
		{"i", 3.05},
		{"W", 10.88},
		{"iiii", 12.22},
		{"é", 6.77},
	}
	for _, tt := range tests {
		if got := badge.Width(tt.s); got < tt.want-0.05 || got > tt.want+0.05 {
			t.Errorf("Width(%q) = %.2f, want %.2f", tt.s, got, tt.want)
		}
	}
	if badge.Width("WWWW") <= badge.Width("iiii")*3 {
		t.Error("a wide label is not wider than a narrow one: widths are not measured")
	}
	if w := badge.Width("日"); w < badge.Width("W") {
		t.Errorf("a rune outside the table measures %.2f, less than the widest letter", w)
	}
}

// svgDoc is the part of the SVG the tests read.
type svgDoc struct {
	Width  int    `xml:"width,attr"`
	Label  string `xml:"aria-label,attr"`
	Title  string `xml:"title"`
	Groups []struct {
		Rects []struct {
			Width int    `xml:"width,attr"`
			Fill  string `xml:"fill,attr"`
		} `xml:"rect"`
		Texts []string `xml:"text"`
	} `xml:"g"`
}

func parseSVG(t *testing.T, b []byte) svgDoc {
	t.Helper()
	var d svgDoc
	dec := xml.NewDecoder(bytes.NewReader(b))
	dec.Strict = true
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("SVG is not well-formed XML: %v\n%s", err, b)
	}
	return d
}

func TestSVGEscapesAndSizesTheLabel(t *testing.T) {
	hostile := `</text><script>alert("x")</script>&amp; 'q'` + "\x00\x1b"
	tests := []struct {
		name, label, want string
	}{
		{"plain", "backup", "backup"},
		{"hostile", hostile, `</text><script>alert("x")</script>&amp; 'q'??`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := badge.Badge{Label: tt.label, Status: badge.Down}.SVG()
			if bytes.Contains(b, []byte("<script")) {
				t.Fatalf("markup of the label reached the SVG: %s", b)
			}
			d := parseSVG(t, b)
			if d.Title != tt.want+": down" || d.Label != tt.want+": down" {
				t.Errorf("title %q aria-label %q, want %q", d.Title, d.Label, tt.want+": down")
			}
			texts := d.Groups[1].Texts
			if len(texts) != 4 || texts[0] != tt.want || texts[1] != tt.want || texts[2] != "down" {
				t.Errorf("texts = %q", texts)
			}
			rects := d.Groups[0].Rects
			lw := int(badge.Width(tt.want)+0.999) + 10
			if rects[0].Width != lw || rects[0].Fill != "#555" {
				t.Errorf("label box %d %s, want %d #555", rects[0].Width, rects[0].Fill, lw)
			}
			if d.Width != rects[0].Width+rects[1].Width {
				t.Errorf("badge width %d != %d + %d", d.Width, rects[0].Width, rects[1].Width)
			}
		})
	}
	long := strings.Repeat("W", 300)
	if d := parseSVG(t, badge.Badge{Label: long, Status: badge.Up}.SVG()); d.Width > 1200 {
		t.Errorf("a 300-rune label makes a %d px badge: labels are not capped", d.Width)
	}
}

func TestJSON(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal(badge.Badge{Label: `a"<b>`, Status: badge.Late}.JSON(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got["status"] != "late" || got["label"] != `a"<b>` {
		t.Errorf("JSON = %v", got)
	}
}

// shieldsSchema compiles testdata/shields-endpoint.schema.json: shields' endpoint validator
// written as a JSON schema.
func shieldsSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open("testdata/shields-endpoint.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("shields.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("shields.json")
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

func validateJSON(sch *jsonschema.Schema, raw string) error {
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(raw))
	if err != nil {
		return err
	}
	return sch.Validate(v)
}

// TestShieldsSchemaRules: the schema says what shields' endpoint validator says, rule by
// rule, so that passing it means shields takes the document.
func TestShieldsSchemaRules(t *testing.T) {
	sch := shieldsSchema(t)
	tests := []struct {
		rule string
		doc  string
		ok   bool
	}{
		{"the three required fields", `{"schemaVersion":1,"label":"a","message":"b"}`, true},
		{"schemaVersion is required", `{"label":"a","message":"b"}`, false},
		{"schemaVersion is the number 1", `{"schemaVersion":2,"label":"a","message":"b"}`, false},
		{"schemaVersion is not a string", `{"schemaVersion":"1","label":"a","message":"b"}`, false},
		{"label is required", `{"schemaVersion":1,"message":"b"}`, false},
		{"label may be empty", `{"schemaVersion":1,"label":"","message":"b"}`, true},
		{"label is a string", `{"schemaVersion":1,"label":3,"message":"b"}`, false},
		{"message is required", `{"schemaVersion":1,"label":"a"}`, false},
		{"message is not empty", `{"schemaVersion":1,"label":"a","message":""}`, false},
		{"message is a string", `{"schemaVersion":1,"label":"a","message":1}`, false},
		{"color is optional, a string", `{"schemaVersion":1,"label":"a","message":"b","color":"brightgreen"}`, true},
		{"color is not empty", `{"schemaVersion":1,"label":"a","message":"b","color":""}`, false},
		{"color is not a number", `{"schemaVersion":1,"label":"a","message":"b","color":4}`, false},
		{"labelColor, isError, style, cacheSeconds", `{"schemaVersion":1,"label":"a","message":"b","labelColor":"grey","isError":true,"style":"flat","cacheSeconds":300}`, true},
		{"isError is a boolean", `{"schemaVersion":1,"label":"a","message":"b","isError":"true"}`, false},
		{"cacheSeconds is a whole number", `{"schemaVersion":1,"label":"a","message":"b","cacheSeconds":1.5}`, false},
		{"cacheSeconds is not negative", `{"schemaVersion":1,"label":"a","message":"b","cacheSeconds":-1}`, false},
		{"a named logo with its colour and width", `{"schemaVersion":1,"label":"a","message":"b","namedLogo":"go","logoColor":"white","logoWidth":12}`, true},
		{"logoColor only with namedLogo", `{"schemaVersion":1,"label":"a","message":"b","logoColor":"white"}`, false},
		{"logoWidth only with a logo", `{"schemaVersion":1,"label":"a","message":"b","logoWidth":12}`, false},
		{"logoPosition with an SVG logo", `{"schemaVersion":1,"label":"a","message":"b","logoSvg":"<svg/>","logoPosition":1}`, true},
		{"namedLogo or logoSvg, not both", `{"schemaVersion":1,"label":"a","message":"b","namedLogo":"go","logoSvg":"<svg/>"}`, false},
		{"no unknown keys", `{"schemaVersion":1,"label":"a","message":"b","status":"up"}`, false},
		{"an object", `["schemaVersion",1]`, false},
	}
	for _, tt := range tests {
		if err := validateJSON(sch, tt.doc); (err == nil) != tt.ok {
			t.Errorf("%s: %s valid = %v, want %v (%v)", tt.rule, tt.doc, err == nil, tt.ok, err)
		}
	}
}

func TestShieldsValidatesAgainstTheEndpointSchema(t *testing.T) {
	sch := shieldsSchema(t)
	hostile := `</text>"quoted" & \ ` + "\x00\u2028日本"
	for _, b := range []badge.Badge{
		{Label: "backup", Status: badge.Up}, {Label: "db", Status: badge.Late}, {Label: "", Status: badge.Down},
		{Label: "n", Status: badge.New}, {Label: "p", Status: badge.Paused}, badge.Unknowns,
		{Label: hostile, Status: badge.Up}, {Label: strings.Repeat("W", 300), Status: badge.Down},
	} {
		raw := b.Shields()
		if err := validateJSON(sch, string(raw)); err != nil {
			t.Errorf("%s: %v", raw, err)
		}
		var got struct{ Message, Color, Label string }
		_ = json.Unmarshal(raw, &got)
		if got.Message != string(b.Status) || got.Color != b.Status.ShieldsColour() {
			t.Errorf("%s: message %q colour %q", raw, got.Message, got.Color)
		}
	}
}
