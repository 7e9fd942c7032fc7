/* A debate's page, live: the counts and the newest contributions arrive without a reload.
   The socket event only says that something changed (ids, counts); the page then fetches the
   rendered contributions over HTTP, where rights are checked as for the page itself. Without
   JavaScript the page works the same, one reload at a time. */
(function () {
  "use strict";
  var root = document.getElementById("debate");
  var socket = window.terreauSocket;
  if (!root || !socket) { return; }

  var room = root.dataset.room;
  var debateId = root.dataset.debateId;
  var last = Number(root.dataset.lastId || 0);
  var list = document.getElementById("contributions");
  var live = document.getElementById("debate-live");
  var fetching = false;
  var again = false;

  function join() { socket.emit("join", { room: room }); }

  function setCounts(counts) {
    if (!counts) { return; }
    ["for", "against", "neutral"].forEach(function (stance) {
      var node = root.querySelector('[data-count="' + stance + '"]');
      if (node && typeof counts[stance] === "number") { node.textContent = String(counts[stance]); }
    });
  }

  function showClosed() {
    if (root.dataset.state === "closed") { return; }  // the page already says so
    root.dataset.state = "closed";
    var notice = document.getElementById("debate-closed-live");
    if (notice) { notice.hidden = false; }
    root.querySelectorAll(".debate-contribute, .reply-form, .debate-close").forEach(function (node) { node.remove(); });
  }

  function insert(item) {
    if (document.getElementById("contribution-" + item.id)) { return false; }
    var wrapper = document.createElement("div");
    wrapper.innerHTML = item.html;  // server-rendered, autoescaped HTML of our own origin
    var node = wrapper.querySelector("li.contribution");
    if (!node) { return false; }
    if (item.reply_to) {
      var parent = document.getElementById("contribution-" + item.reply_to);
      if (!parent) { return false; }
      var replies = parent.querySelector(":scope > ol.replies");
      if (!replies) {
        replies = document.createElement("ol");
        replies.className = "replies";
        parent.appendChild(replies);
      }
      replies.appendChild(node);
      return true;
    }
    if (!list || root.dataset.firstPage !== "1") { return false; }
    var empty = document.getElementById("contributions-empty");
    if (empty) { empty.remove(); }
    list.insertBefore(node, list.firstChild);  // newest first, as the page orders them
    return true;
  }

  function fetchNew() {
    if (fetching) { again = true; return; }
    fetching = true;
    fetch(root.dataset.sinceUrl + "?after=" + last, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        setCounts(data.counts);
        var shown = 0;
        data.items.forEach(function (item) {
          if (item.id > last) { last = item.id; }
          if (insert(item)) { shown += 1; }
        });
        if (shown && live) { live.textContent = shown > 1 ? root.dataset.newMany : root.dataset.newOne; }
        if (data.state === "closed") { showClosed(); }
      })
      .catch(function () { /* the next event or reconnection catches up */ })
      .then(function () {
        fetching = false;
        if (again) { again = false; fetchNew(); }
      });
  }

  socket.on("connect", function () { join(); fetchNew(); });  // also after a reconnection: catch up
  if (socket.connected) { join(); }
  socket.on("collaboration.debate", function (data) {
    if (!data || String(data.debate) !== debateId) { return; }
    setCounts(data.counts);
    if (data.closed) { showClosed(); }
    if (data.contribution) { fetchNew(); }
  });
})();
