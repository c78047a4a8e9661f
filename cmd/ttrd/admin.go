package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	ttrhttp "github.com/ttr-rip/ttr/http"
	"github.com/ttr-rip/ttr/http/adminauth"
	"github.com/ttr-rip/ttr/messages"
	"github.com/ttr-rip/ttr/persistence"
	"github.com/ttr-rip/ttr/persistence/keyring"
)

// adminUsage is printed for a malformed `ttrd admin` command line.
const adminUsage = `usage:
  ttrd admin create --username U [flags]   new admin; password from TTR_ADMIN_PASSWORD or stdin
  ttrd admin passwd --username U [flags]   new password (signs the admin out everywhere)
  ttrd admin delete --username U [flags]   delete an admin
  ttrd admin list [flags]                  admins and metrics tokens
  ttrd admin token --metrics [--name N]    mint a metrics token (shown once)
  ttrd admin token --revoke ID             revoke a metrics token
The store flags (--data-dir, --database-url, …) and their TTR_* variables apply.`

// adminCmd is one `ttrd admin` command line.
type adminCmd struct {
	action   string // create | passwd | delete | list | token
	username string
	metrics  bool
	name     string
	revoke   int64
}

// parseAdminArgs takes the admin command's own flags out of args (`ttrd admin <action> …`)
// and returns the rest, the store flags, for parseConfig.
func parseAdminArgs(args []string) (adminCmd, []string, error) {
	var c adminCmd
	if len(args) == 0 {
		return c, nil, errors.New("missing action")
	}
	c.action = args[0]
	switch c.action {
	case "create", "passwd", "delete", "list", "token":
	default:
		return c, nil, fmt.Errorf("unknown action %q", c.action)
	}
	var rest []string
	for i := 1; i < len(args); i++ {
		name, value, hasValue := strings.Cut(strings.TrimLeft(args[i], "-"), "=")
		if !strings.HasPrefix(args[i], "-") {
			rest = append(rest, args[i])
			continue
		}
		next := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("--%s needs a value", name)
			}
			i++
			return args[i], nil
		}
		var err error
		switch name {
		case "username":
			c.username, err = next()
		case "name":
			c.name, err = next()
		case "metrics":
			c.metrics = true
		case "revoke":
			var v string
			if v, err = next(); err == nil {
				if c.revoke, err = strconv.ParseInt(v, 10, 64); err != nil || c.revoke <= 0 {
					err = fmt.Errorf("--revoke %q: want a token id", v)
				}
			}
		default:
			rest = append(rest, args[i])
		}
		if err != nil {
			return c, nil, err
		}
	}
	switch c.action {
	case "create", "passwd", "delete":
		if !adminauth.ValidUsername(c.username) {
			return c, nil, errors.New("--username is required: 1 to 64 letters, digits or . _ @ -")
		}
	case "token":
		if c.metrics == (c.revoke != 0) {
			return c, nil, errors.New("token: give --metrics (mint) or --revoke ID")
		}
	}
	return c, rest, nil
}

// readPassword returns TTR_ADMIN_PASSWORD when set, else the first line of stdin, and
// checks the length rule.
func readPassword(getenv func(string) string, stdin io.Reader) (string, error) {
	pw := getenv("TTR_ADMIN_PASSWORD")
	if pw == "" {
		line, err := bufio.NewReader(io.LimitReader(stdin, adminauth.MaxPasswordBytes+2)).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", fmt.Errorf("read the password from stdin: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if err := adminauth.CheckPassword(pw); err != nil {
		return "", err
	}
	return pw, nil
}

// Admin runs a `ttrd admin` command against the store. It is safe while the server runs:
// it only reads and writes rows (SQLite waits for the server's writer; PostgreSQL serves
// both), and a server sees each change at its next request.
func (m *Main) Admin(ctx context.Context, c adminCmd, getenv func(string) string, stdin io.Reader, out io.Writer) error {
	defer m.Close()
	if err := m.openStore(ctx); err != nil {
		return err
	}
	now := time.Now().UTC()
	switch c.action {
	case "create", "passwd":
		pw, err := readPassword(getenv, stdin)
		if err != nil {
			return err
		}
		hash, err := adminauth.HashPassword(pw, adminauth.DefaultParams)
		if err != nil {
			return err
		}
		if c.action == "create" {
			if err := m.store.CreateAdmin(ctx, &persistence.Admin{Username: c.username, PasswordHash: hash, CreatedAt: now}); err != nil {
				return err
			}
			fmt.Fprintf(out, "admin %s created\n", c.username)
			return nil
		}
		if err := m.store.SetAdminPassword(ctx, c.username, hash, now); err != nil {
			return notFoundAs(err, "no admin "+c.username)
		}
		fmt.Fprintf(out, "password of %s changed; their browser sign-ins ended (access tokens already issued end within their lifetime)\n", c.username)
	case "delete":
		if err := m.store.DeleteAdmin(ctx, c.username); err != nil {
			return notFoundAs(err, "no admin "+c.username)
		}
		fmt.Fprintf(out, "admin %s deleted\n", c.username)
	case "list":
		return m.listAdmins(ctx, out)
	case "token":
		if c.revoke != 0 {
			if err := m.store.RevokeMetricsToken(ctx, c.revoke, now); err != nil {
				return notFoundAs(err, fmt.Sprintf("no metrics token %d", c.revoke))
			}
			fmt.Fprintf(out, "metrics token %d revoked\n", c.revoke)
			return nil
		}
		token, t, err := newMetricsToken(c.name, now)
		if err != nil {
			return err
		}
		if err := m.store.CreateMetricsToken(ctx, &t); err != nil {
			return err
		}
		fmt.Fprintf(out, "%s\n", token)
		fmt.Fprintf(out, "metrics token %d: shown once; it opens GET /metrics (Authorization: Bearer) and nothing else\n", t.ID)
	}
	return nil
}

// newMetricsToken mints a metrics token: its value (shown once) and its row (hashed).
func newMetricsToken(name string, now time.Time) (string, persistence.MetricsToken, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", persistence.MetricsToken{}, err
	}
	token := ttrhttp.MetricsTokenPrefix + base64.RawURLEncoding.EncodeToString(b)
	return token, persistence.MetricsToken{
		Name: name, Prefix: token[:len(ttrhttp.MetricsTokenPrefix)+6], Hash: keyring.Hash([]byte(token)), CreatedAt: now,
	}, nil
}

