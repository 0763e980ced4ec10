/* Workflow Island designer: the Actions tab, the catalogue of the actions transitions run
 * and the dependencies they call; each opens its property panel.
 */
(function () {
  "use strict";
  const D = window.WIDesigner;
  const { h, $ } = D;

  function renderCatalog() {
    const doc = D.doc;
    const list = (entries, part, describe) => h("ul", { class: "catalog-list" }, entries.length
      ? entries.map(([name, v]) => h("li", {}, h("button", { type: "button", class: "link-button", onclick: () => D.openPanel(part, name) }, name), " ", h("span", { class: "muted small" }, describe(v))))
      : h("li", { class: "muted" }, "None yet."));
    const add = (part, key, value) => D.editable ? h("button", { type: "button", onclick: () => {
      const name = D.uniqueName(part, new Set(Object.keys(doc[key])));
      D.change((d) => { d[key][name] = value; });
      D.openPanel(part, name);
    } }, "+ New " + part) : null;
    // Not editable: add() is null, which replaceChildren() would print as "null".
    $("#catalog").replaceChildren(...[
      h("h2", {}, "Actions"), h("p", { class: "muted small" }, "What a transition runs: one mutating operation, with retries and a compensation."),
      list(Object.entries(doc.actions), "action", (a) => (a.type || "?") + (a.dependency ? " → " + a.dependency : "")),
      add("action", "actions", { type: "set", params: {} }),
      h("h2", { class: "spaced" }, "Dependencies"), h("p", { class: "muted small" }, "Services actions call: rate limit and circuit breaker, shared by every worker."),
      list(Object.entries(doc.dependencies), "dependency", (dep) => (dep.rate_limit && dep.rate_limit.tps ? dep.rate_limit.tps + " tps" : "")),
      add("dependency", "dependencies", {})].filter(Boolean));
  }
  D.hooks.render.push(renderCatalog);
})();
