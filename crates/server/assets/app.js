// Confirmation before destructive actions: <form data-confirm="Are you sure?">.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Live character counters: <textarea data-counter="id-of-count-span">.
document.addEventListener("input", function (event) {
  var el = event.target;
  var target = el.getAttribute && el.getAttribute("data-counter");
  if (target) {
    var span = document.getElementById(target);
    if (span) span.textContent = String(el.value.length);
  }
});

// Counters start with the length of the text the page was served with.
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-counter]").forEach(function (el) {
    var span = document.getElementById(el.getAttribute("data-counter"));
    if (span) span.textContent = String(el.value.length);
  });
});

// "Use my location" on the sign-up form fills the coordinates from the browser.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-locate]");
  if (!button || !navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(function (pos) {
    var form = button.form;
    form.querySelector("[name=latitude]").value = pos.coords.latitude.toFixed(6);
    form.querySelector("[name=longitude]").value = pos.coords.longitude.toFixed(6);
  });
});

// A confirmation for one button of a form: <button data-confirm-form="Sure?">.
document.addEventListener("click", function (event) {
  var button = event.target.closest && event.target.closest("[data-confirm-form]");
  if (button && !window.confirm(button.getAttribute("data-confirm-form"))) {
    event.preventDefault();
  }
});

// Live updates (GET /api/v1/events): a region marked <div data-live="ticket,registration"> is
// re-read from the server when an event of those kinds arrives (at most once a second), and the
// bell in the top bar counts what is addressed to the user. EventSource reconnects by itself and
// sends Last-Event-ID, so nothing is missed across a dropped connection.
document.addEventListener("DOMContentLoaded", function () {
  var bell = document.getElementById("bell");
  if (!bell || !window.EventSource) return;
  var regions = Array.prototype.slice.call(document.querySelectorAll("[data-live]"));
  var pending = null;
  var mine = [];
  try { mine = JSON.parse(sessionStorage.getItem("aglis.bell") || "[]"); } catch (e) { mine = []; }
  function drawBell() {
    var count = bell.querySelector(".bell-count");
    count.textContent = String(mine.length);
    count.hidden = mine.length === 0;
    bell.hidden = false;
  }
  function refresh() {
    pending = null;
    fetch(window.location.href, { headers: { "X-Live-Refresh": "1" }, credentials: "same-origin" })
      .then(function (res) { return res.ok ? res.text() : null; })
      .then(function (html) {
        if (!html) return;
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.querySelectorAll("[data-live]");
        regions.forEach(function (region, i) {
          // Not while the user is typing in it or has ticked rows for a bulk action.
          var busy = region.contains(document.activeElement) || region.querySelector("input[type=checkbox]:checked");
          if (fresh[i] && !busy) region.innerHTML = fresh[i].innerHTML;
        });
      })
      .catch(function () {});
  }
  // One stream while the page is shown: a hidden tab or a page left for the next one closes it (a
  // browser gives a site only six HTTP/1.1 connections; open streams in background tabs would use
  // them up), and coming back reopens it from the last event seen, so nothing is missed.
  var source = null;
  var lastId = null;
  function onMessage(message) {
    if (message.lastEventId) lastId = message.lastEventId;
    var event;
    try { event = JSON.parse(message.data); } catch (e) { return; }
    var family = String(event.kind || "").split(".")[0];
    if (event.for_me && event.number) {
      mine.unshift({ id: event.ticket_id, number: event.number, kind: event.kind });
      mine = mine.slice(0, 20);
      sessionStorage.setItem("aglis.bell", JSON.stringify(mine));
      drawBell();
    }
    var wanted = regions.some(function (r) { return (r.getAttribute("data-live") || "").split(",").indexOf(family) >= 0; });
    if (wanted && !pending) pending = setTimeout(refresh, 1000);
  }
  function openStream() {
    if (source) return;
    var url = "/api/v1/events" + (lastId ? "?last_event_id=" + encodeURIComponent(lastId) : "");
    source = new EventSource(url);
    document.body.setAttribute("data-live-stream", "connecting");
    source.onopen = function () { document.body.setAttribute("data-live-stream", "open"); };
    source.onmessage = onMessage;
  }
  function closeStream() {
    if (!source) return;
    source.close();
    source = null;
    document.body.setAttribute("data-live-stream", "closed");
  }
  document.addEventListener("visibilitychange", function () { if (document.hidden) closeStream(); else openStream(); });
  window.addEventListener("pagehide", closeStream);
  window.addEventListener("pageshow", function (e) { if (e.persisted) openStream(); });
  if (!document.hidden) openStream();
  drawBell();
  bell.addEventListener("click", function (e) {
    e.preventDefault();
    var open = document.querySelector(".bell-panel");
    if (open) { open.remove(); return; }
    var panel = document.createElement("div");
    panel.className = "bell-panel";
    var list = document.createElement("ul");
    if (mine.length === 0) {
      var li = document.createElement("li");
      li.textContent = bell.getAttribute("data-empty");
      list.appendChild(li);
    }
    mine.forEach(function (item) {
      var li = document.createElement("li");
      var a = document.createElement("a");
      a.href = "/tickets/" + encodeURIComponent(item.id);
      a.textContent = item.number;
      li.appendChild(a);
      list.appendChild(li);
    });
    panel.appendChild(list);
    document.body.appendChild(panel);
    mine = [];
    sessionStorage.setItem("aglis.bell", "[]");
    drawBell();
  });
});

// Bulk actions: <input type="checkbox" data-check-all="ids"> ticks every box named "ids".
document.addEventListener("change", function (event) {
  var box = event.target;
  var name = box.getAttribute && box.getAttribute("data-check-all");
  if (name) {
    document.querySelectorAll('input[type=checkbox][name="' + name + '"]').forEach(function (b) {
      b.checked = box.checked;
    });
  }
});

// The new-ticket form offers only the categories of the chosen ticket type.
document.addEventListener("DOMContentLoaded", function () {
  var category = document.getElementById("ticket-category");
  var type = category && category.form && category.form.elements.namedItem("type");
  if (!type) return;
  function follow() {
    var groups = category.querySelectorAll("optgroup");
    for (var i = 0; i < groups.length; i++) {
      var other = groups[i].getAttribute("data-type") !== type.value;
      groups[i].hidden = other;
      groups[i].disabled = other;
    }
    var chosen = category.options[category.selectedIndex];
    if (chosen && chosen.parentNode.disabled) category.value = "";
  }
  type.addEventListener("change", follow);
  follow();
});
