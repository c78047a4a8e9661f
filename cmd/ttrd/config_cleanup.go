package main

import (
	"errors"
	"flag"
	"fmt"
	"time"

	"github.com/ttr-rip/ttr/actors/cleanup"
	"github.com/ttr-rip/ttr/http/tglogin"
)

// CleanupConfig is the cleanup of inactive checks and users (docs/operations.md, "Cleanup of
// inactive checks and users"): off unless InactiveDays is set.
type CleanupConfig struct {
	InactiveDays int           // --cleanup-inactive-days; 0 = off
	MaxShare     float64       // --cleanup-max-share
	Force        bool          // --cleanup-force
	Every        time.Duration // --cleanup-every
	FirstRun     time.Duration // --cleanup-first-run
}

func (c *CleanupConfig) register(fs *flag.FlagSet) {
	fs.IntVar(&c.InactiveDays, "cleanup-inactive-days", 0, "remove checks and users inactive for this many days (see docs/operations.md); 0 = off")
	fs.Float64Var(&c.MaxShare, "cleanup-max-share", 0.10, "largest share of all checks one cleanup run may remove; a run that would remove more is refused")
	fs.BoolVar(&c.Force, "cleanup-force", false, "let a cleanup run remove more than --cleanup-max-share")
	fs.DurationVar(&c.Every, "cleanup-every", time.Hour, "pause between cleanup runs")
	fs.DurationVar(&c.FirstRun, "cleanup-first-run", time.Minute, "how long after start-up the first cleanup run begins")
}

// service is the cleanup service's configuration.
func (c CleanupConfig) service() cleanup.Config {
	return cleanup.Config{InactiveFor: time.Duration(c.InactiveDays) * 24 * time.Hour, MaxShare: c.MaxShare, Force: c.Force, Every: c.Every,
		FirstRun: c.FirstRun}
}

// Validate reports the settings the daemon refuses.
func (c CleanupConfig) Validate() error {
	var errs []error
	if c.InactiveDays < 0 || c.InactiveDays > 100*365 {
		errs = append(errs, fmt.Errorf("--cleanup-inactive-days %d: want 0 (off) to 36500", c.InactiveDays))
	}
	if c.MaxShare <= 0 || c.MaxShare > 1 {
		errs = append(errs, fmt.Errorf("--cleanup-max-share %v: want more than 0 and at most 1", c.MaxShare))
	}
	if c.Every < time.Minute {
		errs = append(errs, fmt.Errorf("--cleanup-every %v: want at least 1m", c.Every))
	}
	if c.FirstRun < time.Second || c.FirstRun > 24*time.Hour {
		errs = append(errs, fmt.Errorf("--cleanup-first-run %v: want 1s to 24h", c.FirstRun))
	}
	return errors.Join(errs...)
}

// String is the cleanup settings for the start-up log.
func (c CleanupConfig) String() string {
	if c.InactiveDays == 0 {
		return "off"
	}
	return fmt.Sprintf("%d days, every %v, at most %.1f %% of checks a run (forced: %v)", c.InactiveDays, c.Every, 100*c.MaxShare, c.Force)
}

// TelegramLoginConfig is "Login with Telegram" (docs/operations.md): off unless both the
// bot's name and its token are set. The token comes from the environment only.
type TelegramLoginConfig struct {
	BotName  string // --telegram-login-bot-name
	BotToken string // TTR_TELEGRAM_LOGIN_BOT_TOKEN (never a flag; never logged)
}

// envTelegramLoginToken is the one place the bot token is read from.
const envTelegramLoginToken = "TTR_TELEGRAM_LOGIN_BOT_TOKEN"

func (c *TelegramLoginConfig) register(fs *flag.FlagSet) {
	fs.StringVar(&c.BotName, "telegram-login-bot-name", "", "username of the bot for Login with Telegram (off when empty); its token in env "+envTelegramLoginToken)
}

func (c *TelegramLoginConfig) finish(getenv func(string) string) error {
	c.BotToken = getenv(envTelegramLoginToken)
	return nil
}

// Enabled reports whether Login with Telegram is configured.
func (c TelegramLoginConfig) Enabled() bool { return c.BotName != "" }

// Validate reports the settings the daemon refuses; it never shows the token.
func (c TelegramLoginConfig) Validate() error {
	switch {
	case c.BotName == "" && c.BotToken == "":
		return nil
	case c.BotName == "":
		return errors.New(envTelegramLoginToken + " is set without --telegram-login-bot-name")
	case c.BotToken == "":
		return errors.New("--telegram-login-bot-name needs the bot's token in " + envTelegramLoginToken)
	case !tglogin.ValidBotName(c.BotName):
		return fmt.Errorf("--telegram-login-bot-name %q: want a bot username (5 to 32 letters, digits or _, ending in bot)", c.BotName)
	}
	_, err := tglogin.New(c.BotToken)
	return err
}
