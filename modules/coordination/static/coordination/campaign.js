/* A campaign's page, live: when a field report arrives, the dashboard's numbers are refreshed.
   The socket event only carries ids; the page then fetches progress.json, where rights are
   checked as for the page itself. Without JavaScript the page works the same, one reload at a time. */
(function () {
  "use strict";
  var root = document.getElementById("campaign");
  var socket = window.terreauSocket;
  if (!root || !socket) { return; }

  var room = root.dataset.room;
  var campaignId = root.dataset.campaignId;
  var live = document.getElementById("campaign-live");
  var fetching = false;
  var again = false;

  function join() { socket.emit("join", { room: room }); }

  function set(node, value) { if (node) { node.textContent = String(value); } }

  function show(data) {
    var box = document.getElementById("campaign-progress");
    if (!box) { return; }
    set(box.querySelector('[data-progress="done"]'), data.done);
    set(box.querySelector('[data-progress="percent"]'), data.percent);
    set(box.querySelector('[data-progress="reports"]'), data.reports);
    var bar = box.querySelector('[data-progress="bar"]');
    if (bar) { bar.value = data.percent; bar.textContent = data.percent + " %"; }
    data.sectors.forEach(function (sector) {
      var row = box.querySelector('tr[data-sector="' + sector.id + '"]');
      if (!row) { return; }
      row.querySelectorAll("[data-count]").forEach(function (cell) {
        var name = cell.dataset.count;
        if (name === "percent") {
          if (sector.percent !== null) { cell.textContent = "(" + sector.percent + "\u00a0%)"; }
        } else if (typeof sector[name] === "number") {
          cell.textContent = String(sector[name]);
        }
      });
    });
  }

  function refresh(announce) {
    if (fetching) { again = true; return; }
    fetching = true;
    fetch(root.dataset.progressUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        show(data);
        if (announce && live) { live.textContent = root.dataset.updated; }
      })
      .catch(function () { /* the next event or reconnection catches up */ })
      .then(function () {
        fetching = false;
        if (again) { again = false; refresh(announce); }
      });
  }

  socket.on("connect", function () { join(); refresh(false); });  // also after a reconnection: catch up
  if (socket.connected) { join(); }
  socket.on("coordination.campaign", function (data) {
    if (!data || String(data.campaign) !== campaignId) { return; }
    refresh(true);
  });
})();
