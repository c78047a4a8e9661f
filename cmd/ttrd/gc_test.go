package main

import "testing"

func TestParseMemTotal(t *testing.T) {
	for in, want := range map[string]int64{
		"MemTotal:       24684084 kB\nMemFree: 1 kB\n": 24684084 * 1024,
		"MemFree: 1 kB\n":  0,
		"MemTotal: x kB\n": 0,
		"":                 0,
	} {
		if got := parseMemTotal([]byte(in)); got != want {
			t.Errorf("parseMemTotal(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestParseCgroupMax(t *testing.T) {
	for in, want := range map[string]int64{"max\n": 0, "1073741824\n": 1 << 30, "0": 0, "junk": 0} {
		got, ok := parseCgroupMax([]byte(in))
		if got != want || ok != (want > 0) {
			t.Errorf("parseCgroupMax(%q) = %d %v, want %d", in, got, ok, want)
		}
	}
}

// The environment wins: with GOGC and GOMEMLIMIT set, tuneGC leaves the runtime alone.
func TestTuneGCRespectsTheEnvironment(t *testing.T) {
	env := map[string]string{"GOGC": "100", "GOMEMLIMIT": "1GiB"}
	if p, l := tuneGC(func(k string) string { return env[k] }); p != -1 || l != -1 {
		t.Fatalf("tuneGC with GOGC and GOMEMLIMIT set changed %d %d", p, l)
	}
}
