package web

import (
	"html/template"
	"time"
)

// The pages beyond the shell's (admin pages, the account page's credential sections, Login
// with Telegram) register here, so web.go's lists stay short.

// parseOwnPages parses the admin and Telegram templates (the account page's sections,
// templates/account_*.html, come with it in New).
func (p *Pages) parseOwnPages(funcs template.FuncMap) error {
	if err := p.parseAdminPages(funcs); err != nil {
		return err
	}
	if err := p.loadStatusTemplates(funcs); err != nil {
		return err
	}
	return p.parseTelegramPages(funcs)
}

// ownRoutes are the routes of the admin pages, the account sections and Login with Telegram
// (each absent when its dependency is).
func (p *Pages) ownRoutes() []routeDef {
	var out []routeDef
	out = append(out, p.adminRoutes()...)
	out = append(out, p.credentialRoutes()...)
	out = append(out, p.statusRoutes()...)
	return append(out, p.telegramRoutes()...)
}

// when formats a time for tables: UTC to the minute, "never" for the zero time.
func when(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}
