/* Workflow Island designer: the live view of a published version: how many running
 * instances are in each state, on the graph and in a table, refreshed every few seconds;
 * a click on a count (or its state) opens the operations list filtered to it.
 */
(function () {
  "use strict";
  const D = window.WIDesigner;
  const { h, $, api, config } = D;

  let liveTimer = null, liveLinks = {};
  async function refreshLive() {
    const { ok, body } = await api(config.urls.live);
    const tbody = $("#live-table tbody");
    if (!ok) { tbody.replaceChildren(h("tr", {}, h("td", { colspan: 2, class: "bad" }, body.message || "Live counts unavailable"))); return; }
    liveLinks = body.links || {};
    const counts = body.counts || {};
    D.cy.nodes().forEach((n) => {
      const name = n.data("name");
      if (!name) return;
      const count = counts[name] || 0;
      n.data("count", count);
      n.data("liveLabel", n.data("label") + "\n● " + count + (count === 1 ? " instance" : " instances"));
      n.toggleClass("has-live", count > 0);
    });
    const rows = Object.entries(counts).map(([state, count]) => h("tr", {}, h("td", {}, state),
      h("td", {}, h("a", { href: liveLinks[state], "data-testid": "live-count-" + state }, String(count)))));
    tbody.replaceChildren(...(rows.length ? rows : [h("tr", {}, h("td", { colspan: 2, class: "muted" }, "No instances yet."))]));
  }
  function startLive() { D.mode = "live"; refreshLive(); clearInterval(liveTimer); liveTimer = setInterval(refreshLive, 4000); }
  function stopLive() {
    clearInterval(liveTimer); liveTimer = null;
    if (D.mode === "live") D.mode = "edit";
    D.cy.nodes().forEach((n) => { n.removeData("count"); n.removeClass("has-live"); });
  }
  document.addEventListener("designer:tab", (e) => { if (e.detail === "live") startLive(); else if (liveTimer) stopLive(); });

  D.hooks.started.push(() => {
    D.cy.on("tap", "node", (e) => {
      const name = e.target.data("name");
      if (D.mode === "live" && name && liveLinks[name] && e.target.data("count")) window.location.assign(liveLinks[name]);
    });
  });
})();
