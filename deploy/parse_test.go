package deploy_test

// Tiny parsers for the formats under deploy/ that have no parser in our module: ttrd's -h
// output, command lines, env files, systemd units and time spans, Caddyfiles and Dockerfiles.
// Each reads only as much of its format as the files here use, and says so when it meets more.

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode"
)

// ttrdFlag is one flag as ttrd -h prints it.
type ttrdFlag struct {
	Bool    bool   // takes no value
	Default string // "" when none is printed
}

var (
	helpFlagRE    = regexp.MustCompile(`^  -([a-z0-9][a-z0-9-]*)(?: (\S+))?\s*$`)
	helpDefaultRE = regexp.MustCompile(`\(default (.+)\)\s*$`)
)

// parseHelp reads the usage text of Go's flag package: "  -name type" lines, each followed by
// indented usage lines that may end in "(default …)".
func parseHelp(out string) map[string]ttrdFlag {
	flags := map[string]ttrdFlag{}
	cur := ""
	for _, line := range strings.Split(out, "\n") {
		if m := helpFlagRE.FindStringSubmatch(line); m != nil {
			cur = m[1]
			flags[cur] = ttrdFlag{Bool: m[2] == ""}
			continue
		}
		if cur == "" || !strings.HasPrefix(line, "    ") {
			cur = ""
			continue
		}
		if m := helpDefaultRE.FindStringSubmatch(line); m != nil {
			f := flags[cur]
			f.Default = m[1]
			if u, err := strconv.Unquote(m[1]); err == nil {
				f.Default = u
			}
			flags[cur] = f
		}
	}
	return flags
}

// envName is the environment fallback of a flag, as ttrd names it: --http-addr → TTR_HTTP_ADDR.
func envName(flag string) string {
	return "TTR_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// flagName is the inverse of envName ("" when env is not a TTR_ name).
func flagName(env string) string {
	rest, ok := strings.CutPrefix(env, "TTR_")
	if !ok || rest == "" {
		return ""
	}
	return strings.ToLower(strings.ReplaceAll(rest, "_", "-"))
}

// parseArgs reads a command line the way Go's flag package does: -name or --name, with
// =value or the next token as the value unless the flag is a boolean; parsing stops at "--"
// or at the first token that is not a flag (the rest is returned).
func parseArgs(args []string, isBool func(string) bool) (map[string]string, []string, error) {
	flags := map[string]string{}
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			return flags, args[i+1:], nil
		}
		if len(a) < 2 || a[0] != '-' {
			return flags, args[i:], nil
		}
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		name, val, hasVal := strings.Cut(name, "=")
		switch {
		case hasVal:
		case isBool(name):
			val = "true"
		case i+1 < len(args):
			i++
			val = args[i]
		default:
			return flags, nil, fmt.Errorf("flag -%s has no value", name)
		}
		if _, dup := flags[name]; dup {
			return flags, nil, fmt.Errorf("flag -%s given twice", name)
		}
		flags[name] = val
	}
	return flags, nil, nil
}

// parseEnvFile reads KEY=VALUE lines (docker-compose env_file, systemd EnvironmentFile):
// blank lines and lines starting with # or ; are comments; a value may be quoted.
func parseEnvFile(src string) (map[string]string, error) {
	env := map[string]string{}
	for i, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(strings.TrimPrefix(k, "export "))
		if !ok || k == "" || strings.ContainsFunc(k, unicode.IsSpace) {
			return nil, fmt.Errorf("line %d: want KEY=VALUE, got %q", i+1, line)
		}
		v = strings.TrimSpace(v)
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		if _, dup := env[k]; dup {
			return nil, fmt.Errorf("line %d: %s set twice", i+1, k)
		}
		env[k] = v
	}
	return env, nil
}

// unit is a systemd unit file: section → key → values in order (a key may repeat; an empty
// assignment resets the list, as systemd does for list settings).
type unit map[string]map[string][]string