func (m *Main) listAdmins(ctx context.Context, out io.Writer) error {
	admins, err := m.store.ListAdmins(ctx)
	if err != nil {
		return err
	}
	tokens, err := m.store.ListMetricsTokens(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ADMIN\tCREATED\tPASSWORD CHANGED")
	for _, a := range admins {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.Username, a.CreatedAt.Format(time.RFC3339), a.UpdatedAt.Format(time.RFC3339))
	}
	if len(tokens) > 0 {
		fmt.Fprintln(tw, "\nMETRICS TOKEN\tPREFIX\tNAME\tCREATED\tREVOKED")
		for _, t := range tokens {
			revoked := "-"
			if !t.RevokedAt.IsZero() {
				revoked = t.RevokedAt.Format(time.RFC3339)
			}
			fmt.Fprintf(tw, "%d\t%s…\t%s\t%s\t%s\n", t.ID, t.Prefix, t.Name, t.CreatedAt.Format(time.RFC3339), revoked)
		}
	}
	return tw.Flush()
}

// notFoundAs replaces a not-found error by msg.
func notFoundAs(err error, msg string) error {
	if messages.CodeOf(err) == messages.ENotFound {
		return errors.New(msg)
	}
	return err
}

// adminDeps builds the operator side of the edge: tokens signed with the key derived for
// them from TTR_SECRET_KEY, the password verifier, /metrics, the node list.
func (m *Main) adminDeps() (*ttrhttp.AdminDeps, error) {
	tokens, err := adminauth.New(adminauth.DefaultConfig(), m.adminKeys(), nil)
	if err != nil {
		return nil, err
	}
	verifier, err := adminauth.NewVerifier(adminauth.DefaultParams)
	if err != nil {
		return nil, err
	}
	return &ttrhttp.AdminDeps{Store: m.store, Tokens: tokens, Verifier: verifier, Metrics: m.reg, Nodes: m.nodeList}, nil
}

// adminKeys are the keys of admin tokens: the key ring's Derive of adminauth.KeyLabel, and
// during a rotation of TTR_SECRET_KEY the previous secret's key, which still verifies.
func (m *Main) adminKeys() adminauth.Keys {
	keys := m.ring.DeriveAll(adminauth.KeyLabel)
	return adminauth.Keys{Sign: keys[0], Verify: keys}
}

// nodeList is the cluster's members for the admin stats.
func (m *Main) nodeList() []ttrhttp.Node {
	if m.ms == nil {
		self := m.membership.Self()
		state := "active"
		if m.readiness(context.Background()) != nil {
			state = "not ready"
		}
		return []ttrhttp.Node{{ID: self.ID, Name: self.Name, HTTPAddr: self.HTTPAddr, State: state, StoreOK: m.monitor.OK(), Self: true}}
	}
	var out []ttrhttp.Node
	for _, mi := range m.ms.Topology().All {
		out = append(out, ttrhttp.Node{ID: mi.ID, Name: mi.Name, HTTPAddr: mi.HTTPAddr, State: string(mi.State),
			StoreOK: mi.StoreOK, Self: mi.Local})
	}
	return out
}
