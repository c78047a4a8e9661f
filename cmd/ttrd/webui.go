package main

import (
	"context"
	"time"

	"github.com/ttr-rip/ttr/actors/check"
	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/account"
	"github.com/ttr-rip/ttr/http/activity"
	"github.com/ttr-rip/ttr/http/limit"
	"github.com/ttr-rip/ttr/http/session"
	"github.com/ttr-rip/ttr/http/siteadmin"
	"github.com/ttr-rip/ttr/http/statuspage"
	"github.com/ttr-rip/ttr/http/tglogin"
	"github.com/ttr-rip/ttr/http/web"
)

// csrfKeyLabel names the CSRF signing key derived from TTR_SECRET_KEY.
const csrfKeyLabel = "ttr web csrf v1"

// webDeps are what the web UI shares with the edge.
type webDeps struct {
	checks   *check.Client
	limits   *limit.Limits
	admin    *ttrhttp.AdminDeps // nil: no admin pages
	activity *activity.Recorder
	transfer web.Transfer // exports and imports (the account page's section)
	// statusPages serves status pages and their editor (shared with the edge: one cache).
	statusPages *statuspage.Service
}

// webUI builds the web UI's sessions, the account service and the pages (with the admin
// pages, sharing the edge's siteadmin service, which it sets on d.admin), and starts pruning
// expired sessions, slug holds and retired keys.
func (m *Main) webUI(d webDeps) (*session.Manager, *account.Service, *web.Pages, error) {
	cfg := session.DefaultConfig()
	cfg.Secure = secureCookies(m.cfg.HTTP.PublicURL)
	cfg.IdleTimeout, cfg.MaxAge = m.cfg.Web.SessionIdle, m.cfg.Web.SessionMaxAge
	cfg.TrustedOrigins = []string{m.cfg.HTTP.PublicURL}
	cfg.RetiredFor = ttrhttp.RetiredFor
	sessions, err := session.New(cfg, session.Deps{
		Store: m.store, Admins: m.store, Index: m.ring.Index, Logger: m.log, Limits: d.limits,
		// Derived from the server secret, so every node signs and checks the same tokens.
		CSRFKey: m.ring.Derive(csrfKeyLabel),
	})
	if err != nil {
		return nil, nil, nil, err
	}
	accounts, err := account.New(account.Deps{Store: m.store, Checks: d.checks, Users: m.store, Keys: m.store, Ring: m.ring, Sessions: sessions})
	if err != nil {
		return nil, nil, nil, err
	}
	wd := web.Deps{Sessions: sessions, Accounts: accounts, Limits: d.limits, Logger: m.log,
		Activity: d.activity, Credentials: m.store, Transfer: d.transfer, Ring: m.ring}
	if d.admin != nil {
		site, err := siteadmin.New(siteadmin.Deps{Store: m.store, Checks: d.checks, Verifier: d.admin.Verifier, Limits: d.limits,
			Activity: d.activity, Sessions: sessions, Logger: m.log, Nodes: d.admin.Nodes, Ready: m.readiness})
		if err != nil {
			return nil, nil, nil, err
		}
		d.admin.Site = site
		wd.Admin = &web.AdminDeps{Site: site}
	}
	if tg := m.cfg.TelegramLogin; tg.Enabled() {
		v, err := tglogin.New(tg.BotToken)
		if err != nil {
			return nil, nil, nil, err
		}
		wd.Telegram = &web.TelegramDeps{BotName: tg.BotName, Verifier: v, Store: m.store}
	}
	wd.StatusPages = d.statusPages
	pages, err := web.New(web.Config{PublicURL: m.cfg.HTTP.PublicURL, Quotas: m.cfg.Abuse.Quotas}, wd)
	if err != nil {
		return nil, nil, nil, err
	}
	m.startAccountPruner(m.cfg.Web.PruneEvery)
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
