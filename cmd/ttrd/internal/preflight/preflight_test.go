package preflight_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/ttr-rip/ttr/cmd/ttrd/internal/preflight"
)

func TestEnforce(t *testing.T) {
	tests := []struct {
		name      string
		add       func(r *preflight.Report)
		lenient   bool
		wantErr   []string
		wantWarns int
	}{
		{"no problem", func(*preflight.Report) {}, false, nil, 0},
		{"every problem listed", func(r *preflight.Report) {
			r.Add("TTR_SECRET_KEY", "is weak")
			r.Check("--internal-addr", errors.New("needs --internal-token"))
			r.Check("--ignored", nil)
		}, false, []string{"TTR_SECRET_KEY: is weak", "--internal-addr: needs --internal-token"}, 0},
		{"lenient warns", func(r *preflight.Report) {
			r.Add("a", "x")
			r.Add("b", "y")
		}, true, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var r preflight.Report
			tt.add(&r)
			warns := 0
			err := r.Enforce(tt.lenient, func(preflight.Problem) { warns++ })
			if (err != nil) != (len(tt.wantErr) > 0) {
				t.Fatalf("err = %v", err)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if strings.Contains(tt.name, "ignored") || (err != nil && strings.Contains(err.Error(), "--ignored")) {
				t.Error("a nil error was recorded")
			}
			if warns != tt.wantWarns {
				t.Errorf("%d warnings, want %d", warns, tt.wantWarns)
			}
		})
	}
}