func parseUnit(src string) (unit, error) {
	u := unit{}
	section := ""
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + " " + strings.TrimSpace(lines[i])
		}
		switch {
		case line == "" || line[0] == '#' || line[0] == ';':
			continue
		case line[0] == '[':
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("line %d: bad section header %q", i+1, line)
			}
			section = line[1 : len(line)-1]
			if u[section] == nil {
				u[section] = map[string][]string{}
			}
			continue
		}
		if section == "" {
			return nil, fmt.Errorf("line %d: assignment outside a section", i+1)
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: want Key=value, got %q", i+1, line)
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if v == "" {
			u[section][k] = []string{}
			continue
		}
		u[section][k] = append(u[section][k], v)
	}
	return u, nil
}

// last is the effective value of a single-valued setting.
func (u unit) last(section, key string) (string, bool) {
	vs := u[section][key]
	if len(vs) == 0 {
		return "", false
	}
	return vs[len(vs)-1], true
}

var timespanRE = regexp.MustCompile(`^\s*(\d+(?:\.\d+)?)\s*([a-z]*)`)

// parseTimespan reads a systemd time span: "45s", "1min 30s", "2m", "90" (seconds).
func parseTimespan(s string) (time.Duration, error) {
	units := map[string]time.Duration{
		"": time.Second, "us": time.Microsecond, "usec": time.Microsecond,
		"ms": time.Millisecond, "msec": time.Millisecond,
		"s": time.Second, "sec": time.Second, "second": time.Second, "seconds": time.Second,
		"m": time.Minute, "min": time.Minute, "minute": time.Minute, "minutes": time.Minute,
		"h": time.Hour, "hr": time.Hour, "hour": time.Hour, "hours": time.Hour,
		"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
	}
	rest := strings.TrimSpace(s)
	if rest == "" || rest == "infinity" {
		return 0, fmt.Errorf("time span %q: want a finite duration", s)
	}
	var total time.Duration
	for rest != "" {
		m := timespanRE.FindStringSubmatch(rest)
		if m == nil {
			return 0, fmt.Errorf("time span %q: cannot read %q", s, rest)
		}
		unit, ok := units[m[2]]
		if !ok {
			return 0, fmt.Errorf("time span %q: unknown unit %q", s, m[2])
		}
		n, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			return 0, fmt.Errorf("time span %q: %w", s, err)
		}
		total += time.Duration(n * float64(unit))
		rest = strings.TrimSpace(rest[len(m[0]):])
	}
	return total, nil
}

// caddyBlock is one Caddyfile line (Args[0] is the directive or site address) with the block
// it opens, if any.
type caddyBlock struct {
	Args []string
	Body []caddyBlock
}

// parseCaddyfile reads the Caddyfile subset used here: one directive per line, "{" at the end of
// a line opens a block, "}" alone closes it, # starts a comment. Quotes are not supported.
func parseCaddyfile(src string) ([]caddyBlock, error) {
	root := &caddyBlock{}
	stack := []*caddyBlock{root}
	for i, line := range strings.Split(src, "\n") {
		var toks []string
		for _, f := range strings.Fields(line) {
			if strings.HasPrefix(f, "#") {
				break
			}
			if strings.ContainsAny(f, "\"`") {
				return nil, fmt.Errorf("line %d: quoted tokens are not supported by this parser", i+1)
			}
			toks = append(toks, f)
		}
		switch {
		case len(toks) == 0:
		case len(toks) == 1 && toks[0] == "}":
			if len(stack) == 1 {
				return nil, fmt.Errorf("line %d: unbalanced }", i+1)
			}
			stack = stack[:len(stack)-1]
		case toks[len(toks)-1] == "{":
			top := stack[len(stack)-1]
			top.Body = append(top.Body, caddyBlock{Args: toks[:len(toks)-1]})
			stack = append(stack, &top.Body[len(top.Body)-1])
		default:
			if strings.ContainsAny(strings.Join(toks, " "), "{}") {
				return nil, fmt.Errorf("line %d: braces only at the end of a line or alone", i+1)
			}
			top := stack[len(stack)-1]
			top.Body = append(top.Body, caddyBlock{Args: toks})
		}
	}
	if len(stack) != 1 {
		return nil, errors.New("unclosed {")
	}
	return root.Body, nil
}

