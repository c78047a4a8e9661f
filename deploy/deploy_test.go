package deploy_test

// TestDeployFiles checks the deployment files against the real ttrd: it builds cmd/ttrd, reads
// the flags from its -h output, and compares every flag, TTR_* name, port, probe path and stop
// timeout in docker-compose.yml, the Caddyfile, the Dockerfile, k8s/ and systemd/ with it. No
// container engine or cluster is needed (none ran these files).

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// deployFlags is every ttrd flag the files under deploy/ use, on a command line or as its
// TTR_* environment name. The test fails when a file uses a flag missing here, when an entry
// here is used nowhere, and when ttrd -h lacks an entry that is not in pendingFlags.
var deployFlags = []string{
	"http-addr", "internal-addr", "remote-addr", "data-dir", "database-url", "public-url",
	"node-name", "shutdown-delay", "log-format",
	// The cluster flags; see pendingFlags.
	"join", "gossip-addr", "cluster-name",
	// The internal listener off loopback needs its bearer token.
	"internal-token",
}

// pendingFlags are the entries of deployFlags that came with clustering. While ttrd -h
// does not list one, the checks that need it skip and name it; once it lands they run.
var pendingFlags = []string{"join", "gossip-addr", "cluster-name"}

// envOnly are TTR_* names ttrd reads from the environment only (no flag).
var envOnly = []string{"TTR_ENCRYPTION_KEYS", "TTR_SECRET_KEY"}

// secretEnv must reach ttrd from an env file or a Secret, never written into a compose
// service, a manifest or a unit (TTR_DATABASE_URL may be, when its password is a reference).
var secretEnv = []string{"TTR_ENCRYPTION_KEYS", "TTR_SECRET_KEY", "TTR_INTERNAL_TOKEN", "TTR_DATABASE_URL"}

// drainBudget bounds what ttrd does on SIGTERM after --shutdown-delay: drain in-flight HTTP
// (at most 20 s, cmd/ttrd Main.Shutdown), flush the batcher and actors, leave the cluster and
// close the store. Every stop timeout must exceed the shutdown delay plus this.
const drainBudget = 30 * time.Second

// cli is ttrd's command line as its -h prints it.
type cli struct {
	flags map[string]ttrdFlag
}

// has reports whether ttrd has the flag.
func (c cli) has(flag string) bool { _, ok := c.flags[flag]; return ok }

// isBool reports whether a flag takes no value (pending flags are taken to take one).
func (c cli) isBool(flag string) bool { return c.flags[flag].Bool }

// require skips the test while a pending flag is missing from ttrd and fails it for any other
// missing flag.
func (c cli) require(t *testing.T, flags ...string) {
	t.Helper()
	var pending []string
	for _, f := range flags {
		switch {
		case c.has(f):
		case slices.Contains(pendingFlags, f):
			pending = append(pending, "--"+f)
		default:
			t.Fatalf("ttrd has no --%s", f)
		}
	}
	if len(pending) > 0 {
		t.Skipf("skipped until ttrd has %s (cluster flags); runs once the flags land", strings.Join(pending, ", "))
	}
}

// buildTTRD builds cmd/ttrd into a temporary directory and reads its flags from -h.
func buildTTRD(t *testing.T) cli {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ttrd")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// -s -w: no symbol table or DWARF, which halves the link (the binary only prints -h).
	build := exec.CommandContext(ctx, "go", "build", "-ldflags=-s -w", "-o", bin, "./cmd/ttrd")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/ttrd: %v\n%s", err, out)
	}
	help := exec.CommandContext(ctx, bin, "-h")
	// No TTR_* from the caller's environment: ttrd applies them before it prints -h.
	help.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	out, err := help.CombinedOutput()
	flags := parseHelp(string(out))
	if len(flags) == 0 {
		t.Fatalf("ttrd -h (%v) printed no flags:\n%s", err, out)
	}
	return cli{flags: flags}
}

// Where an environment value comes from.
const (
	fromImage   = "the image (Dockerfile ENV)"
	fromEnvFile = "an env file"
	fromInline  = "inline"
	fromSecret  = "a Secret"
	fromField   = "the downward API"
)

type envValue struct {
	Value  string // literal value; empty for a reference
	Origin string
}

// nodeConfig is how one deployment starts ttrd: its command line and environment.
type nodeConfig struct {
	Where string              // e.g. "docker-compose.yml service node1"
	Args  map[string]string   // flags on the command line
	Env   map[string]envValue // environment, later layers already applied
}

// value is what ttrd sees for a flag: the command line wins over the environment, which wins
// over the default ttrd -h prints. A value that is a reference reads "<from …>".
func (n nodeConfig) value(c cli, flag string) string {
	if v, ok := n.Args[flag]; ok {
		return v
	}
	if e, ok := n.Env[envName(flag)]; ok {
		if e.Origin == fromSecret || e.Origin == fromField {
			return "<from " + e.Origin + ">"
		}
		return e.Value
	}
	return c.flags[flag].Default
}

// port is the port of a host:port flag.
func (n nodeConfig) port(t *testing.T, c cli, flag string) int {
	t.Helper()
	_, port := n.hostPort(t, c, flag)
	return port
}

func (n nodeConfig) hostPort(t *testing.T, c cli, flag string) (string, int) {
	t.Helper()
	v := n.value(c, flag)
	host, ps, err := net.SplitHostPort(v)
	p, perr := strconv.Atoi(ps)
	if err != nil || perr != nil || p <= 0 || p > 65535 {
		t.Fatalf("%s: --%s %q: want host:port with a fixed port", n.Where, flag, v)
	}
	return host, p
}

// duration is the value of a duration flag.
func (n nodeConfig) duration(t *testing.T, c cli, flag string) time.Duration {
	t.Helper()
	v := n.value(c, flag)
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s: --%s %q: %v", n.Where, flag, v, err)
	}
	return d
}

