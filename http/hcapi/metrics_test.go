package hcapi_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/ttr-rip/ttr/http/hcapi"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
)

// The metrics text parses as Prometheus' text format and carries healthchecks.io's metric
// names, HELP texts and labels, with values from the checks' statuses.
func TestMetrics(t *testing.T) {
	e := newEnv(t)
	mk := func(body string) string {
		return e.json(http.StatusCreated, "POST", "/api/v3/checks/", body, "X-Api-Key", e.rw)["uuid"].(string)
	}
	up := mk(`{"name": "web \"front\"", "tags": "prod www"}`)
	down := mk(`{"name": "db", "tags": "prod db"}`)
	paused := mk(`{"name": "batch"}`)
	e.json(200, "POST", "/api/v3/checks/"+paused+"/pause", "", "X-Api-Key", e.rw)
	ctx := context.Background()
	state := func(u string, f func(st *messages.CheckState)) {
		c, err := e.store.GetCheck(ctx, e.user.ID, e.checkID(u))
		if err != nil {
			t.Fatal(err)
		}
		w := persistence.Write{CheckID: c.ID, ExpectVersion: c.Version, State: c.CheckState}
		f(&w.State)
		if out, err := e.store.Commit(ctx, []persistence.Write{w}); err != nil || out[0].Kind != persistence.OutcomeCommitted {
			t.Fatal(out, err)
		}
	}
	state(up, func(st *messages.CheckState) {
		st.Status, st.LastPing, st.NextDue, st.NextDeadline = messages.StatusUp, e.now.Add(-2*time.Hour), e.now.Add(-time.Minute), e.now.Add(time.Hour)
		st.LastStart = e.now.Add(-time.Second)
	})
	state(down, func(st *messages.CheckState) { st.Status = messages.StatusDown })

	for _, path := range []string{"/projects/any/metrics/" + e.ro, "/projects/any/checks/metrics/" + e.ro} {
		code, hd, body := e.do("GET", path, "")
		if code != 200 || !strings.HasPrefix(hd.Get("Content-Type"), "text/plain") {
			t.Fatalf("%s: %d %s", path, code, body)
		}
		fams := parse(t, string(body))
		ukUp, ukDown, ukPaused := uniqueKeyOf(up), uniqueKeyOf(down), uniqueKeyOf(paused)
		want := map[string]struct {
			help   string
			values map[string]float64 // label set → value
		}{
			"hc_check_up": {"Whether the check is currently up (1 for yes, 0 for no).", map[string]float64{
				`name=web "front",tags=prod www,unique_key=` + ukUp: 1, `name=db,tags=prod db,unique_key=` + ukDown: 0, `name=batch,tags=,unique_key=` + ukPaused: 1}},
			"hc_check_started": {"Whether the check is currently started (1 for yes, 0 for no).", map[string]float64{
				`name=web "front",tags=prod www,unique_key=` + ukUp: 1, `name=db,tags=prod db,unique_key=` + ukDown: 0, `name=batch,tags=,unique_key=` + ukPaused: 0}},
			"hc_check_grace": {"Whether the check is currently in the grace period (1 for yes, 0 for no).", map[string]float64{
				`name=web "front",tags=prod www,unique_key=` + ukUp: 1, `name=db,tags=prod db,unique_key=` + ukDown: 0, `name=batch,tags=,unique_key=` + ukPaused: 0}},
			"hc_check_paused": {"Whether the check is currently paused (1 for yes, 0 for no).", map[string]float64{
				`name=web "front",tags=prod www,unique_key=` + ukUp: 0, `name=db,tags=prod db,unique_key=` + ukDown: 0, `name=batch,tags=,unique_key=` + ukPaused: 1}},
			"hc_tag_up": {"Whether all checks with this tag are up (1 for yes, 0 for no).", map[string]float64{
				"tag=db": 0, "tag=prod": 0, "tag=www": 1}},
			"hc_checks_total":      {"The total number of checks.", map[string]float64{"": 3}},
			"hc_checks_down_total": {"The number of checks currently down.", map[string]float64{"": 1}},
		}
		if len(fams) != len(want) {
			t.Errorf("%d families, want %d", len(fams), len(want))
		}
		for name, w := range want {
			f, ok := fams[name]
			if !ok {
				t.Errorf("%s missing", name)
				continue
			}
			if f.GetHelp() != w.help || f.GetType() != dto.MetricType_GAUGE {
				t.Errorf("%s: help %q type %v", name, f.GetHelp(), f.GetType())
			}
			got := map[string]float64{}
			for _, m := range f.GetMetric() {
				var ls []string
				for _, l := range m.GetLabel() {
					ls = append(ls, l.GetName()+"="+l.GetValue())
				}
				got[strings.Join(ls, ",")] = m.GetGauge().GetValue()
			}
			if len(got) != len(w.values) {
				t.Errorf("%s: %v, want %v", name, got, w.values)
			}
			for k, v := range w.values {
				if g, ok := got[k]; !ok || g != v {
					t.Errorf("%s{%s} = %v (present %v), want %v", name, k, g, ok, v)
				}
			}
		}
	}

	// Bearer form; a read-write key, an unknown key and no key are refused.
	if code, _, _ := e.do("GET", "/projects/any/metrics/", "", "Authorization", "Bearer "+e.ro); code != 200 {
		t.Errorf("bearer: %d", code)
	}
	for _, tc := range []struct {
		path    string
		headers []string
		code    int
	}{
		{"/projects/any/metrics/" + e.rw, nil, 403},
		{"/projects/any/metrics/nope", nil, 403},
		{"/projects/any/metrics/", nil, 401},
		{"/projects/any/metrics/x/y", nil, 404},
	} {
		if code, _, _ := e.do("GET", tc.path, "", tc.headers...); code != tc.code {
			t.Errorf("%s: %d, want %d", tc.path, code, tc.code)
		}
	}
}

func parse(t *testing.T, text string) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("metrics do not parse: %v\n%s", err, text)
	}
	return fams
}

// WriteMetrics of no checks still parses, with zero totals.
func TestMetricsEmpty(t *testing.T) {
	var b strings.Builder
	hcapi.WriteMetrics(&b, nil, time.Now())
	fams := parse(t, b.String())
	if fams["hc_checks_total"].GetMetric()[0].GetGauge().GetValue() != 0 {
		t.Errorf("%s", b.String())
	}
}
