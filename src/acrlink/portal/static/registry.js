// acrlink portal, container registries: the create wizard's live parts (the name availability check as
// the user types, the Premium-only private endpoint choice, the endpoint pane's subnets of the chosen
// VNet, one more tag row) and the public access tab's firewall rows. Everything also works server-side.
(() => {
  // portal.js disables a data-once form's buttons in the submit event, and a disabled submitter is left out
  // of the form's data: keep the pressed button's name=value in a hidden field (captured first).
  document.addEventListener("submit", (event) => {
    const button = event.submitter;
    if (!button || !button.name || event.target.dataset.once === undefined) return;
    let carried = event.target.querySelector("input[data-submitter]");
    if (!carried) {
      carried = document.createElement("input");
      carried.type = "hidden";
      carried.dataset.submitter = "";
      event.target.appendChild(carried);
    }
    carried.name = button.name;
    carried.value = button.value;
  }, true);
  const wizard = document.getElementById("registry-wizard");
  if (wizard) {
    const tabField = document.getElementById("wizard-tab");
    for (const tab of wizard.querySelectorAll("[data-wizard-tab]")) {
      tab.addEventListener("click", () => { tabField.value = tab.dataset.wizardTab; });
    }
    const name = document.getElementById("name");
    const status = document.getElementById("name-check");
    const subscription = document.getElementById("subscription");
    let timer = null;
    let asked = 0;
    const check = () => {
      const value = name.value.trim();
      const mine = ++asked;
      if (!value) { status.textContent = ""; return; }
      const query = new URLSearchParams({ name: value, subscription: subscription.value });
      fetch(`${name.dataset.checkUrl}?${query}`, { credentials: "same-origin" })
        .then((r) => r.json())
        .then((answer) => {
          if (mine !== asked) return;
          status.textContent = answer.nameAvailable ? answer.message
            : (answer.reason ? `${answer.reason}: ${answer.message}` : answer.message);
          status.className = answer.nameAvailable ? "hint verdict-ok" : "field-error";
          status.dataset.available = answer.nameAvailable ? "true" : "false";
        })
        .catch(() => {});
    };
    name.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(check, 300); });
    if (name.value.trim()) check();

    const sku = document.getElementById("sku");
    const privateChoice = document.getElementById("connectivity-private");
    const explanation = document.getElementById("private-needs-premium");
    const endpoints = document.getElementById("private-endpoints");
    const sync = () => {
      const premium = sku.value === "Premium";
      privateChoice.disabled = !premium;
      explanation.hidden = premium;
      if (!premium && privateChoice.checked) {
        wizard.querySelector("input[name=connectivity][value=public]").checked = true;
      }
      endpoints.hidden = !privateChoice.checked;
    };
    sku.addEventListener("change", sync);
    for (const radio of wizard.querySelectorAll("input[name=connectivity]")) radio.addEventListener("change", sync);

    const vnet = document.getElementById("pe_vnet");
    const subnet = document.getElementById("pe_subnet");
    if (vnet && subnet) {
      const filter = () => {
        let first = null;
        for (const option of subnet.options) {
          const mine = option.dataset.vnet === vnet.value;
          option.hidden = !mine;
          if (mine && !first) first = option;
        }
        const current = subnet.selectedOptions[0];
        if (!current || current.hidden) subnet.value = first ? first.value : "";
      };
      vnet.addEventListener("change", filter);
      filter();
    }

    const rows = document.querySelector("#tag-rows tbody");
    rows.addEventListener("input", (event) => {
      const last = rows.lastElementChild;
      if (!last.contains(event.target)) return;
      const copy = last.cloneNode(true);
      for (const input of copy.querySelectorAll("input")) input.value = "";
      rows.appendChild(copy);
    });
  }

  const addRange = document.getElementById("add-range");
  if (addRange) {
    addRange.addEventListener("click", () => {
      const list = document.getElementById("ranges");
      const last = list.lastElementChild;
      const copy = last.cloneNode(true);
      for (const input of copy.querySelectorAll("input")) input.value = "";
      list.appendChild(copy);
    });
  }
})();
