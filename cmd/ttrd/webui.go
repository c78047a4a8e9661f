package main

import (
	"context"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/account"
	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/http/web"
)

// csrfKeyLabel names the CSRF signing key derived from TTR_SECRET_KEY.
const csrfKeyLabel = "ttr web csrf v1"

// webUI builds the web UI's sessions, the account service and the pages, and starts pruning
// expired sessions, slug holds and retired keys.
func (m *Main) webUI(checks account.CheckDeleter, limits *limit.Limits) (*session.Manager, *account.Service, *web.Pages, error) {
	cfg := session.DefaultConfig()
	cfg.Secure = secureCookies(m.cfg.HTTP.PublicURL)
	cfg.IdleTimeout, cfg.MaxAge = m.cfg.Web.SessionIdle, m.cfg.Web.SessionMaxAge
	cfg.TrustedOrigins = []string{m.cfg.HTTP.PublicURL}
	cfg.RetiredFor = ttrhttp.RetiredFor
	sessions, err := session.New(cfg, session.Deps{
		Store: m.store, Index: m.ring.Index, Logger: m.log, Limits: limits,
		// Derived from the server secret, so every node signs and checks the same tokens.
		CSRFKey: m.ring.Derive(csrfKeyLabel),
	})
	if err != nil {
		return nil, nil, nil, err
	}
	accounts, err := account.New(account.Deps{Store: m.store, Checks: checks, Users: m.store, Keys: m.store, Ring: m.ring, Sessions: sessions})
	if err != nil {
		return nil, nil, nil, err
	}
	pages, err := web.New(web.Config{PublicURL: m.cfg.HTTP.PublicURL}, web.Deps{Sessions: sessions, Accounts: accounts, Limits: limits, Logger: m.log})
	if err != nil {
		return nil, nil, nil, err
	}
	m.startAccountPruner(10 * time.Minute)
	return sessions, accounts, pages, nil
}

// startAccountPruner deletes expired sessions, slug holds and retired keys every interval
// (every node does; the deletes are idempotent and cheap).
func (m *Main) startAccountPruner(every time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				now := time.Now()
				pctx, pcancel := context.WithTimeout(ctx, time.Minute)
				n, err := m.store.PruneAccounts(pctx, now, now.Add(-m.cfg.Web.SessionIdle))
				pcancel()
				if err != nil {
					m.log.Warn("prune sessions and holds", "err", err)
				} else if n > 0 {
					m.log.Debug("pruned sessions and holds", "rows", n)
				}
			}
		}
	}()
	m.defer_(func() { cancel(); <-done })
}