// findCaddy returns every block named name, at any depth.
func findCaddy(blocks []caddyBlock, name string) []caddyBlock {
	var out []caddyBlock
	for _, b := range blocks {
		if len(b.Args) > 0 && b.Args[0] == name {
			out = append(out, b)
		}
		out = append(out, findCaddy(b.Body, name)...)
	}
	return out
}

// caddyArg is the argument of a one-argument directive directly inside b ("" when absent).
func caddyArg(b caddyBlock, name string) string {
	for _, d := range b.Body {
		if len(d.Args) == 2 && d.Args[0] == name {
			return d.Args[1]
		}
	}
	return ""
}

// dockerInstr is one Dockerfile instruction, continuation lines joined.
type dockerInstr struct {
	Cmd  string // upper case: FROM, RUN, ENV, …
	Rest string
}

// parseDockerfile splits a Dockerfile into stages (instructions before the first FROM, i.e.
// global ARGs, form stage 0).
func parseDockerfile(src string) [][]dockerInstr {
	stages := [][]dockerInstr{nil}
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimSpace(lines[i])
		if line == "" || line[0] == '#' {
			continue
		}
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			next := strings.TrimSpace(lines[i])
			if strings.HasPrefix(next, "#") {
				next = `\`
			}
			line = strings.TrimSuffix(line, `\`) + " " + next
		}
		cmd, rest, _ := strings.Cut(line, " ")
		in := dockerInstr{Cmd: strings.ToUpper(cmd), Rest: strings.TrimSpace(rest)}
		if in.Cmd == "FROM" {
			stages = append(stages, nil)
		}
		stages[len(stages)-1] = append(stages[len(stages)-1], in)
	}
	return stages
}

// dockerEnv reads an ENV instruction in its KEY=VALUE form.
func dockerEnv(rest string) (map[string]string, error) {
	env := map[string]string{}
	for _, f := range strings.Fields(rest) {
		k, v, ok := strings.Cut(f, "=")
		if !ok {
			return nil, fmt.Errorf("ENV %q: use the KEY=VALUE form", rest)
		}
		env[k] = strings.Trim(v, `"`)
	}
	return env, nil
}

func TestParseHelp(t *testing.T) {
	out := "Usage of ttrd serve:\n" +
		"  -dev\n    \tdevelopment mode (env TTR_DEV)\n" +
		"  -http-addr string\n    \tpublic HTTP listen address (env TTR_HTTP_ADDR) (default \"127.0.0.1:8080\")\n" +
		"  -shutdown-delay duration\n    \ton SIGTERM, how long (env TTR_SHUTDOWN_DELAY)\n" +
		"  -alert-backoff duration\n    \tfirst retry gap (default 5s)\n"
	got := parseHelp(out)
	want := map[string]ttrdFlag{
		"dev":            {Bool: true},
		"http-addr":      {Default: "127.0.0.1:8080"},
		"shutdown-delay": {},
		"alert-backoff":  {Default: "5s"},
	}
	if len(got) != len(want) {
		t.Fatalf("parseHelp = %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %+v, want %+v", k, got[k], w)
		}
	}
}

func TestEnvName(t *testing.T) {
	for _, tc := range []struct{ flag, env string }{
		{"http-addr", "TTR_HTTP_ADDR"}, {"join", "TTR_JOIN"}, {"gossip-key", "TTR_GOSSIP_KEY"},
	} {
		if got := envName(tc.flag); got != tc.env {
			t.Errorf("envName(%q) = %q, want %q", tc.flag, got, tc.env)
		}
		if got := flagName(tc.env); got != tc.flag {
			t.Errorf("flagName(%q) = %q, want %q", tc.env, got, tc.flag)
		}
	}
	if got := flagName("POD_IP"); got != "" {
		t.Errorf("flagName(POD_IP) = %q, want empty", got)
	}
}

