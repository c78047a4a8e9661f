// Command ttrd is the ttr daemon: one process per node, serving pings and the API,
// holding check actors, firing deadlines and delivering alerts.
//
//	ttrd [flags]          start a node (see ttrd -h)
//	ttrd migrate [flags]  apply the store's migrations and exit
//	ttrd migrate --contract [flags]
//	                      also apply the contract migrations (once every node is upgraded)
//	ttrd secrets rotate   re-seal every secret under the first key of TTR_ENCRYPTION_KEYS
//	ttrd admin …          operator accounts and metrics tokens (ttrd admin for usage)
//	ttrd import …         import a ttr export or a healthchecks project for a user, as a
//	                      client of the running server's admin API (ttrd import for usage)
//	ttrd cleanup --dry-run --cleanup-inactive-days N [flags]
//	                      list the checks and users a cleanup run would remove
//	ttrd vacuum [flags]   shrink the embedded store's file, offline
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	cmd := "serve"
	var admin adminCmd
	if len(args) > 0 && args[0] == "import" {
		return runImport(args[1:])
	}
	switch {
	case len(args) > 0 && args[0] == "admin":
		var err error
		if admin, args, err = parseAdminArgs(args[1:]); err != nil {
			fmt.Fprintf(os.Stderr, "ttrd admin: %v\n%s\n", err, adminUsage)
			return 2
		}
		cmd = "admin " + admin.action
	case len(args) > 1 && args[0] == "secrets" && args[1] == "rotate":
		cmd, args = "secrets rotate", args[2:]
	case len(args) > 0 && args[0] == "secrets":
		fmt.Fprintln(os.Stderr, "ttrd: usage: ttrd secrets rotate [flags]")
		return 2
	case len(args) > 0 && args[0] == "cleanup":
		var dry bool
		if args, dry = cutDryRun(args[1:]); !dry {
			fmt.Fprintln(os.Stderr, "ttrd: usage: ttrd cleanup --dry-run --cleanup-inactive-days N [flags]\n"+
				"(the cleanup itself runs inside the daemon when --cleanup-inactive-days is set)")
			return 2
		}
		cmd = "cleanup"
	case len(args) > 0 && (args[0] == "migrate" || args[0] == "serve" || args[0] == "vacuum"):
		cmd, args = args[0], args[1:]
	}
	contract := false
	if cmd == "migrate" {
		contract, args = takeContractFlag(args)
	}
	cfg, err := parseConfig("ttrd "+cmd, args, os.Getenv)
	if err != nil {
		if errors.Is(err, errHelp) {
			return 0
		}
		fmt.Fprintln(os.Stderr, "ttrd:", err)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	m := NewMain(cfg, os.Stderr, os.Stdout)
	if admin.action != "" {
		if err := m.Admin(ctx, admin, os.Getenv, os.Stdin, os.Stdout); err != nil {
			fmt.Fprintf(os.Stderr, "ttrd %s: %v\n", cmd, err)
			return 1
		}
		return 0
	}
	if cmd == "secrets rotate" {
		n, err := m.RotateSecrets(ctx)
		if err != nil {
			fmt.Fprintln(os.Stderr, "ttrd secrets rotate:", err)
			return 1
		}
		fmt.Printf("re-sealed %d secrets under the first key of TTR_ENCRYPTION_KEYS; the other keys may now be removed\n", n)
		return 0
	}
	if cmd == "cleanup" {
		if err := m.CleanupDryRun(ctx, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "ttrd cleanup:", err)
			return 1
		}
		return 0
	}
	if cmd == "vacuum" {
		if err := m.Vacuum(ctx, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "ttrd vacuum:", err)
			return 1
		}
		return 0
	}
	if cmd == "migrate" {
		migrate := m.Migrate
		if contract {
			migrate = m.MigrateContract
		}
		if err := migrate(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "ttrd migrate:", err)
			return 1
		}
		return 0
	}
	if err := m.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "ttrd:", err)
		m.Close()
		return 1
	}
	<-ctx.Done()
	stop() // a second signal now ends the process at once
	m.Shutdown()
	return 0
}

// runImport runs `ttrd import …` (no store, no configuration: a client of the server's API).
func runImport(args []string) int {
	c, err := parseImportArgs(args, os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "ttrd import: %v\n%s\n", err, importUsage)
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	if err := Import(ctx, c, os.Getenv, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ttrd import:", err)
		return 1
	}
	return 0
}

// cutDryRun removes --dry-run (or -dry-run) from args and reports whether it was there.
func cutDryRun(args []string) ([]string, bool) {
	out := make([]string, 0, len(args))
	dry := false
	for _, a := range args {
		if a == "--dry-run" || a == "-dry-run" {
			dry = true
			continue
		}
		out = append(out, a)
	}
	return out, dry
}
