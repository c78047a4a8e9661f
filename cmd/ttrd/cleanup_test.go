package main

import (
	"bytes"
	"context"
	"io"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence/sqlite"
	"github.com/ttr-rip/ttr/persistence/storetest"
)

const testBotToken = "123456789:AAFake-test-token_for-unit-tests0123"

func TestCleanupAndTelegramLoginFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		check   func(t *testing.T, c Config)
		wantErr string
	}{
		{name: "off by default", check: func(t *testing.T, c Config) {
			if c.Cleanup.InactiveDays != 0 || c.Cleanup.MaxShare != 0.10 || c.Cleanup.Force || c.TelegramLogin.Enabled() {
				t.Errorf("defaults: %+v %+v", c.Cleanup, c.TelegramLogin.BotName)
			}
		}},
		{name: "cleanup flags", args: []string{"--cleanup-inactive-days", "14", "--cleanup-max-share", "0.25", "--cleanup-force"},
			check: func(t *testing.T, c Config) {
				s := c.Cleanup.service()
				if s.InactiveFor != 14*24*time.Hour || s.MaxShare != 0.25 || !s.Force {
					t.Errorf("cleanup %+v", s)
				}
			}},
		{name: "cleanup from the environment", env: map[string]string{"TTR_CLEANUP_INACTIVE_DAYS": "30"},
			check: func(t *testing.T, c Config) {
				if c.Cleanup.InactiveDays != 30 {
					t.Errorf("inactive days %d", c.Cleanup.InactiveDays)
				}
			}},
		{name: "negative days", args: []string{"--cleanup-inactive-days", "-1"}, wantErr: "--cleanup-inactive-days"},
		{name: "share above one", args: []string{"--cleanup-max-share", "2"}, wantErr: "--cleanup-max-share"},
		{name: "zero share", args: []string{"--cleanup-max-share", "0"}, wantErr: "--cleanup-max-share"},
		{name: "telegram login", args: []string{"--telegram-login-bot-name", "ttr_login_bot"},
			env: map[string]string{"TTR_TELEGRAM_LOGIN_BOT_TOKEN": testBotToken},
			check: func(t *testing.T, c Config) {
				if !c.TelegramLogin.Enabled() || c.TelegramLogin.BotToken != testBotToken {
					t.Errorf("telegram login %q", c.TelegramLogin.BotName)
				}
			}},
		{name: "the token is never a flag", args: []string{"--telegram-login-bot-token", testBotToken}, wantErr: "flag provided but not defined"},
		{name: "a bot name needs its token", args: []string{"--telegram-login-bot-name", "ttr_login_bot"}, wantErr: "TTR_TELEGRAM_LOGIN_BOT_TOKEN"},
		{name: "a token needs its bot name", env: map[string]string{"TTR_TELEGRAM_LOGIN_BOT_TOKEN": testBotToken}, wantErr: "without --telegram-login-bot-name"},
		{name: "a bad token", args: []string{"--telegram-login-bot-name", "ttr_login_bot"},
			env: map[string]string{"TTR_TELEGRAM_LOGIN_BOT_TOKEN": "secret-but-wrong"}, wantErr: "bot token is not of the form"},
		{name: "a bad bot name", args: []string{"--telegram-login-bot-name", "ttr login"},
			env: map[string]string{"TTR_TELEGRAM_LOGIN_BOT_TOKEN": testBotToken}, wantErr: "--telegram-login-bot-name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := parseConfig("ttrd", tt.args, func(k string) string { return tt.env[k] })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), testBotToken) || strings.Contains(err.Error(), "secret-but-wrong") {
					t.Errorf("the error shows the token: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, c)
			var log bytes.Buffer
			NewMain(c, &log, io.Discard).log.Info("config", c.redacted()...)
			if strings.Contains(log.String(), testBotToken) {
				t.Errorf("the start-up log shows the token: %s", log.String())
			}
		})
	}
}

// TestCleanupDryRun: `ttrd cleanup --dry-run` lists what a run would remove, and says
// whether the share guard would let it.
func TestCleanupDryRun(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(dir, "ttr.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	u := storetest.NewUser(t, st)
	at := func(ago time.Duration, status messages.CheckStatus, cron string) func(*messages.Check) {
		return func(c *messages.Check) {
			c.CreatedAt, c.LastPing, c.Status = storetest.Ms(now.Add(-400*24*time.Hour)), storetest.Ms(now.Add(-ago)), status
			if cron != "" {
				c.ScheduleType, c.Schedule = messages.ScheduleCron, cron
			}
		}
	}
	daily := storetest.NewCheck(t, st, u.ID, at(15*24*time.Hour, messages.StatusDown, ""))
	monthly := storetest.NewCheck(t, st, u.ID, at(20*24*time.Hour, messages.StatusUp, "0 0 1 * *"))
	paused := storetest.NewCheck(t, st, u.ID, at(200*24*time.Hour, messages.StatusPaused, ""))
	st.Close()

	dryRun := func(args ...string) string {
		t.Helper()
		cfg, err := parseConfig("ttrd cleanup", append([]string{"--data-dir", dir}, args...), func(string) string { return "" })
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		if err := NewMain(cfg, io.Discard, io.Discard).CleanupDryRun(ctx, &out); err != nil {
			t.Fatal(err)
		}
		return out.String()
	}
	out := dryRun("--cleanup-inactive-days", "14")
	line := regexp.MustCompile(`(?m)^check\s+(\d+)\s`)
	var listed []int64
	for _, m := range line.FindAllStringSubmatch(out, -1) {
		id, _ := strconv.ParseInt(m[1], 10, 64)
		listed = append(listed, id)
	}
	if len(listed) != 1 || listed[0] != daily.ID {
		t.Errorf("dry run lists checks %v; want only the daily check %d (not %d, %d):\n%s", listed, daily.ID, monthly.ID, paused.ID, out)
	}
	if !strings.Contains(out, "would remove 1 of 3 checks (33.3 %) and 0 users: refused") {
		t.Errorf("summary of a plan over the share:\n%s", out)
	}
	if out := dryRun("--cleanup-inactive-days", "14", "--cleanup-max-share", "0.5"); !strings.Contains(out, "a run would remove them") {
		t.Errorf("summary of a plan within the share:\n%s", out)
	}
	if code := run([]string{"cleanup", "--data-dir", dir}); code != 2 {
		t.Errorf("ttrd cleanup without --dry-run exited %d, want 2 (usage)", code)
	}
}
