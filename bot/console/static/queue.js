/* The queue page: waiting citizens, oldest first, and the conversations staff have now. */
(function () {
  "use strict";
  var BH = window.BHConsole;
  var el = BH.el;

  function fact(term, value, props) {
    if (!value && value !== 0) { return null; }
    var detail = el("dd", props || {});
    detail.textContent = String(value);
    return [el("dt", { text: term }), detail];
  }

  function card(item, waiting) {
    var facts = el("dl", { className: "facts-inline" });
    [
      waiting
        ? fact("Venter", BH.waitedText(item.waiting_since), { className: "waited", "data-since": item.waiting_since })
        : fact("Hos", item.assigned_name || "en medarbejder"),
      fact("Årsag", item.reason_label),
      fact("Kanal", item.channel_label),
      fact("Beskeder fra borgeren", item.citizen_messages)
    ].forEach(function (pair) {
      if (pair) { facts.appendChild(pair[0]); facts.appendChild(pair[1]); }
    });
    var title = item.topic_label || "Uden emne";
    return el("li", { className: "card" + (waiting ? " card--waiting" : ""), "data-conversation-id": item.id }, [
      el("h3", {}, [el("a", { href: "/staff/conversations/" + item.id, text: title })]),
      facts,
      item.summary ? el("p", { className: "summary", text: item.summary }) : null
    ]);
  }

  function fill(listId, emptyId, countId, items, waiting) {
    var list = document.getElementById(listId);
    list.textContent = "";
    items.forEach(function (item) { list.appendChild(card(item, waiting)); });
    document.getElementById(countId).textContent = String(items.length);
    var empty = document.getElementById(emptyId);
    if (items.length) { empty.setAttribute("hidden", ""); } else { empty.removeAttribute("hidden"); }
  }

  function render(data) {
    fill("waiting-list", "waiting-empty", "waiting-count", data.waiting, true);
    fill("active-list", "active-empty", "active-count", data.active, false);
  }

  BH.onQueue(render);
  // Waiting times move on even when nothing else happens; only the numbers change, focus stays put.
  window.setInterval(function () {
    Array.prototype.forEach.call(document.querySelectorAll(".waited"), function (node) {
      node.textContent = BH.waitedText(node.getAttribute("data-since"));
    });
  }, 30000);
}());
