// The source debugger: a live list fed by Server-Sent Events, pause/resume, filters, and
// the event pane. Rows and panes arrive as HTML rendered (and escaped) by the server.
(function () {
  "use strict";

  var root = document.getElementById("debugger");
  if (!root) return;
  var list = document.getElementById("stream");
  var empty = document.getElementById("stream-empty");
  var pane = document.getElementById("pane");
  var live = document.getElementById("live-state");
  var liveText = live.querySelector(".live-text");
  var pauseButton = document.getElementById("pause");
  var resumeButton = document.getElementById("resume");
  var banner = document.getElementById("paused-banner");
  var bannerCount = document.getElementById("paused-count");
  var typeSelect = document.getElementById("filter-type");
  var search = document.getElementById("filter-q");
  var maxRows = parseInt(root.getAttribute("data-max-rows"), 10) || 500;

  var source = null;
  var paused = false;
  var waiting = []; // rows that arrived while paused, newest first
  var selected = null;
  var searchTimer = null;

  function setState(kind, text) {
    live.classList.toggle("is-paused", kind === "paused");
    live.classList.toggle("is-offline", kind === "offline");
    liveText.textContent = text;
  }

  function toElement(html) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    return template.content.firstElementChild;
  }

  function showEmpty() {
    empty.hidden = list.children.length > 0;
  }

  function insert(rows, fresh) {
    // `rows` are newest first: put the oldest in first so the newest ends on top.
    for (var i = rows.length - 1; i >= 0; i--) {
      var row = rows[i];
      if (list.querySelector('[data-key="' + row.key + '"]')) continue;
      var element = toElement(row.html);
      if (!element) continue;
      if (fresh) element.classList.add("is-new");
      list.insertBefore(element, list.firstChild);
    }
    while (list.children.length > maxRows) list.removeChild(list.lastChild);
    showEmpty();
  }

  function onRows(message) {
    var data = JSON.parse(message.data);
    if (data.reset) {
      list.textContent = "";
      waiting = [];
      insert(data.rows, false);
      updateBanner();
      return;
    }
    if (!data.rows.length) return;
    if (paused) {
      waiting = data.rows.concat(waiting).slice(0, maxRows);
      updateBanner();
    } else {
      insert(data.rows, true);
    }
  }

  function updateBanner() {
    banner.hidden = !paused;
    bannerCount.textContent = String(waiting.length);
  }

  function streamUrl() {
    var params = new URLSearchParams();
    if (typeSelect.value) params.set("type", typeSelect.value);
    if (search.value.trim()) params.set("q", search.value.trim());
    var query = params.toString();
    return { stream: root.getAttribute("data-stream") + (query ? "?" + query : ""), query: query };
  }

  function connect() {
    if (source) source.close();
    var urls = streamUrl();
    history.replaceState(null, "", window.location.pathname + (urls.query ? "?" + urls.query : ""));
    setState("offline", "Connecting…");
    source = new EventSource(urls.stream);
    source.addEventListener("open", function () {
      setState(paused ? "paused" : "live", paused ? "Paused" : "Live");
    });
    source.addEventListener("rows", onRows);
    source.addEventListener("error", function () {
      if (source.readyState === EventSource.CLOSED) {
        setState("offline", "Disconnected: reload the page");
      } else {
        setState("offline", "Reconnecting…");
      }
    });
  }

  function setPaused(value) {
    paused = value;
    pauseButton.textContent = paused ? "Resume" : "Pause";
    pauseButton.setAttribute("aria-pressed", paused ? "true" : "false");
    if (!paused && waiting.length) {
      insert(waiting, true);
      waiting = [];
    }
    updateBanner();
    setState(paused ? "paused" : "live", paused ? "Paused" : "Live");
  }

  pauseButton.addEventListener("click", function () { setPaused(!paused); });
  resumeButton.addEventListener("click", function () { setPaused(false); });
  typeSelect.addEventListener("change", connect);
  search.addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(connect, 300);
  });
  document.getElementById("debugger-filter").addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(searchTimer);
    connect();
  });

  function open(row) {
    if (selected) selected.setAttribute("aria-selected", "false");
    selected = row;
    row.setAttribute("aria-selected", "true");
    fetch(row.getAttribute("data-pane"), { headers: { Accept: "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) { pane.innerHTML = html; })
      .catch(function () { pane.textContent = "Could not load this event. Check your connection."; });
  }

  list.addEventListener("click", function (event) {
    var row = event.target.closest(".stream-row");
    if (row) open(row);
  });
  list.addEventListener("keydown", function (event) {
    var row = event.target.closest(".stream-row");
    if (!row) return;
    if (event.key === "Enter" || event.key === " ") { event.preventDefault(); open(row); }
    if (event.key === "ArrowDown" && row.nextElementSibling) row.nextElementSibling.focus();
    if (event.key === "ArrowUp" && row.previousElementSibling) row.previousElementSibling.focus();
  });

  showEmpty();
  connect();
})();
