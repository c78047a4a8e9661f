package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/http/transfer"
)

// ImportConfig is where imports that keep a healthchecks project's UUIDs may fetch from.
type ImportConfig struct {
	// HCServers are the healthchecks servers users may import from, normalized
	// (--import-hc-servers). A user-named server could serve someone else's UUIDs, so only
	// the operator's list is trusted with taking over ping URLs.
	HCServers []string
	// HCTimeout bounds one request to a healthchecks server while importing
	// (--import-hc-timeout).
	HCTimeout time.Duration
}

func (c *ImportConfig) register(fs *flag.FlagSet) {
	c.HCServers = []string{transfer.DefaultHCServer}
	fs.DurationVar(&c.HCTimeout, "import-hc-timeout", 30*time.Second, "how long one request to a healthchecks server may take while importing checks from it")
	fs.Var(listFlag{&c.HCServers}, "import-hc-servers", "comma-separated healthchecks servers users may import checks from, keeping their UUIDs (fetched through the webhooks' SSRF protection)")
}

func (c *ImportConfig) finish(func(string) string) error {
	out := c.HCServers[:0:0]
	for _, s := range c.HCServers {
		n, err := transfer.NormalizeServer(s)
		if err != nil {
			return fmt.Errorf("--import-hc-servers: %q is not an http or https server address", s)
		}
		out = append(out, n)
	}
	c.HCServers = out
	return nil
}

// Validate refuses a timeout that would fail every import (finish already named a bad server).
func (c ImportConfig) Validate() error {
	return errors.Join(positive(map[string]time.Duration{"--import-hc-timeout": c.HCTimeout})...)
}