func TestParseArgs(t *testing.T) {
	isBool := func(n string) bool { return n == "dev" }
	tests := []struct {
		name    string
		args    []string
		want    map[string]string
		rest    []string
		wantErr bool
	}{
		{"equals and space", []string{"--a=1", "-b", "2"}, map[string]string{"a": "1", "b": "2"}, nil, false},
		{"bool takes no value", []string{"--dev", "--a", "x"}, map[string]string{"dev": "true", "a": "x"}, nil, false},
		{"stops at a subcommand", []string{"--a=1", "migrate", "--b=2"}, map[string]string{"a": "1"}, []string{"migrate", "--b=2"}, false},
		{"missing value", []string{"--a"}, nil, nil, true},
		{"twice", []string{"--a=1", "--a=2"}, nil, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, rest, err := parseArgs(tc.args, isBool)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.want) || fmt.Sprint(rest) != fmt.Sprint(tc.rest) {
				t.Errorf("parseArgs = %v %v, want %v %v", got, rest, tc.want, tc.rest)
			}
		})
	}
}

func TestParseEnvFile(t *testing.T) {
	got, err := parseEnvFile("# comment\n\nA=1\nexport B=\"two words\"\n; other comment\nC=\nD=x=y\n")
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "1", "B": "two words", "C": "", "D": "x=y"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("parseEnvFile = %v, want %v", got, want)
	}
	for _, bad := range []string{"NOVALUE\n", "A=1\nA=2\n", "TWO WORDS=1\n"} {
		if _, err := parseEnvFile(bad); err == nil {
			t.Errorf("parseEnvFile(%q): want an error", bad)
		}
	}
}

func TestParseUnit(t *testing.T) {
	u, err := parseUnit("# c\n[Unit]\nAfter=a\n[Service]\nExecStart=/bin/x \\\n  --y=1\nF=a\nF=b\nG=a\nG=\n")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := u.last("Service", "ExecStart"); v != "/bin/x  --y=1" {
		t.Errorf("continued ExecStart = %q", v)
	}
	if got := u["Service"]["F"]; fmt.Sprint(got) != "[a b]" {
		t.Errorf("F = %v, want both values", got)
	}
	if _, ok := u.last("Service", "G"); ok {
		t.Error("an empty assignment must reset G")
	}
	for _, bad := range []string{"A=1\n", "[S\nA=1\n", "[S]\nnovalue\n"} {
		if _, err := parseUnit(bad); err == nil {
			t.Errorf("parseUnit(%q): want an error", bad)
		}
	}
}

func TestParseTimespan(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
	}{
		{"45s", 45 * time.Second}, {"90", 90 * time.Second}, {"1min 30s", 90 * time.Second},
		{"2m", 2 * time.Minute}, {"1h5min", 65 * time.Minute}, {"500ms", 500 * time.Millisecond},
	} {
		if got, err := parseTimespan(tc.in); err != nil || got != tc.want {
			t.Errorf("parseTimespan(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "infinity", "5 fortnights", "soon"} {
		if _, err := parseTimespan(bad); err == nil {
			t.Errorf("parseTimespan(%q): want an error", bad)
		}
	}
}

func TestParseCaddyfile(t *testing.T) {
	blocks, err := parseCaddyfile("{\n\tauto_https off\n}\n:80 {\n\treverse_proxy a:1 b:1 { # c\n\t\thealth_uri /readyz\n\t}\n}\n")
	if err != nil {
		t.Fatal(err)
	}
	rp := findCaddy(blocks, "reverse_proxy")
	if len(rp) != 1 || fmt.Sprint(rp[0].Args) != "[reverse_proxy a:1 b:1]" || caddyArg(rp[0], "health_uri") != "/readyz" {
		t.Errorf("reverse_proxy = %+v", rp)
	}
	for _, bad := range []string{"a {\n", "}\n", "a { b }\n", "a \"b c\"\n"} {
		if _, err := parseCaddyfile(bad); err == nil {
			t.Errorf("parseCaddyfile(%q): want an error", bad)
		}
	}
}

func TestParseDockerfile(t *testing.T) {
	stages := parseDockerfile("ARG V=1\nFROM a AS b\nRUN x \\\n  && y\nFROM c\nENV A=1 \\\n    B=2\nUSER 10\n")
	if len(stages) != 3 || len(stages[0]) != 1 || stages[1][1].Rest != "x  && y" || stages[2][2].Cmd != "USER" {
		t.Fatalf("stages = %+v", stages)
	}
	env, err := dockerEnv(stages[2][1].Rest)
	if err != nil || env["A"] != "1" || env["B"] != "2" {
		t.Errorf("ENV = %v, %v", env, err)
	}
}
