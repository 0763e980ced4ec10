/* Workflow Island designer: the dry run. The server evaluates the guards with the sample
 * data (designer/dry_run.py); the page lists every candidate transition, shows which one
 * fires and steps on, without running an action or storing anything.
 */
(function () {
  "use strict";
  const D = window.WIDesigner;
  const { h, $, api, config } = D;

  const dry = { state: null, trace: [] };
  function parseJSON(id) {
    try { return { value: JSON.parse($(id).value || "{}") }; }
    catch (e) { return { error: "Not valid JSON: " + e.message }; }
  }
  async function dryStep(trigger) {
    const out = $("#dry-output");
    const data = parseJSON("#dry-data"), payload = parseJSON("#dry-payload");
    if (data.error || payload.error) { out.replaceChildren(h("p", { class: "field-error", role: "alert" }, data.error || payload.error)); return; }
    const { ok, body } = await api(config.urls.dry_run, { method: "POST", json: {
      document: D.doc, state: dry.state, trigger: trigger || null, data: data.value, payload: payload.value } });
    if (!ok) { out.replaceChildren(h("p", { class: "field-error", role: "alert" }, body.message || "Dry run failed")); return; }
    dry.state = body.state;
    D.mode = "dryrun";
    showDryStep(body);
  }
  function showDryStep(step) {
    const cy = D.cy;
    cy.elements().removeClass("sim-current sim-pass sim-fail sim-shadowed");
    cy.getElementById("s:" + step.state).addClass("sim-current");
    const out = $("#dry-output");
    const parts = [h("p", { class: "dry-state" }, "Current state: ", h("strong", { "data-testid": "dry-state" }, step.state), " ", h("span", { class: "badge" }, step.kind))];
    if (step.terminal) parts.push(h("p", { class: "message success" }, "This is a terminal state: the instance would end here."));
    else if (!step.triggers.length) parts.push(h("p", { class: "muted" }, "No transition leaves this state."));
    else parts.push(h("div", { class: "dry-triggers" }, h("span", { class: "muted small" }, "Send a trigger: "),
      step.triggers.map((t) => h("button", { type: "button", class: t === step.trigger ? "primary" : "", onclick: () => dryStep(t), "data-trigger": t }, t))));
    if (step.trigger) {
      parts.push(h("table", { class: "data compact", "data-testid": "dry-candidates" },
        h("thead", {}, h("tr", {}, h("th", {}, "To"), h("th", {}, "Guard"), h("th", {}, "Result"))),
        h("tbody", {}, step.candidates.map((c) => {
          cy.getElementById("t:" + c.index).addClass(c.fires ? "sim-pass" : c.guard === true ? "sim-shadowed" : "sim-fail");
          const result = c.error ? "error: " + c.error : c.guard ? (c.fires ? "true" : "true, but an earlier one fires") : "false";
          return h("tr", { class: c.fires ? "fires" : "" }, h("td", {}, c.to),
            h("td", {}, h("code", {}, c.when || "(no guard)")),
            h("td", { class: c.error ? "bad" : c.guard ? "ok" : "muted" }, (c.fires ? "fires · " : "") + result));
        }))));
      if (step.fires) parts.push(h("button", { type: "button", class: "primary", onclick: () => {
        dry.trace.push(step.state + " —" + step.trigger + "→ " + step.fires.to);
        dry.state = step.fires.to; dryStep(null);
      } }, "Take it: go to " + step.fires.to));
      else parts.push(h("p", { class: "notice small" }, "No guard holds: the instance would stay in " + step.state + "."));
    }
    if (dry.trace.length) parts.push(h("ol", { class: "dry-trace small" }, dry.trace.map((t) => h("li", {}, t))));
    parts.push(h("button", { type: "button", onclick: resetDry }, "Reset"));
    out.replaceChildren(...parts);
  }
  function resetDry() {
    dry.state = null; dry.trace = []; D.mode = "edit";
    D.cy.elements().removeClass("sim-current sim-pass sim-fail sim-shadowed");
    $("#dry-output").replaceChildren();
  }
  $("#dry-start").addEventListener("click", () => { dry.state = null; dry.trace = []; dryStep(null); });
  document.addEventListener("designer:tab", (e) => { if (e.detail !== "dryrun" && D.mode === "dryrun") resetDry(); });
})();
