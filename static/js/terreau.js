/* Terreau's progressive enhancement: live notification count and live activity stream.
   Pages work without it; the server stays the source of truth (a reconnect resyncs). */
(function () {
  "use strict";
  if (!document.body.dataset.live || typeof io === "undefined") { return; }

  var state = {
    notification: Number(sessionStorage.getItem("terreau.lastNotification") || 0),
    activity: 0,
    pending: []
  };
  var badge = document.getElementById("unread-count");
  var stream = document.getElementById("stream");
  var newBar = document.getElementById("new-items");
  var showNew = document.getElementById("show-new");
  if (stream) { state.activity = Number(stream.dataset.lastId || 0); }

  function setUnread(n) {
    if (!badge) { return; }
    badge.textContent = String(n);
    badge.classList.toggle("badge--empty", n === 0);
    badge.setAttribute("aria-label", (document.documentElement.lang === "fr" ? n + " non lues" : n + " unread"));
  }

  function rememberNotification(id) {
    if (id > state.notification) {
      state.notification = id;
      sessionStorage.setItem("terreau.lastNotification", String(id));
    }
  }

  function fetchNewActivities() {
    if (!stream) { return; }
    fetch(stream.dataset.sinceUrl + "?after=" + state.activity, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.ok ? r.json() : { items: [] }; })
      .then(function (data) {
        data.items.forEach(function (item) {
          if (item.id > state.activity) { state.activity = item.id; state.pending.push(item); }
        });
        if (state.pending.length && newBar && showNew) {
          showNew.textContent = (document.documentElement.lang === "fr")
            ? state.pending.length + (state.pending.length > 1 ? " nouveautés — afficher" : " nouveauté — afficher")
            : state.pending.length + (state.pending.length > 1 ? " new items — show" : " new item — show");
          newBar.hidden = false;
        }
      });
  }

  if (showNew) {
    showNew.addEventListener("click", function () {
      var empty = stream.querySelector(".empty");
      if (empty) { empty.remove(); }
      state.pending.forEach(function (item) {  // oldest first: the newest ends on top
        var wrapper = document.createElement("div");
        wrapper.innerHTML = item.html;  // server-rendered, autoescaped HTML of our own origin
        while (wrapper.firstChild) { stream.insertBefore(wrapper.lastChild, stream.firstChild); }
      });
      state.pending = [];
      newBar.hidden = true;
      stream.setAttribute("tabindex", "-1");
      stream.focus();
    });
  }

  var socket = io({ withCredentials: true });
  var connectedOnce = false;
  socket.on("connect", function () {
    document.body.dataset.socket = "connected";
    if (connectedOnce) {
      socket.emit("resync", { notification: state.notification, activity: state.activity }, function (reply) {
        if (!reply || !reply.ok) { return; }
        setUnread(reply.unread);
        reply.notifications.forEach(function (n) { rememberNotification(n.id); });
        if (reply.activities.length) { fetchNewActivities(); }
      });
    }
    connectedOnce = true;
  });
  socket.on("disconnect", function () { document.body.dataset.socket = "disconnected"; });
  socket.on("notification", function (data) { setUnread(data.unread); });
  socket.on("activity", function () { fetchNewActivities(); });
  socket.on("session_ended", function () { window.location.reload(); });
  window.terreauSocket = socket;
})();
