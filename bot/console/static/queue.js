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
      fact("Sprog", item.language_label),
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

  // A card already in the list is updated where it is, so a keyboard user's focus on its link stays
  // put; only new cards are added and gone ones removed.
  function update(node, fresh) {
    node.className = fresh.className;
    var link = node.querySelector("h3 a");
    var freshLink = fresh.querySelector("h3 a");
    link.textContent = freshLink.textContent;
    link.setAttribute("href", freshLink.getAttribute("href"));
    while (node.lastElementChild && node.lastElementChild.tagName !== "H3") { node.removeChild(node.lastElementChild); }
    Array.prototype.slice.call(fresh.children, 1).forEach(function (child) { node.appendChild(child); });
  }

  function fill(listId, emptyId, countId, items, waiting) {
    var list = document.getElementById(listId);
    var old = {};
    Array.prototype.forEach.call(list.children, function (node) { old[node.getAttribute("data-conversation-id")] = node; });
    var keep = {};
    items.forEach(function (item) { keep[item.id] = true; });
    Object.keys(old).forEach(function (id) { if (!keep[id]) { list.removeChild(old[id]); } });
    items.forEach(function (item, index) {
      var node = old[item.id];
      if (node) { update(node, card(item, waiting)); } else { node = card(item, waiting); }
      var there = list.children[index] || null;
      if (there !== node) { list.insertBefore(node, there); }
    });
    document.getElementById(countId).textContent = String(items.length);
    var empty = document.getElementById(emptyId);
    if (items.length) { empty.setAttribute("hidden", ""); } else { empty.removeAttribute("hidden"); }
  }

  function cardLink(conversationId) {
    var found = null;
    Array.prototype.some.call(document.querySelectorAll(".cards > .card"), function (node) {
      if (node.getAttribute("data-conversation-id") === conversationId) { found = node.querySelector("h3 a"); }
      return found !== null;
    });
    return found;
  }

  // A card that moved to the other list, or left both, takes the focus with it when it had it: to
  // its link in the new list, or to the heading of the list it left. Never to the page itself.
  function render(data) {
    var active = document.activeElement;
    var focusedCard = active && active.closest ? active.closest(".cards > .card") : null;
    var focusedId = focusedCard ? focusedCard.getAttribute("data-conversation-id") : null;
    var focusedList = focusedCard ? focusedCard.parentElement : null;
    fill("waiting-list", "waiting-empty", "waiting-count", data.waiting, true);
    fill("active-list", "active-empty", "active-count", data.active, false);
    if (!focusedId || (document.activeElement && document.activeElement !== document.body)) { return; }
    var link = cardLink(focusedId);
    if (link) {
      link.focus();
      return;
    }
    var heading = document.getElementById(focusedList.closest("section").getAttribute("aria-labelledby"));
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }

  BH.onQueue(render);
  // Waiting times move on even when nothing else happens; only the numbers change, focus stays put.
  window.setInterval(function () {
    Array.prototype.forEach.call(document.querySelectorAll(".waited"), function (node) {
      node.textContent = BH.waitedText(node.getAttribute("data-since"));
    });
  }, 30000);
}());