// joinList splits a --join value into host:port pairs.
func joinList(t *testing.T, where, v string) (hosts []string, ports []int) {
	t.Helper()
	for _, hp := range strings.Split(v, ",") {
		h, ps, err := net.SplitHostPort(strings.TrimSpace(hp))
		p, perr := strconv.Atoi(ps)
		if err != nil || perr != nil {
			t.Fatalf("%s: --join entry %q: want host:port", where, hp)
		}
		hosts = append(hosts, h)
		ports = append(ports, p)
	}
	return hosts, ports
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readEnvFile(t *testing.T, path string) map[string]string {
	t.Helper()
	env, err := parseEnvFile(readFile(t, path))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return env
}

// image is what the Dockerfile's final stage gives every container.
type image struct {
	GoVersion string
	User      string
	Env       map[string]string
	Expose    []string // "8080", "7946/udp"
	Runtime   string   // every RUN of the final stage, joined
}

func loadImage(t *testing.T) image {
	t.Helper()
	stages := parseDockerfile(readFile(t, "Dockerfile"))
	if len(stages) < 3 {
		t.Fatalf("Dockerfile: want a multi-stage build (build stage + runtime stage), got %d stages", len(stages)-1)
	}
	img := image{Env: map[string]string{}}
	for _, in := range stages[0] {
		if k, v, ok := strings.Cut(in.Rest, "="); in.Cmd == "ARG" && ok && k == "GO_VERSION" {
			img.GoVersion = v
		}
	}
	for _, in := range stages[len(stages)-1] {
		switch in.Cmd {
		case "USER":
			img.User = in.Rest
		case "ENV":
			env, err := dockerEnv(in.Rest)
			if err != nil {
				t.Fatalf("Dockerfile: %v", err)
			}
			for k, v := range env {
				img.Env[k] = v
			}
		case "EXPOSE":
			img.Expose = append(img.Expose, strings.Fields(in.Rest)...)
		case "RUN":
			img.Runtime += in.Rest + "\n"
		}
	}
	return img
}

func (img image) envLayer() map[string]envValue {
	env := map[string]envValue{}
	for k, v := range img.Env {
		env[k] = envValue{Value: v, Origin: fromImage}
	}
	return env
}

// --- docker-compose ----------------------------------------------------------------------

// stringList is a compose value written as a string or a list.
type stringList []string

func (s *stringList) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		*s = []string{n.Value}
		return nil
	}
	var l []string
	err := n.Decode(&l)
	*s = l
	return err
}

// composeEnv is a compose environment, as a map or a list of KEY=VALUE.
type composeEnv map[string]string

func (e *composeEnv) UnmarshalYAML(n *yaml.Node) error {
	*e = composeEnv{}
	if n.Kind == yaml.SequenceNode {
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		for _, kv := range l {
			k, v, _ := strings.Cut(kv, "=")
			(*e)[k] = v
		}
		return nil
	}
	var m map[string]*string
	if err := n.Decode(&m); err != nil {
		return err
	}
	for k, v := range m {
		if v != nil {
			(*e)[k] = *v
		} else {
			(*e)[k] = ""
		}
	}
	return nil
}

// composeDeps is depends_on, as a list or a map with conditions.
type composeDeps map[string]string // service → condition

func (d *composeDeps) UnmarshalYAML(n *yaml.Node) error {
	*d = composeDeps{}
	if n.Kind == yaml.SequenceNode {
		var l []string
		if err := n.Decode(&l); err != nil {
			return err
		}
		for _, s := range l {
			(*d)[s] = "service_started"
		}
		return nil
	}
	var m map[string]struct{ Condition string }
	if err := n.Decode(&m); err != nil {
		return err
	}
	for s, c := range m {
		(*d)[s] = c.Condition
	}
	return nil
}

type composeBuild struct {
	Context    string
	Dockerfile string
}

func (b *composeBuild) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		b.Context, b.Dockerfile = n.Value, "Dockerfile"
		return nil
	}
	type plain composeBuild
	return n.Decode((*plain)(b))
}

type composeService struct {
	Image       string
	Build       *composeBuild
	Hostname    string
	Command     stringList
	Entrypoint  stringList
	Environment composeEnv
	EnvFile     stringList `yaml:"env_file"`
	Healthcheck *struct {
		Test     stringList
		Interval string
		Timeout  string
	}
	DependsOn       composeDeps `yaml:"depends_on"`
	StopGracePeriod string      `yaml:"stop_grace_period"`
	Ports           []string
	Volumes         []string
}

type composeFile struct {
	Services map[string]composeService
	Volumes  map[string]any
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	var f composeFile
	if err := yaml.Unmarshal([]byte(readFile(t, "docker-compose.yml")), &f); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return f
}

