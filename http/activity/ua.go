package activity

import "strings"

// families are matched in order against the lower-cased user agent: the first substring
// found names it. Browsers come after the tools whose agents mention them, and Edge and
// Chrome before Safari (their agents say Safari too).
var families = []struct{ sub, name string }{
	{"curl/", "curl"},
	{"wget/", "wget"},
	{"python-requests", "python-requests"},
	{"python-urllib", "python"},
	{"aiohttp", "python"},
	{"httpx", "python"},
	{"go-http-client", "Go"},
	{"node-fetch", "Node.js"},
	{"axios", "Node.js"},
	{"undici", "Node.js"},
	{"okhttp", "okhttp"},
	{"java/", "Java"},
	{"apache-httpclient", "Java"},
	{"powershell", "PowerShell"},
	{"ruby", "Ruby"},
	{"terraform", "Terraform"},
	{"headlesschrome", "Chrome (headless)"},
	{"edg/", "Edge"},
	{"opr/", "Opera"},
	{"firefox/", "Firefox"},
	{"chrome/", "Chrome"},
	{"chromium/", "Chrome"},
	{"safari/", "Safari"},
}

// Family names the client software of a user agent coarsely ("curl", "Firefox", …), so the
// log says what kind of client it was without keeping the agent itself; "" for none and
// "other" for anything unknown.
func Family(ua string) string {
	if strings.TrimSpace(ua) == "" {
		return ""
	}
	l := strings.ToLower(ua)
	if len(l) > 512 {
		l = l[:512]
	}
	for _, f := range families {
		if strings.Contains(l, f.sub) {
			return f.name
		}
	}
	return "other"
}
