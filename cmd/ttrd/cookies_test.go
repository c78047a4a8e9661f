package main

import (
	"strings"
	"testing"
)

func TestCookieStartupProblem(t *testing.T) {
	for _, tc := range []struct {
		url           string
		insecure, dev bool
		wantProblem   bool
		wantSecure    bool
	}{
		{url: "https://ttr.example.com", wantSecure: true},
		{url: "http://127.0.0.1:8080"},
		{url: "http://127.0.0.2:8080"},
		{url: "http://localhost:8080"},
		{url: "http://app.localhost"},
		{url: "http://[::1]:8080"},
		{url: "http://ttr.example.com", wantProblem: true},
		{url: "http://10.0.0.5:8080", wantProblem: true},
		{url: "http://0.0.0.0:8080", wantProblem: true},
		{url: "http://ttr.example.com", insecure: true},
		{url: "http://ttr.example.com", dev: true},
	} {
		t.Run(tc.url, func(t *testing.T) {
			err := cookieStartupProblem(Config{HTTP: HTTPConfig{PublicURL: tc.url}, Web: WebConfig{InsecureCookies: tc.insecure}, Log: LogConfig{Dev: tc.dev}})
			if (err != nil) != tc.wantProblem {
				t.Fatalf("problem = %v, want one: %v", err, tc.wantProblem)
			}
			if err != nil {
				for _, must := range []string{"--public-url", "--insecure-cookies"} {
					if !strings.Contains(err.Error(), must) {
						t.Errorf("message does not name %s: %v", must, err)
					}
				}
			}
			if got := secureCookies(tc.url); got != tc.wantSecure {
				t.Errorf("secure = %v, want %v", got, tc.wantSecure)
			}
		})
	}
}
