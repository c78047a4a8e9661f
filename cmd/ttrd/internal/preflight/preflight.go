// Package preflight is ttrd's start-up check: every problem of the configuration is
// collected first, then reported at once, and the daemon refuses to start on any, except in
// a lenient setting (development, or the embedded default on a loopback listener), where each
// is a warning. Features add their items where they are configured: a Check names its
// setting and says what is wrong, never the secret itself.
package preflight

import (
	"errors"
	"strings"
)

// Problem is one finding: the setting and what is wrong with it.
type Problem struct {
	Setting string
	Detail  string
}

func (p Problem) String() string { return p.Setting + ": " + p.Detail }

// Report collects problems. The zero value is empty and ready.
type Report struct {
	problems []Problem
}

// Add records a problem of setting.
func (r *Report) Add(setting, detail string) {
	r.problems = append(r.problems, Problem{Setting: setting, Detail: detail})
}

// Check records err, when not nil, as a problem of setting.
func (r *Report) Check(setting string, err error) {
	if err != nil {
		r.Add(setting, err.Error())
	}
}

// Problems returns what was recorded, in order.
func (r *Report) Problems() []Problem { return r.problems }

// Enforce returns nil when there is no problem. Otherwise, when lenient, it passes each
// problem to warn and returns nil; when not, it returns one error listing every problem.
func (r *Report) Enforce(lenient bool, warn func(Problem)) error {
	if len(r.problems) == 0 {
		return nil
	}
	if lenient {
		for _, p := range r.problems {
			warn(p)
		}
		return nil
	}
	var b strings.Builder
	b.WriteString("refusing to start; fix every problem below (TTR_DEV=1 turns them into warnings):")
	for _, p := range r.problems {
		b.WriteString("\n  - ")
		b.WriteString(p.String())
	}
	return errors.New(b.String())
}
