// ttr's one script. Pages work without it; it adds copy buttons and applies a theme change
// at once. Writes it sends to the API carry the session's CSRF token in X-CSRF-Token.

const csrf = document.querySelector('meta[name="csrf-token"]')?.content ?? "";
const signedIn = document.querySelector('meta[name="signed-in"]')?.content === "yes";

// Copy buttons: <button data-copy="element-id"> copies that element's text.
for (const button of document.querySelectorAll("button[data-copy]")) {
  const target = document.getElementById(button.dataset.copy);
  if (!target || !navigator.clipboard) continue;
  button.hidden = false;
  button.addEventListener("click", async () => {
    const status = document.getElementById("copy-status");
    try {
      await navigator.clipboard.writeText(target.textContent.trim());
      if (status) status.textContent = "Copied.";
    } catch {
      if (status) status.textContent = "Copying failed: select the text and copy it by hand.";
    }
  });
}

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
