/* Workflow Island designer: the property panels (Django forms over htmx).
 *
 * Opening a panel posts the part's name (or index) and the whole document; Apply posts
 * the form, and the server answers with inline errors or the same panel plus a
 * "designer:apply" event that the editor applies (editor.js applyPart). Only the latest
 * panel may fill the sidebar: answers can arrive out of order. A panel edited but not
 * applied says so, and Save applies it first (saving.js).
 */
(function () {
  "use strict";
  const D = window.WIDesigner;
  const { h, $, config, csrf } = D;

  /* Open a part's panel; ``focus`` moves the keyboard into it (the table view's Edit).
   * Only the latest request may fill the panel: answers can arrive out of order. */
  let panelSeq = 0;
  D.openPanel = async function (part, original, focus) {
    const seq = ++panelSeq;
    D.showTab("properties");
    const response = await fetch(config.urls["panel_" + part], {
      method: "POST",
      headers: { "X-CSRFToken": csrf, "HX-Request": "true" },
      body: new URLSearchParams({ document: JSON.stringify(D.doc), original: String(original) }),
    });
    const html = await response.text();
    if (seq !== panelSeq) return;
    htmx.swap("#panel-body", html, { swapStyle: "innerHTML" });
    const form = $("#panel-body .panel-form");
    if (form) { form.dataset.seq = String(seq); syncKindSections(form); }
    const first = focus && $("#panel-body").querySelector("input:not([type=hidden]), select, textarea");
    if (first) first.focus();
  };
  D.clearPanel = function () {
    $("#panel-body").replaceChildren(h("p", { class: "muted" }, "Select a state or a transition to edit its properties."));
  };

  function syncKindSections(form) {
    const kind = form.querySelector("[name=kind]");
    if (!kind || form.dataset.part !== "state") return;
    form.querySelectorAll("[data-kind-section]").forEach((fs) => { fs.hidden = fs.dataset.kindSection !== kind.value; });
  }

  D.showTab = function (name) {
    document.querySelectorAll("[role=tab]").forEach((tab) => tab.setAttribute("aria-selected", String(tab.dataset.tab === name)));
    document.querySelectorAll("[data-tab-body]").forEach((body) => { body.hidden = body.dataset.tabBody !== name; });
    document.dispatchEvent(new CustomEvent("designer:tab", { detail: name }));
  };

  const panel = $("#panel-body");
  panel.addEventListener("change", (e) => { if (e.target.name === "kind") syncKindSections(e.target.form); });
  // A panel edited but not applied says so; saving applies it first (saving.js).
  panel.addEventListener("input", (e) => {
    const form = e.target.form;
    if (!form || !form.classList.contains("panel-form") || form.dataset.dirty) return;
    form.dataset.dirty = "1";
    const head = form.querySelector(".panel-head");
    if (head) head.append(h("span", { class: "badge warn", role: "status" }, "Not applied yet"));
  });
  panel.addEventListener("click", (e) => {
    const button = e.target.closest("[data-delete-part]");
    if (!button) return;
    const name = button.dataset.name;
    ({ state: () => D.deleteState(name), transition: () => D.deleteTransition(+name),
      action: () => D.deleteAction(name), dependency: () => D.deleteDependency(name) })[button.dataset.deletePart]();
  });
  // An Apply answered after another panel was opened must not replace that panel
  // (its designer:apply event still applies the change).
  document.body.addEventListener("htmx:beforeSwap", (e) => {
    const form = e.detail.requestConfig && e.detail.requestConfig.elt;
    if (form && form.classList && form.classList.contains("panel-form") && form.dataset.seq && +form.dataset.seq !== panelSeq) e.detail.shouldSwap = false;
  });
  document.body.addEventListener("htmx:afterSwap", (e) => {
    const target = e.detail.target || e.detail.elt;
    const form = target && target.querySelector ? target.querySelector(".panel-form") : null;
    if (form) { form.dataset.seq = String(panelSeq); syncKindSections(form); }
  });
})();
