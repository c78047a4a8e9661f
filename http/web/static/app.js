// ttr's one script. Pages work without it; it adds copy buttons, applies a theme change at
// once, keeps the dashboard live (polling the ETag'd aggregate, countdowns, the "N down"
// title and favicon, a connection-lost banner) and previews a check's schedule as it is typed.
// Writes it sends to the API carry the session's CSRF token in X-CSRF-Token.

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
const signedIn = document.querySelector('meta[name="signed-in"]')?.content === "yes";

// Copy buttons: <button data-copy="element-id"> copies that element's text. Delegated, so rows
// the dashboard replaces keep working; revealed only where the clipboard exists.
const reveal = (root) => {
  if (!navigator.clipboard) return;
  for (const b of root.querySelectorAll("button[data-copy]")) b.hidden = false;
};
reveal(document);
document.addEventListener("click", async (ev) => {
  const button = ev.target.closest?.("button[data-copy]");
  const target = button && document.getElementById(button.dataset.copy);
  if (!target) return;
  const status = document.getElementById("copy-status");
  try {
    await navigator.clipboard.writeText(target.textContent.trim());
    if (status) status.textContent = "Copied.";
  } catch {
    if (status) status.textContent = "Copying failed: select the text and copy it by hand.";
  }
});

// The footer's theme picker: a change applies at once, and is saved (on the account when
// signed in, in the theme cookie otherwise) without leaving the page.
const picker = document.querySelector("form[data-theme-picker]");
if (picker) {
  picker.classList.add("js");
  const html = document.documentElement;
  const save = async () => {
    const theme = picker.elements.theme.value;
    const mode = picker.elements.mode.value;
    html.dataset.theme = theme;
    html.dataset.mode = mode;
    if (signedIn) {
      const res = await fetch("/api/v1/user", {
        method: "PATCH",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ theme, mode }),
        credentials: "same-origin",
      });
      if (res.ok) {
        html.dataset.saved = `${theme}.${mode}`;
        return;
      }
    }
    picker.submit(); // the cookie (or, on failure, the plain form post) remembers it
  };
  picker.elements.theme.addEventListener("change", save);
  picker.elements.mode.addEventListener("change", save);
}

// A span in at most two units, as the server writes it: "5 min", "1 h 30 min".
const units = [[86400, "d"], [3600, "h"], [60, "min"], [1, "s"]];
const span = (secs) => {
  if (secs <= 0) return "0 s";
  const parts = [];
  for (const [n, u] of units) {
    if (secs >= n) {
      parts.push(`${Math.floor(secs / n)} ${u}`);
      secs %= n;
      if (parts.length === 2) break;
    } else if (parts.length === 1) break;
  }
  return parts.join(" ");
};

// The dashboard.
const live = document.getElementById("live");
if (live) {
  let etag = live.dataset.etag;
  let offset = Date.parse(live.dataset.now) - Date.now(); // server clock − browser clock
  const offline = document.getElementById("offline");

  const tick = () => {
    const now = Date.now() + offset;
    for (const t of document.querySelectorAll("time[data-countdown]")) {
      const left = Math.round((Date.parse(t.dateTime) - now) / 1000);
      t.textContent = left >= 0 ? `in ${span(left)}` : `overdue ${span(-left)}`;
    }
    for (const t of document.querySelectorAll("time[data-rel]")) {
      const ago = Math.round((now - Date.parse(t.dateTime)) / 1000);
      t.textContent = ago < 5 ? "just now" : `${span(ago)} ago`;
    }
  };

  // Rows are replaced only when their signature changed; the other parts as a whole.
  const swap = (doc) => {
    document.title = doc.title;
    const icon = document.querySelector('link[rel="icon"]');
    const newIcon = doc.querySelector('link[rel="icon"]');
    if (icon && newIcon) icon.href = newIcon.getAttribute("href");
    const oldRows = document.getElementById("rows");
    const newRows = doc.getElementById("rows");
    if (!oldRows || !newRows) {
      location.reload(); // the page changed shape (first check, last check): start afresh
      return;
    }
    for (const id of ["counters", "tagfilter", "pager"]) {
      const a = document.getElementById(id);
      const b = doc.getElementById(id);
      if (a && b) a.replaceWith(document.importNode(b, true));
    }
    const keep = new Map([...oldRows.children].map((tr) => [tr.id, tr]));
    const rows = [...newRows.children].map((tr) => {
      const old = keep.get(tr.id);
      return old && old.dataset.sig === tr.dataset.sig ? old : document.importNode(tr, true);
    });
    oldRows.replaceChildren(...rows);
    reveal(oldRows);
    tick();
  };

  const poll = async () => {
    try {
      const res = await fetch(live.dataset.poll, {
        headers: etag ? { "If-None-Match": etag } : {},
        cache: "no-store",
        credentials: "same-origin",
      });
      const date = Date.parse(res.headers.get("Date") ?? "");
      if (!Number.isNaN(date)) offset = date - Date.now();
      if (res.status !== 200 && res.status !== 304) throw new Error(`status ${res.status}`);
      offline.hidden = true;
      if (res.status === 304) return;
      const next = res.headers.get("ETag");
      const page = await fetch(location.href, { cache: "no-store", credentials: "same-origin" });
      if (!page.ok) throw new Error(`status ${page.status}`);
      swap(new DOMParser().parseFromString(await page.text(), "text/html"));
      etag = next;
      live.dataset.etag = etag;
    } catch {
      offline.hidden = false;
    }
  };
  tick();
  setInterval(tick, 1000);
  setInterval(poll, 5000);
  document.addEventListener("visibilitychange", () => document.hidden || poll());
}

