/* Workflow Island designer: saving, save conflicts, publishing, and the copy kept in
 * this browser.
 *
 * A save sends the checksum the draft had when it was loaded. When someone else saved
 * meanwhile the server answers 409 draft_changed with their draft, and the person
 * chooses: merge (designer/merge.py replays their edits onto the stored draft), load
 * theirs after downloading their own copy, or keep editing. Nothing they drew is dropped
 * without them choosing so, and a copy stays in localStorage until a save succeeds.
 */
(function () {
  "use strict";
  const D = window.WIDesigner;
  const { h, $, api, config, clone } = D;
  const on = (id, fn) => { const el = $(id); if (el) el.addEventListener("click", fn); };

  let theirs = null;
  /* Apply a panel that was edited but not applied, so Save stores what is on screen. */
  async function applyOpenPanel() {
    const form = $("#panel-body .panel-form[data-dirty]");
    if (!form) return true;
    await htmx.ajax("POST", form.getAttribute("hx-post"), { source: form, target: "#panel-body", swap: "innerHTML" });
    if ($("#panel-body .field-error")) {
      D.setSaveState("Not saved: fix the errors in the panel first", "bad");
      D.showTab("properties");
      return false;
    }
    return true;
  }

  D.save = async function () {
    if (!D.editable) return false;
    if (!(await applyOpenPanel())) return false;
    D.setSaveState("Saving…", "busy");
    const { ok, status, body } = await api(config.urls.save, { method: "POST",
      json: { document: D.doc, expected_checksum: D.checksum } });
    if (ok) {
      D.checksum = body.version.checksum;
      D.base = clone(D.doc);
      D.dirty = false;
      localStorage.removeItem(D.storeKey);
      D.setSaveState("Saved " + new Date().toLocaleTimeString(), "saved");
      if (body.problems) { D.problems = body.problems; D.showProblems(); }
      if (D.switchedTo) window.location.assign(D.switchedTo.url); // the page of the draft we saved into
      return true;
    }
    if (status === 409 && body.code === "draft_changed" && body.theirs) {
      theirs = body.theirs;
      D.setSaveState("Not saved: conflict", "bad");
      openConflict();
      return false;
    }
    if (status === 409 && body.code === "version_not_draft") {
      D.setSaveState("Not saved: this version was published meanwhile", "bad");
      D.showBanner("This version was published while you edited it; your changes are still here.", "warn",
        [h("button", { type: "button", class: "primary", onclick: saveAsNewDraft }, "Save my changes as a new draft")]);
      return false;
    }
    D.setSaveState("Not saved: " + (body.message || status), "bad");
    return false;
  };

  /* The version was published under us: put our work into the next draft. A draft that
   * someone already started is never saved over: the editor switches to it and offers
   * the same merge as a save conflict (theirs = that draft, base = what we loaded). */
  async function saveAsNewDraft() {
    const made = await api(config.urls.new_draft, { method: "POST", json: {} });
    if (!made.ok) { D.showBanner(made.body.message || "Could not start a new draft", "bad"); return; }
    const draft = made.body.version;
    if (!made.body.created) {
      switchTo(made.body);
      theirs = { document: made.body.document, checksum: draft.checksum };
      D.setSaveState("Not saved: v" + draft.number + " is already a draft", "bad");
      openConflict("Someone else already started draft v" + draft.number);
      return;
    }
    const saved = await api(draft.save_url, { method: "POST",
      json: { document: D.doc, expected_checksum: draft.checksum } });
    if (!saved.ok) { D.showBanner(saved.body.message || "Could not save into the new draft", "bad"); return; }
    localStorage.removeItem(D.storeKey);
    D.dirty = false;
    window.location.assign(draft.url);
  }

  /* From now on save, publish, validate and the panels go to ``made.version`` (a draft);
   * the copy in this browser moves with them. */
  function switchTo(made) {
    localStorage.removeItem(D.storeKey);
    Object.assign(config.urls, made.urls);
    config.version = made.version;
    D.storeKey = "wi-designer-" + made.version.id;
    D.switchedTo = made.version;
    const badge = $("[data-testid=version-status]");
    if (badge) badge.textContent = "v" + made.version.number + " draft";
    D.markDirty();
  }

  function openConflict(title) {
    $("#conflict-title").textContent = title || "Someone else saved this draft";
    $("#conflict-clashes").replaceChildren();
    $("#conflict").hidden = false;
    $("#conflict-merge").focus();
  }
  function closeConflict() { $("#conflict").hidden = true; }

  function downloadMine() {
    const blob = new Blob([JSON.stringify(D.doc, null, 2)], { type: "application/json" });
    const link = h("a", { href: URL.createObjectURL(blob), download: (D.doc.key || "workflow") + "-my-copy.json" });
    document.body.append(link);
    link.click();
    link.remove();
    try { localStorage.setItem(D.storeKey + "-copy", JSON.stringify({ document: D.doc, at: new Date().toISOString() })); } catch (e) { /* ignore */ }
  }

  /* Replay ``mine`` (base → mine) onto ``other``'s document and show the result. */
  async function mergeInto(other, base, mine) {
    const { ok, body } = await api(config.urls.merge, { method: "POST",
      json: { base: base, mine: mine || D.doc, theirs: other.document } });
    if (!ok) { D.showBanner("Merge failed: " + (body.message || "unknown error"), "bad"); return; }
    D.undoStack.push(JSON.stringify(D.doc));
    D.doc = D.normalize(body.document);
    D.base = clone(other.document);
    D.checksum = other.checksum;
    D.markDirty();
    D.render();
    const clashes = body.clashes || [];
    D.showBanner(clashes.length
      ? "Merged with " + clashes.length + " clash(es) to review: " + clashes.join(" ") + " Save when ready."
      : "Merged your changes into the latest draft. Review, then save.", clashes.length ? "warn" : "ok",
    [h("button", { type: "button", class: "primary", onclick: async () => { if (await D.save()) D.hideBanner(); } }, "Save merged draft")]);
  }

  /* Publish exactly what was checked: the checksum goes along, and a draft someone saved
   * since is refused (409) with theirs, for the same merge as a save conflict. */
  D.publish = async function () {
    if (D.dirty && !(await D.save())) return;
    await D.validate();
    if (D.problems.length) { D.showTab("problems"); return; }
    const { ok, status, body } = await api(config.urls.publish, { method: "POST",
      json: { expected_checksum: D.checksum } });
    if (ok) { localStorage.removeItem(D.storeKey); window.location.assign(body.version.url + "?published=1"); return; }
    if (status === 409 && body.code === "draft_changed" && body.theirs) {
      theirs = body.theirs;
      D.setSaveState("Not published: the draft changed since you checked it", "bad");
      openConflict("Someone else saved this draft before you published");
      return;
    }
    if (body.details) { D.problems = body.details; D.showProblems(); D.showTab("problems"); }
    D.showBanner("Not published: " + (body.message || "error"), "bad");
  };

  /* A copy left in this browser by an earlier visit (closed tab, refused save). */
  D.offerStoredCopy = function () {
    let stored = null;
    try { stored = JSON.parse(localStorage.getItem(D.storeKey) || "null"); } catch (e) { stored = null; }
    if (!stored || !D.editable) return;
    if (JSON.stringify(stored.document) === JSON.stringify(D.doc)) { localStorage.removeItem(D.storeKey); return; }
    const when = new Date(stored.at).toLocaleString();
    const sameBase = stored.checksum === D.checksum;
    D.showBanner("This browser has unsaved changes to this draft from " + when + ".", "warn", [
      h("button", { type: "button", class: "primary", onclick: async () => {
        D.hideBanner();
        if (sameBase) { D.change((doc) => Object.assign(doc, D.normalize(stored.document))); return; }
        await mergeInto({ document: D.doc, checksum: D.checksum }, stored.base, stored.document);
      } }, sameBase ? "Restore them" : "Merge them in"),
      h("button", { type: "button", onclick: () => { localStorage.removeItem(D.storeKey); D.hideBanner(); } }, "Discard"),
    ]);
  };

  on("#btn-save", D.save);
  on("#btn-publish", D.publish);
  on("#conflict-merge", async () => { closeConflict(); await mergeInto(theirs, D.base); });
  on("#conflict-theirs", () => {
    downloadMine();
    closeConflict();
    D.undoStack.push(JSON.stringify(D.doc));
    D.doc = D.normalize(clone(theirs.document));
    D.base = clone(theirs.document);
    D.checksum = theirs.checksum;
    D.dirty = false;
    D.setSaveState("Loaded the latest draft; your copy was downloaded (Undo brings it back)", "saved");
    D.render();
    D.validate();
  });
  on("#conflict-download", downloadMine);
  on("#conflict-close", closeConflict);
  on("#btn-new-draft", async () => {
    const { ok, body } = await api(config.urls.new_draft, { method: "POST", json: {} });
    if (!ok) { D.showBanner(body.message || "Could not start a new draft", "bad"); return; }
    if (body.created) { window.location.assign(body.version.url); return; }
    // A draft existed already (maybe someone else's work): say so before switching.
    D.showBanner(`This definition already has a draft, v${body.version.number}; ` +
      "a definition has one draft at a time, so no new one was made.", "warn",
      [h("a", { class: "button primary", href: body.version.url }, `Open draft v${body.version.number}`)]);
  });
})();
