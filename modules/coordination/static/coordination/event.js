/* An event's page, live: counts, the member's own answer (e.g. promoted from the waiting list)
   and changes arrive without a reload. The socket event only says that the event changed; the
   page then fetches its state over HTTP, where rights are checked as for the page itself.
   Without JavaScript the page works the same, one reload at a time. */
(function () {
  "use strict";
  var root = document.getElementById("event");
  var socket = window.terreauSocket;
  if (!root || !socket) { return; }

  var room = root.dataset.room;
  var eventId = root.dataset.eventId;
  var sequence = Number(root.dataset.sequence || 0);
  var live = document.getElementById("answer-live");
  var fetching = false;
  var again = false;

  function join() { socket.emit("join", { room: room }); }

  function setCounts(counts) {
    ["going", "maybe", "waiting"].forEach(function (name) {
      var node = root.querySelector('[data-count="' + name + '"]');
      if (node && counts && typeof counts[name] === "number") { node.textContent = String(counts[name]); }
    });
  }

  function refresh() {
    if (fetching) { again = true; return; }
    fetching = true;
    fetch(root.dataset.stateUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        setCounts(data.counts);
        var panel = document.getElementById("answer");
        var before = panel ? panel.dataset.status : "";
        if (panel && data.panel) {
          var wrapper = document.createElement("div");
          wrapper.innerHTML = data.panel;  // server-rendered, autoescaped HTML of our own origin
          var fresh = wrapper.querySelector("#answer");
          if (fresh) { panel.replaceWith(fresh); }
        }
        if (before === "waiting" && data.status === "going" && live) {
          live.textContent = live.dataset.promoted;
          live.hidden = false;
        }
        if (data.sequence !== sequence || data.cancelled) {
          var notice = document.getElementById("event-changed");
          if (notice) { notice.textContent = root.dataset.changed; notice.hidden = false; }
        }
      })
      .catch(function () { /* the next event or reconnection catches up */ })
      .then(function () {
        fetching = false;
        if (again) { again = false; refresh(); }
      });
  }

  socket.on("connect", function () { join(); refresh(); });  // also after a reconnection: catch up
  if (socket.connected) { join(); }
  socket.on("coordination.event", function (data) {
    if (data && String(data.event) === eventId) { refresh(); }
  });
})();