// The check form: the schedule type shows its own fields, the next due times are previewed
// as they are typed, and the slug's availability is checked.
const form = document.getElementById("checkform");
if (form) {
  form.classList.add("js");
  const el = form.elements;
  const type = () => form.querySelector('input[name="schedule_type"]:checked')?.value ?? "interval";
  const showType = () => {
    for (const f of form.querySelectorAll("[data-for]")) f.hidden = f.dataset.for !== type();
  };
  const debounce = (fn, ms) => {
    let t;
    return () => {
      clearTimeout(t);
      t = setTimeout(fn, ms);
    };
  };
  const list = document.getElementById("preview");
  const err = document.getElementById("preview-err");
  const unitSecs = { seconds: 1, minutes: 60, hours: 3600, days: 86400 };
  const preview = debounce(async () => {
    const body = { schedule_type: type(), tz: el.tz.value.trim() };
    if (body.schedule_type === "interval") body.interval_seconds = Number(el.interval.value) * unitSecs[el.interval_unit.value];
    else body.schedule = body.schedule_type === "cron" ? el.cron.value : el.oncalendar.value;
    try {
      const res = await fetch("/api/v1/schedule/preview", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      const data = await res.json();
      if (!res.ok) {
        list.replaceChildren();
        err.textContent = data.detail ?? "The schedule cannot be previewed.";
        err.hidden = false;
        return;
      }
      err.hidden = true;
      list.replaceChildren(...data.next_local.map((s) => {
        const li = document.createElement("li");
        li.textContent = `${s.replace("T", " ")} (${data.tz})`;
        return li;
      }));
      list.dataset.zone = data.tz;
    } catch {
      err.textContent = "The preview is not available right now.";
      err.hidden = false;
    }
  }, 250);
  for (const name of ["schedule_type", "interval", "interval_unit", "cron", "oncalendar", "tz"]) {
    const f = el[name];
    for (const input of f instanceof RadioNodeList ? f : [f]) {
      input.addEventListener("input", preview);
      input.addEventListener("change", () => {
        showType();
        preview();
      });
    }
  }
  showType();

  const status = document.getElementById("slug-status");
  const slugCheck = debounce(async () => {
    const slug = el.slug.value.trim();
    if (!slug) {
      status.textContent = "";
      return;
    }
    const q = new URLSearchParams({ slug });
    if (form.dataset.checkId !== "0") q.set("check_id", form.dataset.checkId);
    const res = await fetch(`/api/v1/checks/slug-check?${q}`, { credentials: "same-origin" });
    if (res.ok) status.textContent = (await res.json()).detail;
  }, 300);
  el.slug.addEventListener("input", slugCheck);

  // Every IANA zone the browser knows, beside the common ones the page lists.
  const zones = document.getElementById("zones");
  if (zones && Intl.supportedValuesOf) {
    const have = new Set([...zones.options].map((o) => o.value));
    zones.append(...Intl.supportedValuesOf("timeZone").filter((z) => !have.has(z)).map((z) => new Option(z)));
  }
}

// A status page refreshes itself from its JSON feed (the same view the server rendered):
// every 10 s, revalidated with its ETag (the browser sends If-None-Match; a 304 costs
// nothing). Only text and class names change, never styles (the CSP forbids inline ones).
const statusPage = document.querySelector("[data-status-page][data-url]");
if (statusPage) {
  const cap = (s) => s.charAt(0).toUpperCase() + s.slice(1);
  const setClass = (el, prefix, value) => {
    if (!el) return;
    for (const c of [...el.classList]) if (c.startsWith(prefix)) el.classList.remove(c);
    el.classList.add(prefix + value);
  };
  const apply = (v) => {
    const banner = statusPage.querySelector("[data-overall]");
    if (banner) {
      banner.textContent = v.overall_text;
      setClass(banner, "ov-", v.overall);
    }
    if (v.checks.length !== statusPage.querySelectorAll("[data-check]").length) {
      location.reload(); // checks were added or removed: the server renders the new set
      return;
    }
    v.checks.forEach((c, i) => {
      const el = statusPage.querySelector(`[data-check="${i}"]`);
      if (!el) return;
      const pill = el.querySelector('[data-field="status"]');
      if (pill) {
        pill.textContent = cap(c.status);
        setClass(pill, "st-", c.status);
      }
      if (el.classList.contains("sp-tile")) setClass(el, "st-", c.status);
      const ago = el.querySelector('[data-field="ago"]');
      if (ago) ago.textContent = c.last_ping_ago;
      for (const w of c.uptime) {
        const u = el.querySelector(`[data-field="u-${w.window}"]`);
        if (u) u.textContent = w.text;
      }
      const days = el.querySelectorAll(".sp-bar .day");
      if (days.length === c.days.length) {
        c.days.forEach((d, k) => {
          setClass(days[k], "lv-", d.level);
          days[k].setAttribute("aria-label", d.label);
          days[k].title = d.label;
        });
      }
    });
    const gen = statusPage.querySelector("[data-generated]");
    if (gen) gen.textContent = v.generated_at.replace("T", " ").replace("Z", " UTC");
    statusPage.dataset.refreshed = v.generated_at;
  };
  const refresh = async () => {
    try {
      const res = await fetch(statusPage.dataset.url, { cache: "no-cache", credentials: "omit" });
      if (res.ok) {
        apply(await res.json());
        statusPage.classList.remove("stale");
      }
    } catch {
      statusPage.classList.add("stale");
    }
  };
  setInterval(refresh, 10000);
  refresh();
}