// ttrdServices are the compose services built from deploy/Dockerfile, sorted by name.
func (f composeFile) ttrdServices() []string {
	var names []string
	for name, s := range f.Services {
		if s.Build != nil && filepath.Clean(filepath.Join(s.Build.Context, s.Build.Dockerfile)) == filepath.Clean("../deploy/Dockerfile") {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// composeNode is how compose starts ttrd in one service. Env files named ttr.env are read from
// their committed example (ttr.env.example).
func composeNode(t *testing.T, c cli, img image, name string, s composeService) nodeConfig {
	t.Helper()
	n := nodeConfig{Where: "docker-compose.yml service " + name, Env: img.envLayer()}
	for _, ef := range s.EnvFile {
		for k, v := range readEnvFile(t, ef+".example") {
			n.Env[k] = envValue{Value: v, Origin: fromEnvFile}
		}
	}
	for k, v := range s.Environment {
		n.Env[k] = envValue{Value: v, Origin: fromInline}
	}
	if len(s.Entrypoint) > 0 {
		t.Fatalf("%s: keep the image's entrypoint (ttrd); give flags in command", n.Where)
	}
	args, rest, err := parseArgs(s.Command, c.isBool)
	if err != nil || len(rest) > 0 {
		t.Fatalf("%s: command %q: %v (left over %q)", n.Where, s.Command, err, rest)
	}
	n.Args = args
	return n
}

// --- Kubernetes ---------------------------------------------------------------------------

// intOrString is a Kubernetes port or count: a number or a name.
type intOrString string

func (v *intOrString) UnmarshalYAML(n *yaml.Node) error { *v = intOrString(n.Value); return nil }

type labelSelector struct {
	MatchLabels map[string]string `yaml:"matchLabels"`
}

type keyRef struct {
	Name, Key string
}

type k8sEnvVar struct {
	Name      string
	Value     *string
	ValueFrom *struct {
		SecretKeyRef    *keyRef `yaml:"secretKeyRef"`
		ConfigMapKeyRef *keyRef `yaml:"configMapKeyRef"`
		FieldRef        *struct {
			FieldPath string `yaml:"fieldPath"`
		} `yaml:"fieldRef"`
		ResourceFieldRef any `yaml:"resourceFieldRef"`
	} `yaml:"valueFrom"`
}

type containerPort struct {
	Name          string
	ContainerPort int `yaml:"containerPort"`
	Protocol      string
}

type probe struct {
	HTTPGet *struct {
		Path string
		Port intOrString
	} `yaml:"httpGet"`
	PeriodSeconds    int `yaml:"periodSeconds"`
	FailureThreshold int `yaml:"failureThreshold"`
}

type container struct {
	Name           string
	Image          string
	Command        []string
	Args           []string
	Env            []k8sEnvVar
	EnvFrom        []any `yaml:"envFrom"`
	Ports          []containerPort
	ReadinessProbe *probe `yaml:"readinessProbe"`
	LivenessProbe  *probe `yaml:"livenessProbe"`
	StartupProbe   *probe `yaml:"startupProbe"`
	Resources      struct {
		Requests map[string]string
		Limits   map[string]string
	}
}

// resolve finds the container port a probe or Service names, by name or number, with protocol.
func (c container) resolve(p intOrString, protocol string) (containerPort, bool) {
	if protocol == "" {
		protocol = "TCP"
	}
	for _, cp := range c.Ports {
		proto := cp.Protocol
		if proto == "" {
			proto = "TCP"
		}
		if proto == protocol && (cp.Name == string(p) || strconv.Itoa(cp.ContainerPort) == string(p)) {
			return cp, true
		}
	}
	return containerPort{}, false
}

type statefulSet struct {
	Spec struct {
		ServiceName         string `yaml:"serviceName"`
		Replicas            *int
		PodManagementPolicy string `yaml:"podManagementPolicy"`
		Selector            labelSelector
		Template            struct {
			Metadata struct {
				Labels map[string]string
			}
			Spec struct {
				TerminationGracePeriodSeconds *int64 `yaml:"terminationGracePeriodSeconds"`
				Containers                    []container
			}
		}
	}
}

type servicePort struct {
	Name       string
	Port       int
	TargetPort intOrString `yaml:"targetPort"`
	Protocol   string
}

type service struct {
	Spec struct {
		ClusterIP                string `yaml:"clusterIP"`
		Type                     string
		PublishNotReadyAddresses bool `yaml:"publishNotReadyAddresses"`
		Selector                 map[string]string
		Ports                    []servicePort
	}
}

type pdb struct {
	Spec struct {
		MaxUnavailable *intOrString `yaml:"maxUnavailable"`
		MinAvailable   *intOrString `yaml:"minAvailable"`
		Selector       labelSelector
	}
}

type networkPolicy struct {
	Spec struct {
		PodSelector labelSelector `yaml:"podSelector"`
		Ingress     []struct {
			Ports []struct {
				Port     intOrString
				Protocol string
			}
		}
	}
}

type secret struct {
	Data       map[string]string
	StringData map[string]string `yaml:"stringData"`
}

// k8sObject is one document of a manifest.
type k8sObject struct {
	File     string
	Kind     string
	Name     string
	Metadata struct{ Name string }
	node     *yaml.Node
}

func (o k8sObject) decode(t *testing.T, v any) {
	t.Helper()
	if err := o.node.Decode(v); err != nil {
		t.Fatalf("%s: %s %s: %v", o.File, o.Kind, o.Name, err)
	}
}

func loadK8s(t *testing.T) []k8sObject {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("k8s", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no k8s/*.yaml (%v)", err)
	}
	var objs []k8sObject
	for _, file := range files {
		dec := yaml.NewDecoder(strings.NewReader(readFile(t, file)))
		for {
			var n yaml.Node
			if err := dec.Decode(&n); errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			var head struct {
				APIVersion string `yaml:"apiVersion"`
				Kind       string
				Metadata   struct{ Name string }
			}
			if err := n.Decode(&head); err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if head.APIVersion == "" || head.Kind == "" || (head.Metadata.Name == "" && head.Kind != "Kustomization") {
				t.Fatalf("%s: a document lacks apiVersion, kind or metadata.name", file)
			}
			objs = append(objs, k8sObject{File: file, Kind: head.Kind, Name: head.Metadata.Name, node: &n})
		}
	}
	return objs
}

func k8sOf(objs []k8sObject, kind string) []k8sObject {
	var out []k8sObject
	for _, o := range objs {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

// selects reports whether a selector picks pods with these labels.
func selects(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

var k8sVarRE = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// k8sNode is how the StatefulSet starts ttrd; $(VAR) references must name an env var defined
// before them (Kubernetes leaves others unexpanded).
func k8sNode(t *testing.T, c cli, img image, ctr container) nodeConfig {
	t.Helper()
	n := nodeConfig{Where: "k8s StatefulSet container " + ctr.Name, Env: img.envLayer()}
	if len(ctr.Command) > 0 && !strings.HasSuffix(ctr.Command[0], "/ttrd") {
		t.Fatalf("%s: command %q does not run ttrd", n.Where, ctr.Command)
	}
	if len(ctr.EnvFrom) > 0 {
		t.Fatalf("%s: name every variable in env (envFrom hides which TTR_* names reach ttrd)", n.Where)
	}
	defined := map[string]bool{}
	for _, e := range ctr.Env {
		switch {
		case e.Value != nil:
			for _, m := range k8sVarRE.FindAllStringSubmatch(*e.Value, -1) {
				if !defined[m[1]] {
					t.Errorf("%s: env %s uses $(%s) before it is defined", n.Where, e.Name, m[1])
				}
			}
			n.Env[e.Name] = envValue{Value: *e.Value, Origin: fromInline}
		case e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil:
			n.Env[e.Name] = envValue{Origin: fromSecret}
		case e.ValueFrom != nil:
			n.Env[e.Name] = envValue{Origin: fromField}
		default:
			t.Fatalf("%s: env %s has neither value nor valueFrom", n.Where, e.Name)
		}
		defined[e.Name] = true
	}
	for _, a := range ctr.Args {
		for _, m := range k8sVarRE.FindAllStringSubmatch(a, -1) {
			if !defined[m[1]] {
				t.Errorf("%s: arg %q uses $(%s), which env does not define", n.Where, a, m[1])
			}
		}
	}
	args, rest, err := parseArgs(ctr.Args, c.isBool)
	if err != nil || len(rest) > 0 {
		t.Fatalf("%s: args %q: %v (left over %q)", n.Where, ctr.Args, err, rest)
	}
	n.Args = args
	return n
}

// --- systemd ------------------------------------------------------------------------------

// systemdNode is how ttrd.service starts ttrd; /etc/ttr/ttr.env is read from the committed
// systemd/ttr.env.example.
func systemdNode(t *testing.T, c cli, u unit) nodeConfig {
	t.Helper()
	n := nodeConfig{Where: "systemd/ttrd.service", Env: map[string]envValue{}}
	for _, ef := range u["Service"]["EnvironmentFile"] {
		if strings.TrimPrefix(ef, "-") != "/etc/ttr/ttr.env" {
			t.Fatalf("%s: EnvironmentFile=%s: want /etc/ttr/ttr.env", n.Where, ef)
		}
		for k, v := range readEnvFile(t, filepath.Join("systemd", "ttr.env.example")) {
			n.Env[k] = envValue{Value: v, Origin: fromEnvFile}
		}
	}
	for _, e := range u["Service"]["Environment"] {
		for _, kv := range strings.Fields(e) {
			k, v, _ := strings.Cut(strings.Trim(kv, `"`), "=")
			n.Env[k] = envValue{Value: v, Origin: fromInline}
		}
	}
	start, ok := u.last("Service", "ExecStart")
	if !ok {
		t.Fatalf("%s: no ExecStart", n.Where)
	}
	toks := strings.Fields(strings.TrimLeft(start, "-@:+!"))
	if len(toks) == 0 || !strings.HasSuffix(toks[0], "/ttrd") {
		t.Fatalf("%s: ExecStart=%s does not run ttrd", n.Where, start)
	}
	args, rest, err := parseArgs(toks[1:], c.isBool)
	if err != nil || len(rest) > 0 {
		t.Fatalf("%s: ExecStart flags: %v (left over %q)", n.Where, err, rest)
	}
	n.Args = args
	return n
}

func loadUnit(t *testing.T) unit {
	t.Helper()
	u, err := parseUnit(readFile(t, filepath.Join("systemd", "ttrd.service")))
	if err != nil {
		t.Fatalf("systemd/ttrd.service: %v", err)
	}
	return u
}

// --- the test -----------------------------------------------------------------------------

func TestDeployFiles(t *testing.T) {
	c := buildTTRD(t)
	img := loadImage(t)
	compose := loadCompose(t)
	objs := loadK8s(t)
	u := loadUnit(t)

	var nodes []nodeConfig
	for _, name := range compose.ttrdServices() {
		nodes = append(nodes, composeNode(t, c, img, name, compose.Services[name]))
	}
	var sts statefulSet
	if s := k8sOf(objs, "StatefulSet"); len(s) != 1 {
		t.Fatalf("k8s: want one StatefulSet, got %d", len(s))
	} else {
		s[0].decode(t, &sts)
	}
	if len(sts.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("k8s StatefulSet: want one container, got %d", len(sts.Spec.Template.Spec.Containers))
	}
	ctr := sts.Spec.Template.Spec.Containers[0]
	k8s := k8sNode(t, c, img, ctr)
	sd := systemdNode(t, c, u)
	nodes = append(nodes, k8s, sd, nodeConfig{Where: "Dockerfile", Env: img.envLayer()})

	t.Run("flags exist", func(t *testing.T) { checkFlagsExist(t, c, nodes) })
	t.Run("cluster flags landed", func(t *testing.T) { c.require(t, pendingFlags...) })
	t.Run("secrets", func(t *testing.T) { checkSecrets(t, nodes[:len(nodes)-1]) })
	t.Run("image", func(t *testing.T) { checkImage(t, c, img, nodes[0]) })
	t.Run("compose", func(t *testing.T) { checkCompose(t, c, compose, nodes[:len(compose.ttrdServices())]) })
	t.Run("caddy", func(t *testing.T) { checkCaddy(t, c, compose, nodes[:len(compose.ttrdServices())]) })
	t.Run("k8s", func(t *testing.T) { checkK8s(t, c, objs, sts, ctr, k8s) })
	t.Run("systemd", func(t *testing.T) { checkSystemd(t, c, u, sd) })
}

// checkFlagsExist: every flag and TTR_* name a file uses is one ttrd has (or one of
// pendingFlags), and deployFlags lists exactly the flags used.
func checkFlagsExist(t *testing.T, c cli, nodes []nodeConfig) {
	used := map[string][]string{} // flag → where
	for _, n := range nodes {
		for f := range n.Args {
			used[f] = append(used[f], n.Where+" --"+f)
		}
		for k := range n.Env {
			if !strings.HasPrefix(k, "TTR_") || slices.Contains(envOnly, k) {
				continue
			}
			used[flagName(k)] = append(used[flagName(k)], n.Where+" "+k)
		}
	}
	var missing []string
	for f, where := range used {
		switch {
		case !slices.Contains(deployFlags, f):
			t.Errorf("--%s (%s) is not in deployFlags: add it there (and make sure ttrd has it)", f, where[0])
		case c.has(f):
		case slices.Contains(pendingFlags, f):
			missing = append(missing, "--"+f)
		default:
			t.Errorf("%s: ttrd has no flag --%s (ttrd -h)", where[0], f)
		}
	}
	for _, f := range deployFlags {
		if _, ok := used[f]; !ok {
			t.Errorf("deployFlags lists --%s, which no file uses: drop it", f)
		}
	}
	for _, f := range pendingFlags {
		if !slices.Contains(deployFlags, f) {
			t.Errorf("pendingFlags lists --%s, which deployFlags does not", f)
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		t.Logf("not checked yet, ttrd does not have them (cluster flags): %s", strings.Join(missing, ", "))
	}
}

// isReference reports whether a secret value in a file is a placeholder or points elsewhere
// (never a real or default key).
func isReference(v string) bool {
	v = strings.Trim(strings.TrimSpace(v), `"'`)
	return v == "" || strings.Contains(v, "CHANGE_ME") || strings.Contains(v, "${") ||
		strings.Contains(v, "$(") || (strings.HasPrefix(v, "<") && strings.HasSuffix(v, ">"))
}

var (
	secretAssignRE = regexp.MustCompile(`(?:^|[\s"'=])(TTR_ENCRYPTION_KEYS|TTR_SECRET_KEY|TTR_SECRET_KEY_PREVIOUS|TTR_GOSSIP_KEY|TTR_INTERNAL_TOKEN|POSTGRES_PASSWORD)["']?\s*[=:][ \t]*(\S*)`)
	urlPasswordRE  = regexp.MustCompile(`postgres(?:ql)?://[^:@/\s]+:(\$\{[^}]*\}|[^@\s]+)@`)
	base64BlobRE   = regexp.MustCompile(`[A-Za-z0-9+/]{40,}={0,2}`)
)

// checkSecrets: the secrets reach ttrd only from env files or Secrets; no file under deploy/
// holds a secret value, only placeholders and references.
func checkSecrets(t *testing.T, nodes []nodeConfig) {
	for _, n := range nodes {
		for _, name := range secretEnv {
			e, ok := n.Env[name]
			switch {
			case !ok:
				t.Errorf("%s: %s is not provided", n.Where, name)
			case e.Origin == fromEnvFile || e.Origin == fromSecret:
			case name == "TTR_DATABASE_URL" && e.Origin == fromInline && urlPasswordRE.MatchString(e.Value) &&
				strings.HasPrefix(urlPasswordRE.FindStringSubmatch(e.Value)[1], "${"):
			default:
				t.Errorf("%s: %s comes from %s: give it through an env file or a Secret", n.Where, name, e.Origin)
			}
		}
		for _, f := range []string{"gossip-key", "internal-token"} {
			if _, ok := n.Args[f]; ok {
				t.Errorf("%s: --%s on the command line shows in ps: use %s from an env file or Secret", n.Where, f, envName(f))
			}
		}
	}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if strings.HasSuffix(path, ".go") {
			return nil
		}
		if strings.HasSuffix(path, ".env") {
			t.Logf("%s: not scanned (a filled-in, git-ignored secret file)", path)
			return nil
		}
		for i, line := range strings.Split(readFile(t, path), "\n") {
			if m := secretAssignRE.FindStringSubmatch(line); m != nil && !isReference(m[2]) {
				t.Errorf("%s:%d: %s has a value %q: only placeholders (CHANGE_ME) or references belong here", path, i+1, m[1], m[2])
			}
			for _, m := range urlPasswordRE.FindAllStringSubmatch(line, -1) {
				if !isReference(m[1]) {
					t.Errorf("%s:%d: a database URL holds the password %q: use a placeholder or a reference", path, i+1, m[1])
				}
			}
			for _, blob := range base64BlobRE.FindAllString(line, -1) {
				if b, err := base64.StdEncoding.DecodeString(blob); err == nil && len(b) >= 30 {
					t.Errorf("%s:%d: %q looks like a real key", path, i+1, blob)
				}
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"ttr.env.example", filepath.Join("systemd", "ttr.env.example")} {
		src := readFile(t, f)
		if !strings.Contains(src, "openssl rand -base64 32") {
			t.Errorf("%s: say how to generate the keys (openssl rand -base64 32)", f)
		}
		env := readEnvFile(t, f)
		for _, name := range []string{"TTR_ENCRYPTION_KEYS", "TTR_SECRET_KEY", "TTR_INTERNAL_TOKEN"} {
			if v, ok := env[name]; !ok || !isReference(v) {
				t.Errorf("%s: want %s with a CHANGE_ME placeholder, got %q", f, name, v)
			}
		}
	}
}

// checkImage: the runtime stage runs as a non-root user, exposes the ports the deployments
// give ttrd, and installs what the compose health check runs; Go is not older than go.mod's.
func checkImage(t *testing.T, c cli, img image, n nodeConfig) {
	if img.User == "" || img.User == "root" || strings.HasPrefix(img.User, "0") {
		t.Errorf("Dockerfile: the runtime stage must set a non-root USER, got %q", img.User)
	}
	gomod := readFile(t, filepath.Join("..", "go.mod"))
	m := regexp.MustCompile(`(?m)^go (\S+)`).FindStringSubmatch(gomod)
	if m == nil || img.GoVersion == "" || versionLess(img.GoVersion, m[1]) {
		t.Errorf("Dockerfile: ARG GO_VERSION=%s, want at least go.mod's go %v", img.GoVersion, m)
	}
	expose := func(port int, proto string) {
		t.Helper()
		p := strconv.Itoa(port)
		if proto != "tcp" {
			p += "/" + proto
		}
		if !slices.Contains(img.Expose, p) && !(proto == "tcp" && slices.Contains(img.Expose, p+"/tcp")) {
			t.Errorf("Dockerfile: EXPOSE lacks %s", p)
		}
	}
	for _, f := range []string{"http-addr", "internal-addr", "remote-addr"} {
		expose(n.port(t, c, f), "tcp")
	}
	if c.has("gossip-addr") {
		expose(n.port(t, c, "gossip-addr"), "tcp")
		expose(n.port(t, c, "gossip-addr"), "udp")
	} else if !slices.Contains(img.Expose, "7946/udp") {
		t.Errorf("Dockerfile: EXPOSE lacks the gossip port 7946/udp")
	}
}

// versionLess compares dotted versions numerically.
func versionLess(a, b string) bool {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(as), len(bs)); i++ {
		var x, y int
		if i < len(as) {
			x, _ = strconv.Atoi(as[i])
		}
		if i < len(bs) {
			y, _ = strconv.Atoi(bs[i])
		}
		if x != y {
			return x < y
		}
	}
	return false
}

// loopback reports whether a listen host only accepts local connections.
func loopback(host string) bool {
	ip := net.ParseIP(host)
	return host == "localhost" || (ip != nil && ip.IsLoopback())
}

// wildcard reports whether a listen host is "every interface" (not an address peers can dial).
func wildcard(host string) bool {
	ip := net.ParseIP(host)
	return host == "" || (ip != nil && ip.IsUnspecified())
}

// checkCompose: three nodes from one image with distinct names, each joining the two others on
// their gossip port, reachable HTTP, a /readyz health check on the HTTP port, PostgreSQL
// healthy first, and a stop grace period longer than shutdown delay + drain.
func checkCompose(t *testing.T, c cli, f composeFile, nodes []nodeConfig) {
	names := f.ttrdServices()
	if len(names) != 3 {
		t.Fatalf("docker-compose.yml: want 3 services built from deploy/Dockerfile, got %v", names)
	}
	pg, ok := f.Services["postgres"]
	if !ok || !strings.HasPrefix(pg.Image, "postgres:15") {
		t.Fatalf("docker-compose.yml: want a postgres service on image postgres:15, got %q", pg.Image)
	}
	if pg.Healthcheck == nil || !strings.Contains(strings.Join(pg.Healthcheck.Test, " "), "pg_isready") {
		t.Error("postgres: health check must run pg_isready")
	}
	if !slices.ContainsFunc(pg.Volumes, func(v string) bool {
		vol, target, _ := strings.Cut(v, ":")
		_, declared := f.Volumes[vol]
		return declared && target == "/var/lib/postgresql/data"
	}) {
		t.Error("postgres: want a named volume on /var/lib/postgresql/data")
	}
	if !isReference(pg.Environment["POSTGRES_PASSWORD"]) {
		t.Error("postgres: POSTGRES_PASSWORD must be a ${…} reference to the env file")
	}

	nodeNames := map[string]string{}
	image := ""
	for i, name := range names {
		s, n := f.Services[name], nodes[i]
		if image == "" {
			image = s.Image
		} else if s.Image != image {
			t.Errorf("%s: image %q, want the same image as the others (%q)", n.Where, s.Image, image)
		}
		if !slices.Contains(s.EnvFile, "ttr.env") {
			t.Errorf("%s: want env_file ttr.env (the secrets)", n.Where)
		}
		if s.DependsOn["postgres"] != "service_healthy" {
			t.Errorf("%s: want depends_on postgres with condition service_healthy", n.Where)
		}
		nodeName := n.value(c, "node-name")
		if nodeName == "" || nodeNames[nodeName] != "" {
			t.Errorf("%s: node name %q must be set and distinct (also used by %s)", n.Where, nodeName, nodeNames[nodeName])
		}
		nodeNames[nodeName] = name

		host, httpPort := n.hostPort(t, c, "http-addr")
		if loopback(host) {
			t.Errorf("%s: --http-addr %s is loopback: Caddy and the health check cannot reach it", n.Where, n.value(c, "http-addr"))
		}
		if s.Healthcheck == nil {
			t.Errorf("%s: no health check", n.Where)
		} else {
			checkHealthURL(t, n.Where, s.Healthcheck.Test, httpPort)
		}

		rhost, rport := n.hostPort(t, c, "remote-addr")
		if rhost != name && rhost != s.Hostname {
			t.Errorf("%s: --remote-addr host %q: want the service name %q, which peers can dial", n.Where, rhost, name)
		}
		if _, p0 := nodes[0].hostPort(t, c, "remote-addr"); rport != p0 {
			t.Errorf("%s: remote port %d differs from %s's %d", n.Where, rport, names[0], p0)
		}

		delay := n.duration(t, c, "shutdown-delay")
		grace, err := time.ParseDuration(s.StopGracePeriod)
		switch {
		case delay <= 0:
			t.Errorf("%s: set --shutdown-delay so Caddy stops sending before the listener closes", n.Where)
		case err != nil:
			t.Errorf("%s: stop_grace_period %q: %v (the default 10 s is too short)", n.Where, s.StopGracePeriod, err)
		case grace <= delay+drainBudget:
			t.Errorf("%s: stop_grace_period %v, want more than shutdown delay %v + drain %v", n.Where, grace, delay, drainBudget)
		}
		if u := n.value(c, "database-url"); !strings.Contains(u, "@postgres:") {
			t.Errorf("%s: --database-url %q does not point at the postgres service", n.Where, u)
		}
	}

	t.Run("join", func(t *testing.T) {
		c.require(t, "join", "gossip-addr")
		for i, name := range names {
			n := nodes[i]
			hosts, ports := joinList(t, n.Where, n.value(c, "join"))
			others := slices.DeleteFunc(slices.Clone(names), func(s string) bool { return s == name })
			slices.Sort(hosts)
			if !slices.Equal(hosts, others) {
				t.Errorf("%s: --join hosts %v, want the other nodes %v", n.Where, hosts, others)
			}
			for j, p := range ports {
				if peer := slices.Index(names, hosts[j]); peer >= 0 && p != nodes[peer].port(t, c, "gossip-addr") {
					t.Errorf("%s: --join port %d of %s is not its --gossip-addr port", n.Where, p, hosts[j])
				}
			}
		}
	})
	t.Run("cluster name", func(t *testing.T) {
		c.require(t, "cluster-name")
		for _, n := range nodes {
			if v := n.value(c, "cluster-name"); v != nodes[0].value(c, "cluster-name") || v == "" {
				t.Errorf("%s: --cluster-name %q: want one non-empty name on every node", n.Where, v)
			}
		}
	})
}

// checkHealthURL: a compose health check fetches /readyz on the node's own HTTP port.
func checkHealthURL(t *testing.T, where string, test []string, httpPort int) {
	t.Helper()
	if len(test) < 2 || (test[0] != "CMD" && test[0] != "CMD-SHELL") {
		t.Errorf("%s: health check %q: want [CMD, …]", where, test)
		return
	}
	var url string
	for _, tok := range test[1:] {
		if strings.HasPrefix(tok, "http://") {
			url = tok
		}
	}
	want := "http://127.0.0.1:" + strconv.Itoa(httpPort) + "/readyz"
	if url != want {
		t.Errorf("%s: health check fetches %q, want %q", where, url, want)
	}
}

// checkCaddy: Caddy balances over exactly the three nodes' HTTP ports, with active health checks
// on /readyz, and the delay before a node stops listening outlasts one failed check.
func checkCaddy(t *testing.T, c cli, f composeFile, nodes []nodeConfig) {
	names := f.ttrdServices()
	cd, ok := f.Services["caddy"]
	if !ok || !strings.HasPrefix(cd.Image, "caddy:") {
		t.Fatalf("docker-compose.yml: want a caddy service on a caddy image")
	}
	if !slices.Contains(cd.Volumes, "./Caddyfile:/etc/caddy/Caddyfile:ro") {
		t.Errorf("caddy: want ./Caddyfile mounted read-only at /etc/caddy/Caddyfile, got %v", cd.Volumes)
	}
	for _, name := range names {
		if cond := cd.DependsOn[name]; cond != "service_healthy" {
			t.Errorf("caddy: depends_on %s condition %q, want service_healthy", name, cond)
		}
	}
	blocks, err := parseCaddyfile(readFile(t, "Caddyfile"))
	if err != nil {
		t.Fatalf("Caddyfile: %v", err)
	}
	rps := findCaddy(blocks, "reverse_proxy")
	if len(rps) != 1 {
		t.Fatalf("Caddyfile: want one reverse_proxy, got %d", len(rps))
	}
	rp := rps[0]
	var want []string
	for i, name := range names {
		want = append(want, name+":"+strconv.Itoa(nodes[i].port(t, c, "http-addr")))
	}
	got := slices.Sorted(slices.Values(rp.Args[1:]))
	if !slices.Equal(got, want) {
		t.Errorf("Caddyfile: upstreams %v, want the nodes' HTTP addresses %v", got, want)
	}
	if uri := caddyArg(rp, "health_uri"); uri != "/readyz" {
		t.Errorf("Caddyfile: health_uri %q, want /readyz", uri)
	}
	if hp := caddyArg(rp, "health_port"); hp != "" && hp != strconv.Itoa(nodes[0].port(t, c, "http-addr")) {
		t.Errorf("Caddyfile: health_port %s is not the nodes' HTTP port", hp)
	}
	interval, err1 := time.ParseDuration(caddyArg(rp, "health_interval"))
	timeout, err2 := time.ParseDuration(caddyArg(rp, "health_timeout"))
	if err1 != nil || err2 != nil {
		t.Errorf("Caddyfile: set health_interval and health_timeout (%v, %v)", err1, err2)
	}
	for _, n := range nodes {
		if d := n.duration(t, c, "shutdown-delay"); d <= interval+timeout {
			t.Errorf("%s: --shutdown-delay %v must exceed Caddy's health_interval + health_timeout (%v)", n.Where, d, interval+timeout)
		}
	}
	// The published port reaches the site address Caddy listens on.
	sites := 0
	for _, b := range blocks {
		if len(b.Args) == 1 && strings.HasPrefix(b.Args[0], ":") {
			sites++
			if !slices.ContainsFunc(cd.Ports, func(p string) bool { return strings.HasSuffix(p, b.Args[0]) }) {
				t.Errorf("caddy: ports %v do not publish the site port %s", cd.Ports, b.Args[0])
			}
		}
	}
	if sites == 0 {
		t.Error("Caddyfile: want a site block on a port (e.g. :80)")
	}
}

// checkK8s: the StatefulSet, its Services, probes, PDB, NetworkPolicy and Secret agree with each
// other and with ttrd's flags.
func checkK8s(t *testing.T, c cli, objs []k8sObject, sts statefulSet, ctr container, n nodeConfig) {
	podLabels := sts.Spec.Template.Metadata.Labels
	replicas := 0
	if sts.Spec.Replicas != nil {
		replicas = *sts.Spec.Replicas
	}
	if replicas != 3 {
		t.Errorf("StatefulSet: replicas %d, want 3", replicas)
	}
	if sts.Spec.PodManagementPolicy != "Parallel" {
		t.Errorf("StatefulSet: podManagementPolicy %q, want Parallel", sts.Spec.PodManagementPolicy)
	}
	if !selects(sts.Spec.Selector.MatchLabels, podLabels) {
		t.Error("StatefulSet: selector does not match the pod labels")
	}

	// Ports the flags give ttrd, and the container ports that must carry them.
	httpPort, internalPort, remotePort := n.port(t, c, "http-addr"), n.port(t, c, "internal-addr"), n.port(t, c, "remote-addr")
	portOf := func(name, proto string) int {
		cp, ok := ctr.resolve(intOrString(name), proto)
		if !ok {
			t.Fatalf("%s: no %s container port named %q", n.Where, proto, name)
		}
		return cp.ContainerPort
	}
	for _, p := range []struct {
		name string
		want int
		flag string
	}{{"http", httpPort, "http-addr"}, {"internal", internalPort, "internal-addr"}, {"remote", remotePort, "remote-addr"}} {
		if got := portOf(p.name, "TCP"); got != p.want {
			t.Errorf("%s: container port %s is %d, --%s says %d", n.Where, p.name, got, p.flag, p.want)
		}
	}
	if host, _ := n.hostPort(t, c, "remote-addr"); wildcard(host) || loopback(host) {
		t.Errorf("%s: --remote-addr host %q: peers must be able to dial it (use $(POD_IP))", n.Where, host)
	}
	if host, _ := n.hostPort(t, c, "http-addr"); loopback(host) {
		t.Errorf("%s: --http-addr host %q is loopback: probes and Services cannot reach it", n.Where, host)
	}

	probes := []struct {
		name string
		p    *probe
		path string
	}{{"readinessProbe", ctr.ReadinessProbe, "/readyz"}, {"livenessProbe", ctr.LivenessProbe, "/healthz"}, {"startupProbe", ctr.StartupProbe, "/healthz"}}
	for _, pr := range probes {
		if pr.p == nil {
			if pr.name != "startupProbe" {
				t.Errorf("%s: no %s", n.Where, pr.name)
			}
			continue
		}
		if pr.p.HTTPGet == nil || pr.p.HTTPGet.Path != pr.path {
			t.Errorf("%s: %s must GET %s", n.Where, pr.name, pr.path)
			continue
		}
		if cp, ok := ctr.resolve(pr.p.HTTPGet.Port, "TCP"); !ok || cp.ContainerPort != httpPort {
			t.Errorf("%s: %s port %q is not the HTTP port %d", n.Where, pr.name, pr.p.HTTPGet.Port, httpPort)
		}
	}

	delay := n.duration(t, c, "shutdown-delay")
	if delay <= 0 {
		t.Errorf("%s: set --shutdown-delay so endpoint removal propagates before the listener closes", n.Where)
	}
	grace := time.Duration(0)
	if g := sts.Spec.Template.Spec.TerminationGracePeriodSeconds; g != nil {
		grace = time.Duration(*g) * time.Second
	}
	if grace <= delay+drainBudget {
		t.Errorf("StatefulSet: terminationGracePeriodSeconds %v, want more than shutdown delay %v + drain %v", grace, delay, drainBudget)
	}
	for _, r := range []string{"cpu", "memory"} {
		if ctr.Resources.Requests[r] == "" || ctr.Resources.Limits[r] == "" {
			t.Errorf("%s: want a %s request and limit", n.Where, r)
		}
	}

	// Services.
	services := map[string]service{}
	for _, o := range k8sOf(objs, "Service") {
		var s service
		o.decode(t, &s)
		services[o.Name] = s
		if !selects(s.Spec.Selector, podLabels) {
			t.Errorf("Service %s: selector does not match the ttrd pods", o.Name)
		}
		for _, sp := range s.Spec.Ports {
			target := sp.TargetPort
			if target == "" {
				target = intOrString(strconv.Itoa(sp.Port))
			}
			if _, ok := ctr.resolve(target, sp.Protocol); !ok {
				t.Errorf("Service %s: port %s targets %q/%s, which the container does not have", o.Name, sp.Name, target, sp.Protocol)
			}
		}
	}
	servicePorts := func(s service) map[string]bool {
		m := map[string]bool{}
		for _, sp := range s.Spec.Ports {
			target := sp.TargetPort
			if target == "" {
				target = intOrString(strconv.Itoa(sp.Port))
			}
			if cp, ok := ctr.resolve(target, sp.Protocol); ok {
				proto := cp.Protocol
				if proto == "" {
					proto = "TCP"
				}
				m[strconv.Itoa(cp.ContainerPort)+"/"+proto] = true
			}
		}
		return m
	}
	headless, ok := services[sts.Spec.ServiceName]
	if !ok {
		t.Fatalf("StatefulSet: serviceName %q is not a Service here", sts.Spec.ServiceName)
	}
	if headless.Spec.ClusterIP != "None" || !headless.Spec.PublishNotReadyAddresses {
		t.Errorf("Service %s: want clusterIP None and publishNotReadyAddresses (peers join before they are ready)", sts.Spec.ServiceName)
	}
	if !servicePorts(headless)[strconv.Itoa(remotePort)+"/TCP"] {
		t.Errorf("Service %s: no port for --remote-addr's %d", sts.Spec.ServiceName, remotePort)
	}
	public := 0
	for name, s := range services {
		if name != sts.Spec.ServiceName && s.Spec.ClusterIP != "None" {
			public++
			if !servicePorts(s)[strconv.Itoa(httpPort)+"/TCP"] {
				t.Errorf("Service %s: does not target the HTTP port %d", name, httpPort)
			}
		}
	}
	if public != 1 {
		t.Errorf("want one ClusterIP Service for HTTP, got %d", public)
	}

	// PodDisruptionBudget.
	pdbs := k8sOf(objs, "PodDisruptionBudget")
	if len(pdbs) != 1 {
		t.Errorf("want one PodDisruptionBudget, got %d", len(pdbs))
	}
	for _, o := range pdbs {
		var p pdb
		o.decode(t, &p)
		if p.Spec.MaxUnavailable == nil || *p.Spec.MaxUnavailable != "1" || p.Spec.MinAvailable != nil {
			t.Errorf("PodDisruptionBudget %s: want maxUnavailable 1 (and no minAvailable)", o.Name)
		}
		if !selects(p.Spec.Selector.MatchLabels, podLabels) {
			t.Errorf("PodDisruptionBudget %s: selector does not match the ttrd pods", o.Name)
		}
	}

	// NetworkPolicy ports exist on the container.
	for _, o := range k8sOf(objs, "NetworkPolicy") {
		var np networkPolicy
		o.decode(t, &np)
		if !selects(np.Spec.PodSelector.MatchLabels, podLabels) {
			t.Errorf("NetworkPolicy %s: podSelector does not match the ttrd pods", o.Name)
		}
		for _, in := range np.Spec.Ingress {
			for _, p := range in.Ports {
				if _, ok := ctr.resolve(p.Port, p.Protocol); !ok {
					t.Errorf("NetworkPolicy %s: port %q/%s is not a container port", o.Name, p.Port, p.Protocol)
				}
			}
		}
	}

	// Secrets: every secretKeyRef names a key of the example Secret, whose values are placeholders.
	secrets := map[string]secret{}
	for _, o := range k8sOf(objs, "Secret") {
		var s secret
		o.decode(t, &s)
		secrets[o.Name] = s
		if len(s.Data) > 0 {
			t.Errorf("Secret %s: use stringData with CHANGE_ME placeholders, not data", o.Name)
		}
		for k, v := range s.StringData {
			if !isReference(v) && !strings.Contains(v, "CHANGE_ME") {
				t.Errorf("Secret %s: %s is not a placeholder", o.Name, k)
			}
		}
	}
	for _, e := range ctr.Env {
		if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil {
			continue
		}
		ref := e.ValueFrom.SecretKeyRef
		if s, ok := secrets[ref.Name]; !ok {
			t.Errorf("%s: env %s refers to Secret %q, which no example here defines", n.Where, e.Name, ref.Name)
		} else if _, ok := s.StringData[ref.Key]; !ok {
			t.Errorf("%s: env %s refers to key %s, which Secret %s lacks", n.Where, e.Name, ref.Key, ref.Name)
		}
	}

	// kustomization.yaml lists every manifest except the Secret example, and only files that exist.
	for _, o := range k8sOf(objs, "Kustomization") {
		var k struct{ Resources []string }
		o.decode(t, &k)
		for _, r := range k.Resources {
			if _, err := os.Stat(filepath.Join("k8s", r)); err != nil {
				t.Errorf("%s: resource %s: %v", o.File, r, err)
			}
		}
		for _, o2 := range objs {
			base := filepath.Base(o2.File)
			if o2.Kind != "Kustomization" && !strings.HasSuffix(base, ".example.yaml") && !slices.Contains(k.Resources, base) {
				t.Errorf("%s: does not list %s", o.File, base)
			}
			if strings.HasSuffix(base, ".example.yaml") && slices.Contains(k.Resources, base) {
				t.Errorf("%s: lists the placeholder %s (create the real Secret instead)", o.File, base)
			}
		}
	}

	t.Run("gossip ports", func(t *testing.T) {
		c.require(t, "gossip-addr")
		gossipPort := n.port(t, c, "gossip-addr")
		for _, proto := range []string{"TCP", "UDP"} {
			found := false
			for _, cp := range ctr.Ports {
				p := cp.Protocol
				if p == "" {
					p = "TCP"
				}
				found = found || (p == proto && cp.ContainerPort == gossipPort)
			}
			if !found {
				t.Errorf("%s: no %s container port %d for --gossip-addr", n.Where, proto, gossipPort)
			}
			if !servicePorts(headless)[strconv.Itoa(gossipPort)+"/"+proto] {
				t.Errorf("Service %s: no %s port for --gossip-addr's %d", sts.Spec.ServiceName, proto, gossipPort)
			}
		}
	})
	t.Run("join", func(t *testing.T) {
		c.require(t, "join", "gossip-addr")
		gossipPort := n.port(t, c, "gossip-addr")
		hosts, ports := joinList(t, n.Where, n.value(c, "join"))
		var want []string
		for i := range replicas {
			want = append(want, fmt.Sprintf("%s-%d.%s", stsName(objs), i, sts.Spec.ServiceName))
		}
		for i, h := range hosts {
			// Accept ttrd-0.ttrd-peers and its longer forms (….ns.svc.cluster.local).
			if parts := strings.Split(h, "."); len(parts) > 2 {
				hosts[i] = parts[0] + "." + parts[1]
			}
			if ports[i] != gossipPort {
				t.Errorf("%s: --join entry %s port %d, want the gossip port %d", n.Where, h, ports[i], gossipPort)
			}
		}
		slices.Sort(hosts)
		if !slices.Equal(hosts, want) {
			t.Errorf("%s: --join hosts %v, want every pod through the headless Service %v", n.Where, hosts, want)
		}
	})
}

func stsName(objs []k8sObject) string { return k8sOf(objs, "StatefulSet")[0].Name }

// checkSystemd: a hardened unit that runs ttrd unprivileged with its state directory, its
// environment file, and a stop timeout longer than shutdown delay + drain.
func checkSystemd(t *testing.T, c cli, u unit, n nodeConfig) {
	want := map[string]string{
		"ProtectSystem":   "strict",
		"Restart":         "on-failure",
		"KillSignal":      "SIGTERM",
		"NoNewPrivileges": "yes",
		"StateDirectory":  "ttr",
	}
	for k, w := range want {
		if v, _ := u.last("Service", k); v != w {
			t.Errorf("%s: %s=%q, want %q", n.Where, k, v, w)
		}
	}
	dyn, _ := u.last("Service", "DynamicUser")
	user, _ := u.last("Service", "User")
	if dyn != "yes" && (user == "" || user == "root") {
		t.Errorf("%s: run as DynamicUser=yes or a dedicated User", n.Where)
	}
	if dd := n.value(c, "data-dir"); dd != "/var/lib/ttr" {
		t.Errorf("%s: --data-dir %q, want /var/lib/ttr (StateDirectory=ttr)", n.Where, dd)
	}
	if len(u["Service"]["EnvironmentFile"]) == 0 {
		t.Errorf("%s: want EnvironmentFile=/etc/ttr/ttr.env", n.Where)
	}
	delay := n.duration(t, c, "shutdown-delay")
	ts, _ := u.last("Service", "TimeoutStopSec")
	stop, err := parseTimespan(ts)
	switch {
	case delay <= 0:
		t.Errorf("%s: set --shutdown-delay so the load balancer stops sending before the listener closes", n.Where)
	case err != nil:
		t.Errorf("%s: TimeoutStopSec: %v", n.Where, err)
	case stop <= delay+drainBudget:
		t.Errorf("%s: TimeoutStopSec=%s, want more than shutdown delay %v + drain %v", n.Where, ts, delay, drainBudget)
	}
	for _, flag := range []string{"http-addr", "internal-addr", "remote-addr"} {
		n.port(t, c, flag) // a fixed host:port
	}
	t.Run("join", func(t *testing.T) {
		c.require(t, "join", "gossip-addr")
		_, gossipPort := n.hostPort(t, c, "gossip-addr")
		hosts, ports := joinList(t, n.Where, n.value(c, "join"))
		self, _ := n.hostPort(t, c, "gossip-addr")
		for i, p := range ports {
			if p != gossipPort {
				t.Errorf("%s: --join entry %s port %d, want the gossip port %d", n.Where, hosts[i], p, gossipPort)
			}
		}
		if wildcard(self) || slices.Contains(hosts, self) {
			t.Errorf("%s: --gossip-addr host %q must be this host's address and --join the others", n.Where, self)
		}
	})
}
