// acrlink portal: the little a server-rendered page needs. Forms with data-once submit once (a double click
// creates one resource); tab lists switch panels without a reload.
document.addEventListener("submit", (event) => {
  const form = event.target;
  if (form.dataset.once !== undefined) {
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    // After the browser has built the form data: a button disabled now would drop its own name=value.
    setTimeout(() => { for (const button of form.querySelectorAll("button[type=submit]")) { button.disabled = true; } }, 0);
  }
});
document.addEventListener("click", (event) => {
  const tab = event.target.closest("[role=tab][aria-controls]");
  if (!tab) return;
  const list = tab.closest("[role=tablist]");
  for (const other of list.querySelectorAll("[role=tab]")) {
    const selected = other === tab;
    other.setAttribute("aria-selected", selected ? "true" : "false");
    const panel = document.getElementById(other.getAttribute("aria-controls"));
    if (panel) panel.hidden = !selected;
  }
});
