// The event tester: builds or reads the event, calls the test API with the session's CSRF
// token, and pages through the request/response exchanges. Text only: nothing from the
// answer is ever inserted as HTML.
(function () {
  "use strict";

  var root = document.getElementById("tester");
  if (!root) return;
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var sendButton = document.getElementById("send");
  var state = document.getElementById("send-state");
  var empty = document.getElementById("result-empty");
  var body = document.getElementById("result-body");
  var outcomeBox = document.getElementById("outcome");
  var title = document.getElementById("exchange-title");
  var count = document.getElementById("exchange-count");
  var prev = document.getElementById("prev");
  var next = document.getElementById("next");
  var holder = document.getElementById("exchange");
  var mappingsBox = document.getElementById("mappings");
  var exchanges = [];
  var index = 0;

  var OUTCOMES = {
    delivered: "Delivered: the destination accepted the event.",
    retry: "Not delivered. A real delivery would be retried later",
    failed: "Failed: the destination refused the event",
    rejected: "Rejected before sending: the event is not valid",
    skipped: "Not sent: the event's integrations object turns this destination off",
    filtered: "Not sent: filtered out",
    unsupported: "Not sent: this destination does not take this kind of call"
  };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = text;
    return node;
  }

  function parseValue(text) {
    if (text === "true") return true;
    if (text === "false") return false;
    if (text !== "" && !isNaN(Number(text))) return Number(text);
    return text;
  }

  function built() {
    var type = document.getElementById("build-type").value;
    var name = document.getElementById("build-name").value.trim();
    var user = document.getElementById("build-user").value.trim();
    var group = document.getElementById("build-group").value.trim();
    var fields = {};
    document.getElementById("build-props").value.split("\n").forEach(function (line) {
      var at = line.indexOf("=");
      if (at < 1) return;
      fields[line.slice(0, at).trim()] = parseValue(line.slice(at + 1).trim());
    });
    var event = { type: type };
    if (user) event.userId = user;
    if (type === "track") event.event = name;
    if (type === "page" || type === "screen") event.name = name;
    if (type === "group") event.groupId = group;
    if (type === "identify" || type === "group") event.traits = fields;
    else event.properties = fields;
    return event;
  }

  function currentEvent() {
    var building = document.getElementById("tab-build").getAttribute("aria-selected") === "true";
    if (building) return built();
    return JSON.parse(document.getElementById("event-json").value);
  }

  function pretty(text) {
    if (!text) return "";
    try { return JSON.stringify(JSON.parse(text), null, 2); } catch (e) { return text; }
  }

  function headersText(headers) {
    return Object.keys(headers || {}).map(function (k) { return k + ": " + headers[k]; }).join("\n");
  }

  function section(label, lines, bodyText) {
    var box = el("div", "hop-box");
    box.appendChild(el("h4", "", label));
    lines.forEach(function (line) { box.appendChild(el("div", "status-line", line)); });
    if (bodyText) box.appendChild(el("pre", "json", bodyText));
    return box;
  }

  function show() {
    holder.textContent = "";
    if (!exchanges.length) {
      title.textContent = "No request was made";
      count.textContent = "0 of 0";
      prev.disabled = next.disabled = true;
      return;
    }
    var x = exchanges[index];
    title.textContent = "Request " + (index + 1);
    count.textContent = (index + 1) + " of " + exchanges.length;
    prev.disabled = index === 0;
    next.disabled = index === exchanges.length - 1;
    var headers = headersText(x.request_headers);
    holder.appendChild(section("Request from Switchboard", [x.method + " " + x.url],
      (headers ? headers + "\n\n" : "") + pretty(x.request_body)));
    var answer = x.error ? ["No answer: " + x.error] :
      ["HTTP " + x.status + " · " + Math.round(x.duration_ms) + " ms"];
    var responseHeaders = headersText(x.response_headers);
    holder.appendChild(section("Response from destination", answer,
      x.error ? "" : (responseHeaders ? responseHeaders + "\n\n" : "") + (pretty(x.response_body) || "(empty body)")));
  }

  function render(result) {
    empty.hidden = true;
    body.hidden = false;
    var outcome = result.outcome || {};
    var kind = outcome.kind || "failed";
    outcomeBox.className = "outcome outcome-" + kind;
    var text = OUTCOMES[kind] || kind;
    if (outcome.reason && kind !== "delivered") text += ": " + outcome.reason;
    outcomeBox.textContent = text;
    outcomeBox.setAttribute("data-kind", kind);
    showMappings(result.mappings);
    exchanges = result.exchanges || [];
    index = 0;
    show();
  }

  // Which mappings' triggers matched, and the payload each made, before the exchanges.
  function showMappings(mappings) {
    mappingsBox.textContent = "";
    mappingsBox.hidden = !mappings || !mappings.length;
    if (mappingsBox.hidden) return;
    mappingsBox.appendChild(el("h3", null, "Mappings"));
    var list = el("ul", "trail");
    mappings.forEach(function (m) {
      var item = el("li");
      item.setAttribute("data-matched", m.matched ? "true" : "false");
      var head = el("div", "trail-head");
      head.appendChild(el("span", "strong", m.name));
      head.appendChild(el("span", "muted", " " + m.action + " · " + (m.trigger || "")));
      var state = m.matched ? ((m.outcome && m.outcome.kind) || "sent") : "trigger did not match";
      head.appendChild(el("span", "pill " + (m.matched ? "pill-on" : "pill-off"), state));
      item.appendChild(head);
      if (m.payload_error) item.appendChild(el("div", "muted", m.payload_error));
      if (m.payload) item.appendChild(el("pre", "code-block", JSON.stringify(m.payload, null, 2)));
      list.appendChild(item);
    });
    mappingsBox.appendChild(list);
  }

  prev.addEventListener("click", function () { if (index > 0) { index--; show(); } });
  next.addEventListener("click", function () { if (index < exchanges.length - 1) { index++; show(); } });

  sendButton.addEventListener("click", function () {
    var event;
    try {
      event = currentEvent();
    } catch (e) {
      state.textContent = "That is not valid JSON: " + e.message;
      return;
    }
    sendButton.disabled = true;
    state.textContent = "Sending…";
    fetch(root.getAttribute("data-endpoint"), {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
      body: JSON.stringify({ event: event })
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    }).then(function (answer) {
      if (!answer.ok) {
        var detail = answer.data && answer.data.detail;
        state.textContent = "Could not send: " + (typeof detail === "string" ? detail : JSON.stringify(detail));
        return;
      }
      state.textContent = "";
      render(answer.data);
    }).catch(function () {
      state.textContent = "Could not reach the server. Check your connection and try again.";
    }).then(function () { sendButton.disabled = false; });
  });
})();
