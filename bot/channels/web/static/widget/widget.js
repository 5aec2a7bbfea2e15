/*
 * Borgerhjælp chat widget. One script tag on any page:
 *
 *   <script src="https://chat.example.dk/widget/widget.js" defer
 *           data-municipality="Eksempel Kommune" data-color="#00587c"></script>
 *
 * data-gateway (optional): the gateway's address; by default the address the script came from.
 * data-color (optional): the municipality's colour; text on it is made black or white for contrast.
 * data-idle-minutes (optional, default 30): after this long without the citizen writing or opening
 * the chat, the conversation is forgotten in this browser.
 *
 * Shared computers (a library, a kiosk): the conversation is kept in `sessionStorage` only, so it
 * ends with the tab, and it is forgotten after the idle time or with "Afslut samtale". Forgetting
 * also takes a new visitor id, and the gateway hands a conversation only to the visitor id that
 * opened it, so the next person cannot resume it from this browser.
 *
 * The widget's own words are Danish or English: the host page's `lang` first, then the citizen's
 * choice with the language switch in the header (or a language button in the conversation), which
 * also asks the assistant to answer in that language.
 *
 * Text from the citizen, the assistant and staff is only ever put into the page as text nodes;
 * links are made with createElement and only for http(s) addresses.
 */
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || window.__borgerhjaelpWidget) {
    return;
  }
  window.__borgerhjaelpWidget = true;

  var gateway = (script.getAttribute("data-gateway") || new URL(script.src, location.href).origin).replace(/\/+$/, "");
  var municipality = script.getAttribute("data-municipality") || "kommunen";
  var color = script.getAttribute("data-color") || "#00587c";
  var storageKey = "borgerhjaelp:" + gateway;
  var outboxKey = "borgerhjaelp-outbox:" + gateway;
  var DEFAULT_IDLE_MINUTES = 30;
  var idleMinutes = parseFloat(script.getAttribute("data-idle-minutes"));
  var IDLE_MS = (idleMinutes > 0 ? idleMinutes : DEFAULT_IDLE_MINUTES) * 60000;
  var MAX_BACKOFF_MS = 15000;

  var TEXTS = {
    da: {
      status: {
        bot: "Du skriver med en chatbot.",
        waiting: "Du venter på en medarbejder. Du kan skrive imens.",
        human: "Du skriver med en medarbejder.",
        closed: "Samtalen er afsluttet. Skriv igen, hvis du har flere spørgsmål."
      },
      sender: { bot: "Chatbot", system: "Besked", citizen: "Dig", staff: "Medarbejder" },
      staffSuffix: " (medarbejder)",
      wait: "Du har sendt mange beskeder på kort tid. Vi sender resten om et øjeblik.",
      launcher: "Chat med os",
      unreadOne: "1 ny besked",
      unreadMany: " nye beskeder",
      title: "Chat med ",
      largerText: "Større tekst",
      closeChat: "Luk chatten",
      log: "Beskeder i samtalen",
      botTyping: "Chatbotten skriver",
      staffTyping: "Medarbejderen skriver",
      inputLabel: "Skriv din besked",
      placeholder: "Skriv din besked her",
      hint: "Skriv ikke dit CPR-nummer, adgangskoder eller kortnumre.",
      send: "Send",
      sending: " Sender …",
      choices: "Svarmuligheder",
      tooLong: "Din besked er for lang. Den må højst være {max} tegn.",
      splitUp: " Del den gerne op i flere beskeder.",
      notSent: "Beskeden blev ikke sendt. Prøv igen.",
      empty: "Skriv en besked først.",
      slowDown: "Du har sendt mange beskeder på kort tid. Vent et øjeblik, og prøv igen.",
      tooManyConversations: "Du har startet mange nye samtaler på kort tid. Vent lidt, før du starter en ny samtale.",
      tooManyWindows: "Der er åbnet for mange chatvinduer fra din forbindelse. Luk et af dem, og prøv igen.",
      busy: "Der er travlt i chatten lige nu. Vi prøver igen om lidt.",
      reconnecting: "Forbindelsen blev afbrudt. Vi prøver igen …",
      reconnected: "Forbindelsen er tilbage.",
      deleted: "Din samtale er slettet. Du kan skrive igen, hvis du vil starte en ny.",
      endChat: "Afslut samtale",
      confirmEnd: "Vil du afslutte samtalen? Så bliver den glemt på denne computer, og den næste kan ikke se den.",
      confirmYes: "Ja, afslut",
      confirmNo: "Nej, fortsæt",
      ended: "Samtalen er afsluttet. Den er glemt på denne computer.",
      idleEnded: "Samtalen er lukket, fordi der ikke er skrevet i et stykke tid. Den er glemt på denne computer.",
      // The switch is written in the language it switches to, so a newcomer can read it.
      switchTo: "en",
      switchLabel: "English",
      switchName: "Write in English"
    },
    en: {
      status: {
        bot: "You are writing with a chatbot.",
        waiting: "You are waiting for a staff member. You can write in the meantime.",
        human: "You are writing with a staff member.",
        closed: "The conversation has ended. Write again if you have more questions."
      },
      sender: { bot: "Chatbot", system: "Message", citizen: "You", staff: "Staff member" },
      staffSuffix: " (staff member)",
      wait: "You have sent many messages in a short time. We will send the rest in a moment.",
      launcher: "Chat with us",
      unreadOne: "1 new message",
      unreadMany: " new messages",
      title: "Chat with ",
      largerText: "Larger text",
      closeChat: "Close the chat",
      log: "Messages in the conversation",
      botTyping: "The chatbot is writing",
      staffTyping: "The staff member is writing",
      inputLabel: "Write your message",
      placeholder: "Write your message here",
      hint: "Do not write your CPR number, passwords or card numbers.",
      send: "Send",
      sending: " Sending …",
      choices: "Choices",
      tooLong: "Your message is too long. It may have at most {max} characters.",
      splitUp: " You can split it into several messages.",
      notSent: "The message was not sent. Please try again.",
      empty: "Write a message first.",
      slowDown: "You have sent many messages in a short time. Wait a moment and try again.",
      tooManyConversations: "You have started many new conversations in a short time. Wait a while before you start a new one.",
      tooManyWindows: "Too many chat windows are open from your connection. Close one of them and try again.",
      busy: "The chat is busy right now. We will try again in a little while.",
      reconnecting: "The connection was lost. We are trying again …",
      reconnected: "The connection is back.",
      deleted: "Your conversation has been deleted. You can write again to start a new one.",
      endChat: "End conversation",
      confirmEnd: "Do you want to end the conversation? Then it is forgotten on this computer, and the next person cannot see it.",
      confirmYes: "Yes, end it",
      confirmNo: "No, continue",
      ended: "The conversation has ended. It is forgotten on this computer.",
      idleEnded: "The conversation was closed because nothing was written for a while. It is forgotten on this computer.",
      switchTo: "da",
      switchLabel: "Dansk",
      switchName: "Skriv på dansk"
    }
  };
  var CHANGE_LANGUAGE = /^\/change_language\{"language":"(da|en)"\}$/;

  // State ---------------------------------------------------------------------------------------

  var saved = load();
  var visitorId = saved.visitorId || randomId();
  var conversationId = saved.conversationId || null;
  var isOpen = !!saved.open;
  var largeText = !!saved.largeText;
  var language = TEXTS[saved.language] ? saved.language : pageLanguage();
  // When the citizen last wrote or opened the chat; the idle time counts from here.
  var activeAt = saved.activeAt || Date.now();
  var idleTimer = null;
  var maxLength = 1000;
  var lastId = 0;
  // The newest message the citizen has already been told about; history shown again after a reload
  // up to this id is not read aloud a second time.
  var seenId = saved.conversationId ? saved.seenId || 0 : 0;
  var unread = 0;
  var shown = {};
  // Messages not yet confirmed by the gateway: {clientId, text, payload, held}. Kept for the tab's
  // lifetime, so what the citizen wrote while offline is still sent after a reload.
  var outbox = loadOutbox();
  var RESEND_AFTER_MS = 2000;
  var resendTimer = null;
  var socket = null;
  var welcomed = false;
  var startRequested = false;
  var attempts = 0;
  var reconnectTimer = null;
  var typingSent = false;
  var typingTimer = null;
  var state = "bot";

  function load() {
    try {
      // Older versions kept the conversation here, with no end: the next person on the computer got it.
      window.localStorage.removeItem(storageKey);
    } catch (e) { /* no storage at all */ }
    try {
      var stored = JSON.parse(window.sessionStorage.getItem(storageKey) || "{}") || {};
      if (stored.conversationId && !(Date.now() - (stored.activeAt || 0) < IDLE_MS)) {
        forgetStored(); // left alone too long: start afresh, with a new visitor id
        return {};
      }
      return stored;
    } catch (e) {
      return {};
    }
  }

  function forgetStored() {
    try {
      window.sessionStorage.removeItem(storageKey);
      window.sessionStorage.removeItem(outboxKey);
    } catch (e) { /* nothing was stored */ }
  }

  function pageLanguage() {
    return /^en\b/i.test(document.documentElement.lang || "") ? "en" : "da";
  }

  function t(key) {
    return TEXTS[language][key];
  }

  function tooLong(split) {
    return t("tooLong").replace("{max}", String(maxLength)) + (split ? t("splitUp") : "");
  }

  function save() {
    try {
      window.sessionStorage.setItem(
        storageKey,
        JSON.stringify({
          visitorId: visitorId, conversationId: conversationId, open: isOpen, largeText: largeText, seenId: seenId,
          language: language, activeAt: activeAt
        })
      );
    } catch (e) {
      /* Private browsing without storage: the conversation lasts as long as the page. */
    }
  }

  function loadOutbox() {
    try {
      var items = JSON.parse(window.sessionStorage.getItem(outboxKey) || "[]");
      return Array.isArray(items) ? items.filter(function (item) { return item && typeof item.clientId === "string"; }) : [];
    } catch (e) {
      return [];
    }
  }

  function saveOutbox() {
    try {
      if (outbox.length) {
        window.sessionStorage.setItem(outboxKey, JSON.stringify(outbox));
      } else {
        window.sessionStorage.removeItem(outboxKey);
      }
    } catch (e) {
      /* Without storage the messages are kept as long as the page is open. */
    }
  }

  function randomId() {
    var bytes = new Uint8Array(16);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  // Colours: pick black or white text on the municipality's colour, whichever reads better -------

  function luminance(hex) {
    var m = /^#?([0-9a-f]{6})$/i.exec(hex.trim());
    if (!m) { return null; }
    var n = parseInt(m[1], 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255].map(function (c) {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : Math.pow((c + 0.055) / 1.055, 2.4);
    }).reduce(function (sum, c, i) { return sum + c * [0.2126, 0.7152, 0.0722][i]; }, 0);
  }

  function contrast(a, b) {
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  }

  // Building the widget ---------------------------------------------------------------------------

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") {
        node.textContent = attrs[name];
      } else if (name === "className") {
        node.className = attrs[name];
      } else {
        node.setAttribute(name, attrs[name]);
      }
    });
    (children || []).forEach(function (child) { node.appendChild(child); });
    return node;
  }

  var stylesheet = el("link", { rel: "stylesheet", href: gateway + "/widget/widget.css" });
  document.head.appendChild(stylesheet);

  var root = el("div", { className: "bh-root", "data-borgerhjaelp": "" });
  var BUBBLE_LUMINANCE = luminance("#eef1f3"); // --bh-bubble in widget.css
  var primary = luminance(color);
  if (primary !== null) {
    // Black or white, whichever stands out more: one of them always reaches 4.5:1 (WCAG 1.4.3);
    // a near-black fallback can miss it on mid-tone colours.
    root.style.setProperty("--bh-primary", color);
    root.style.setProperty("--bh-on-primary", contrast(1, primary) >= contrast(0, primary) ? "#ffffff" : "#000000");
    // Links and answer buttons use the colour as text on the light message bubble, when it reads well there.
    root.style.setProperty("--bh-accent", contrast(BUBBLE_LUMINANCE, primary) >= 4.5 ? color : "#1f1f1f");
  }

  var launcher = el("button", {
    type: "button",
    className: "bh-launcher",
    "aria-expanded": "false",
    "aria-controls": "bh-panel"
  }, [el("span", { className: "bh-launcher-icon", "aria-hidden": "true" }), el("span", { className: "bh-launcher-text" })]);
  // Seen on the button; the button's name says it too: "Chat med os, 1 ny besked".
  var unreadBadge = el("span", { className: "bh-unread", "aria-hidden": "true", hidden: "" });
  launcher.appendChild(unreadBadge);

  var title = el("h2", { id: "bh-title", className: "bh-title" });
  var statusLine = el("p", { id: "bh-state", className: "bh-state" });
  var languageButton = el("button", { type: "button", className: "bh-tool bh-language" });
  var sizeButton = el("button", { type: "button", className: "bh-tool", "aria-pressed": "false" });
  var closeButton = el("button", { type: "button", className: "bh-tool bh-close" },
    [el("span", { "aria-hidden": "true", text: "×" })]);
  var header = el("div", { className: "bh-header" }, [
    el("div", { className: "bh-heading" }, [title, statusLine]),
    el("div", { className: "bh-tools" }, [languageButton, sizeButton, closeButton])
  ]);

  var log = el("ol", { className: "bh-log", tabindex: "0" });
  var typing = el("p", { className: "bh-typing", hidden: "" }, [
    el("span", { className: "bh-dots", "aria-hidden": "true" }, [el("span"), el("span"), el("span")]),
    el("span", { className: "bh-typing-text" })
  ]);
  var notice = el("p", { className: "bh-notice", role: "status", "aria-live": "polite" });
  // Read aloud by screen readers: one new paragraph per message, so one never replaces the other.
  // It sits outside the panel, so it also works while the chat is closed.
  var announcer = el("div", { className: "bh-visually-hidden bh-announcer", "aria-live": "polite", "aria-relevant": "additions" });
  var MAX_ANNOUNCEMENTS = 20;

  var inputLabel = el("label", { for: "bh-input", className: "bh-visually-hidden" });
  var input = el("textarea", {
    id: "bh-input",
    className: "bh-input",
    rows: "2",
    "aria-describedby": "bh-hint bh-error",
    autocomplete: "off"
  });
  var hint = el("p", { id: "bh-hint", className: "bh-hint" });
  var error = el("p", { id: "bh-error", className: "bh-error", role: "alert" });
  var sendButton = el("button", { type: "submit", className: "bh-send" });
  // "Afslut samtale": for a shared computer, so the next person cannot read or continue it.
  var endButton = el("button", { type: "button", className: "bh-end" });
  var form = el("form", { className: "bh-form", novalidate: "" }, [
    inputLabel,
    el("div", { className: "bh-input-row" }, [input, sendButton]),
    error,
    el("div", { className: "bh-form-footer" }, [hint, endButton])
  ]);
  var confirmText = el("p", { id: "bh-confirm-text", className: "bh-confirm-text" });
  var confirmYes = el("button", { type: "button", className: "bh-confirm-yes" });
  var confirmNo = el("button", { type: "button", className: "bh-confirm-no" });
  var confirmBox = el("div", { className: "bh-confirm", role: "group", "aria-labelledby": "bh-confirm-text", hidden: "" }, [
    confirmText,
    el("div", { className: "bh-confirm-buttons" }, [confirmYes, confirmNo])
  ]);

  var panel = el("section", {
    id: "bh-panel",
    className: "bh-panel",
    role: "dialog",
    "aria-modal": "false",
    "aria-labelledby": "bh-title",
    "aria-describedby": "bh-state",
    hidden: ""
  }, [header, log, typing, notice, confirmBox, form]);

  root.appendChild(panel);
  root.appendChild(launcher);
  root.appendChild(announcer);
  applyLanguage();

  // Every word of the widget's own in the chosen language; messages already shown stay as written.
  function applyLanguage() {
    root.setAttribute("lang", language);
    launcher.querySelector(".bh-launcher-text").textContent = t("launcher");
    setUnread(unread);
    title.textContent = t("title") + municipality;
    statusLine.textContent = t("status")[state] || t("status").bot;
    languageButton.textContent = t("switchLabel");
    languageButton.setAttribute("lang", t("switchTo"));
    languageButton.setAttribute("aria-label", t("switchName"));
    languageButton.setAttribute("title", t("switchName"));
    sizeButton.textContent = t("largerText");
    closeButton.setAttribute("aria-label", t("closeChat"));
    log.setAttribute("aria-label", t("log"));
    typing.querySelector(".bh-typing-text").textContent = t("botTyping");
    inputLabel.textContent = t("inputLabel");
    input.setAttribute("placeholder", t("placeholder"));
    hint.textContent = t("hint");
    sendButton.textContent = t("send");
    endButton.textContent = t("endChat");
    confirmText.textContent = t("confirmEnd");
    confirmYes.textContent = t("confirmYes");
    confirmNo.textContent = t("confirmNo");
  }

  function setLanguage(next) {
    if (!TEXTS[next] || next === language) { return; }
    language = next;
    applyLanguage();
    save();
  }

  function mount() {
    document.body.appendChild(root);
    applyTextSize();
    showOutbox();
    if (isOpen) {
      open(false);
    } else if (conversationId || outbox.length) {
      connect();
    }
  }

  // Messages ------------------------------------------------------------------------------------

  var LINK = /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]])|\*\*([^*\n]{1,200})\*\*/g;

  function safeUrl(value) {
    try {
      var url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (e) {
      return null;
    }
  }

  function link(label, href) {
    var url = safeUrl(href);
    if (!url) {
      return document.createTextNode(label);
    }
    var a = el("a", { href: url, target: "_blank", rel: "noopener noreferrer", text: label });
    a.appendChild(el("span", { className: "bh-visually-hidden", text: " (åbner i et nyt vindue)" }));
    return a;
  }

  function renderText(container, text) {
    var index = 0;
    var match;
    LINK.lastIndex = 0;
    while ((match = LINK.exec(text)) !== null) {
      container.appendChild(document.createTextNode(text.slice(index, match.index)));
      if (match[1]) {
        container.appendChild(link(match[1], match[2]));
      } else if (match[3]) {
        container.appendChild(link(match[3], match[3]));
      } else {
        container.appendChild(el("strong", { text: match[4] }));
      }
      index = LINK.lastIndex;
    }
    container.appendChild(document.createTextNode(text.slice(index)));
  }

  function senderLabel(message) {
    if (message.sender === "staff" && message.staff_name) {
      return message.staff_name + t("staffSuffix");
    }
    return t("sender")[message.sender] || t("sender").system;
  }

  function messageNode(message, pending) {
    var item = el("li", { className: "bh-msg bh-msg--" + message.sender + (pending ? " bh-msg--pending" : "") });
    item.appendChild(el("span", {
      className: message.sender === "citizen" ? "bh-visually-hidden" : "bh-who",
      text: senderLabel(message) + ":"
    }));
    item.appendChild(document.createTextNode(" "));
    var body = el("span", { className: "bh-text" });
    renderText(body, message.text || "");
    item.appendChild(body);
    if (pending) {
      item.appendChild(el("span", { className: "bh-sending", text: t("sending") }));
    }
    if (message.buttons && message.buttons.length) {
      var group = el("div", { className: "bh-buttons", role: "group", "aria-label": t("choices") });
      message.buttons.forEach(function (button) {
        var choice = el("button", { type: "button", className: "bh-choice", text: button.title });
        choice.addEventListener("click", function () {
          sendMessage(button.title, button.payload);
          // The answered buttons are removed; without this, keyboard focus falls back to the page's start.
          input.focus();
        });
        group.appendChild(choice);
      });
      item.appendChild(group);
    }
    return item;
  }

  function showMessage(message, live) {
    if (shown[message.id]) {
      return;
    }
    shown[message.id] = true;
    lastId = Math.max(lastId, message.id);
    var confirmed = message.client_message_id && log.querySelector('[data-client-id="' + cssEscape(message.client_message_id) + '"]');
    if (message.client_message_id) {
      outbox = outbox.filter(function (item) { return item.clientId !== message.client_message_id; });
      saveOutbox();
      if (!outbox.length && notice.textContent === t("wait")) { setNotice(""); }
    }
    var node = messageNode(message, false);
    node.setAttribute("data-id", String(message.id));
    if (confirmed) {
      log.replaceChild(node, confirmed);
    } else {
      insertInOrder(node, message.id);
    }
    // Also after an assistant message: one that arrives late (the greeting, after the citizen has
    // already written) lands before the citizen's message, and its buttons no longer apply.
    dropOldChoices();
    if (live && message.sender !== "citizen" && message.id > seenId) {
      announce(spokenText(message, node));
      if (!isOpen) { setUnread(unread + 1); }
    }
    if (message.id > seenId) {
      seenId = message.id;
      save();
    }
    scrollDown();
  }

  function insertInOrder(node, id) {
    var items = log.querySelectorAll("li[data-id]");
    for (var i = 0; i < items.length; i++) {
      if (Number(items[i].getAttribute("data-id")) > id) {
        log.insertBefore(node, items[i]);
        return;
      }
    }
    var firstPending = log.querySelector("li[data-client-id]");
    log.insertBefore(node, firstPending);
  }

  function dropOldChoices() {
    // Quick replies belong to the question they answer: once the citizen has written, or a newer
    // message brings its own (a late greeting followed by the answer), the older ones go.
    var items = log.querySelectorAll("li");
    var lastCitizen = -1;
    var lastWithChoices = -1;
    items.forEach(function (item, i) {
      if (item.classList.contains("bh-msg--citizen")) { lastCitizen = i; }
      if (item.querySelector(".bh-buttons")) { lastWithChoices = i; }
    });
    items.forEach(function (item, i) {
      if (i < lastCitizen || i < lastWithChoices) {
        item.querySelectorAll(".bh-buttons").forEach(function (group) { group.remove(); });
      }
    });
  }

  function cssEscape(value) {
    return window.CSS && CSS.escape ? CSS.escape(value) : value.replace(/[^a-zA-Z0-9_-]/g, "");
  }

  function scrollDown() {
    log.scrollTop = log.scrollHeight;
  }

  function spokenText(message, node) {
    // What is on the screen, not the raw text: links read as their label, not as "[...](https://...)".
    var text = senderLabel(message) + ": " + node.querySelector(".bh-text").textContent.trim();
    var choices = Array.prototype.map.call(node.querySelectorAll(".bh-choice"), function (b) { return b.textContent; });
    if (choices.length) {
      text += " Du kan svare: " + choices.join(", ") + ".";
    }
    return text;
  }

  function announce(text) {
    if (!text) { return; }
    announcer.appendChild(el("p", { text: text }));
    while (announcer.childNodes.length > MAX_ANNOUNCEMENTS) {
      announcer.removeChild(announcer.firstChild); // removals are not read aloud (aria-relevant)
    }
  }

  function setUnread(count) {
    unread = count;
    var text = count === 1 ? t("unreadOne") : count + t("unreadMany");
    unreadBadge.textContent = text;
    launcher.setAttribute("aria-label", count > 0 ? t("launcher") + ", " + text : t("launcher"));
    if (count > 0) { unreadBadge.removeAttribute("hidden"); } else { unreadBadge.setAttribute("hidden", ""); }
  }

  function setNotice(text) {
    notice.textContent = text || "";
  }

  function setState(next) {
    state = next || "bot";
    statusLine.textContent = t("status")[state] || t("status").bot;
  }

  function clearConversation() {
    var focusWasInLog = log.contains(document.activeElement);
    conversationId = null;
    lastId = 0;
    seenId = 0;
    setUnread(0);
    shown = {};
    outbox = [];
    saveOutbox();
    startRequested = false;
    while (log.firstChild) { log.removeChild(log.firstChild); }
    setState("bot");
    save();
    if (isOpen && focusWasInLog) {
      input.focus(); // what had focus is gone
    }
  }

  // Sending -------------------------------------------------------------------------------------

  function sendMessage(text, payload) {
    var clean = (text || "").trim();
    if (!clean && !payload) {
      return;
    }
    if (clean.length > maxLength) {
      error.textContent = tooLong(true);
      return;
    }
    error.textContent = "";
    var asked = CHANGE_LANGUAGE.exec(payload || "");
    if (asked) {
      // A language button in the conversation: the widget's own words follow at once.
      setLanguage(asked[1]);
    }
    var item = { clientId: randomId(), text: clean, payload: payload || null };
    markActive();
    outbox.push(item);
    saveOutbox();
    var node = messageNode({ sender: "citizen", text: clean }, true);
    node.setAttribute("data-client-id", item.clientId);
    log.appendChild(node);
    dropOldChoices();
    scrollDown();
    transmit(item);
  }

  function transmit(item) {
    if (socket && welcomed && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify({ type: "message", client_id: item.clientId, text: item.text, payload: item.payload }));
    } else {
      connect();
    }
  }

  function refused(data) {
    var held = data.code === "rate_limited" && outbox.filter(function (c) { return c.clientId === data.client_id; })[0];
    if (held) {
      // Too many at once, e.g. everything written while offline: keep it and send it again shortly.
      held.held = true;
      setNotice(t("wait"));
      if (!resendTimer) {
        resendTimer = window.setTimeout(resendHeld, RESEND_AFTER_MS);
      }
      return;
    }
    var item = null;
    outbox = outbox.filter(function (candidate) {
      if (candidate.clientId === data.client_id) { item = candidate; return false; }
      return true;
    });
    saveOutbox();
    var node = data.client_id && log.querySelector('[data-client-id="' + cssEscape(data.client_id) + '"]');
    if (node) { node.remove(); }
    if (item && !input.value && !item.payload) {
      input.value = item.text;
    }
    if (data.code === "too_many_conversations" && !data.client_id) {
      startRequested = false; // the start was refused: opening the chat later asks again
    }
    // The gateway's reasons are in Danish; those the widget knows it says in its own language.
    var own = {
      too_long: tooLong(true), empty: t("empty"), invalid: t("empty"), rate_limited: t("slowDown"),
      too_many_conversations: t("tooManyConversations"), too_many_connections: t("tooManyWindows"), busy: t("busy")
    }[data.code];
    error.textContent = own || data.text || t("notSent");
  }

  function resendHeld() {
    resendTimer = null;
    outbox.forEach(function (item) {
      if (item.held) {
        item.held = false;
        transmit(item);
      }
    });
  }

  function showOutbox() {
    // Written before a reload and not yet confirmed: shown as "Sender …" until the gateway has it.
    outbox.forEach(function (item) {
      var node = messageNode({ sender: "citizen", text: item.text }, true);
      node.setAttribute("data-client-id", item.clientId);
      log.appendChild(node);
    });
  }

  function sendTyping(on) {
    if (state !== "human" || !socket || !welcomed || typingSent === on) { return; }
    typingSent = on;
    socket.send(JSON.stringify({ type: "typing", on: on }));
  }

  // The connection ------------------------------------------------------------------------------

  function socketUrl() {
    return gateway.replace(/^http/, "ws") + "/ws";
  }

  function connect() {
    if (socket || reconnectTimer) {
      return;
    }
    welcomed = false;
    var current;
    try {
      current = socket = new WebSocket(socketUrl());
    } catch (e) {
      socket = null;
      scheduleReconnect();
      return;
    }
    // A connection dropped by "Afslut samtale" may still deliver or close later: it is ignored.
    socket.addEventListener("open", function () {
      if (socket !== current) { return; }
      socket.send(JSON.stringify({ type: "hello", visitor_id: visitorId, conversation_id: conversationId, after: lastId }));
    });
    socket.addEventListener("message", function (event) {
      if (socket !== current) { return; }
      var data;
      try { data = JSON.parse(event.data); } catch (e) { return; }
      receive(data);
    });
    socket.addEventListener("close", function (event) {
      if (socket !== current) { return; }
      var wasWelcomed = welcomed;
      // The gateway closes a socket nothing was sent on for a while (1000, "idle"): nothing went wrong,
      // so the widget says nothing and connects again as it would after any close; nothing is lost.
      var idle = event.code === 1000 && event.reason === "idle";
      socket = null;
      welcomed = false;
      showTyping(false, "bot");
      if (wasWelcomed && !idle) {
        setNotice(t("reconnecting"));
      }
      scheduleReconnect();
    });
  }

  function scheduleReconnect() {
    if (reconnectTimer || (!isOpen && !conversationId && !outbox.length)) {
      return;
    }
    var delay = Math.min(MAX_BACKOFF_MS, 500 * Math.pow(2, attempts)) * (0.5 + Math.random() / 2);
    attempts += 1;
    reconnectTimer = window.setTimeout(function () {
      reconnectTimer = null;
      connect();
    }, delay);
  }

  function receive(data) {
    switch (data.type) {
      case "welcome":
        welcomed = true;
        if (attempts > 0 && notice.textContent) {
          setNotice(t("reconnected"));
        }
        attempts = 0;
        maxLength = data.max_length || maxLength;
        if (conversationId && data.conversation_id !== conversationId) {
          clearConversation(); // deleted or purged meanwhile
        }
        if (data.state) { setState(data.state); }
        // Whatever did not get through before the connection went is sent again; the gateway stores it once.
        outbox.forEach(function (item) { item.held = false; });
        outbox.slice().forEach(transmit);
        if (isOpen && !conversationId && !outbox.length && !startRequested) {
          startRequested = true;
          socket.send(JSON.stringify({ type: "start" }));
        }
        break;
      case "conversation":
        conversationId = data.conversation_id;
        setState(data.state);
        save();
        scheduleIdleEnd();
        break;
      case "message":
        showMessage(data.message, true);
        break;
      case "state":
        setState(data.state);
        announce(t("status")[data.state] || "");
        break;
      case "typing":
        if (data.who !== "citizen") { showTyping(data.on, data.who); }
        break;
      case "deleted":
        clearConversation();
        setNotice(t("deleted"));
        break;
      case "error":
        refused(data);
        break;
      default:
        break;
    }
  }

  function showTyping(on, who) {
    typing.querySelector(".bh-typing-text").textContent = who === "staff" ? t("staffTyping") : t("botTyping");
    if (on) { typing.removeAttribute("hidden"); } else { typing.setAttribute("hidden", ""); }
  }

  // Opening, closing and keys ---------------------------------------------------------------------

  function open(focus) {
    isOpen = true;
    if (focus !== false) {
      markActive(); // the citizen opened it; a reload that shows it open again is not activity
    }
    setUnread(0);
    panel.removeAttribute("hidden");
    launcher.setAttribute("aria-expanded", "true");
    root.classList.add("bh-open");
    save();
    connect();
    if (welcomed && !conversationId && !startRequested && socket) {
      startRequested = true;
      socket.send(JSON.stringify({ type: "start" }));
    }
    scrollDown();
    if (focus !== false) { input.focus(); }
  }

  function close() {
    isOpen = false;
    panel.setAttribute("hidden", "");
    launcher.setAttribute("aria-expanded", "false");
    root.classList.remove("bh-open");
    save();
    launcher.focus();
  }

  // Ending: "Afslut samtale" and the idle time ---------------------------------------------------

  function markActive() {
    activeAt = Date.now();
    save();
    scheduleIdleEnd();
  }

  function scheduleIdleEnd() {
    window.clearTimeout(idleTimer);
    idleTimer = null;
    if (!conversationId && !outbox.length) { return; }
    idleTimer = window.setTimeout(endIfIdle, Math.max(0, activeAt + IDLE_MS - Date.now()) + 100);
  }

  function endIfIdle() {
    // Also on coming back to the tab: timers of a sleeping computer may run late.
    if ((conversationId || outbox.length) && Date.now() - activeAt >= IDLE_MS) {
      forgetConversation(t("idleEnded"));
    } else {
      scheduleIdleEnd();
    }
  }

  function askToEnd() {
    confirmBox.removeAttribute("hidden");
    confirmYes.focus();
  }

  function keepConversation() {
    confirmBox.setAttribute("hidden", "");
    endButton.focus();
  }

  function forgetConversation(message) {
    // Forgotten on this computer only: the gateway keeps the conversation for staff (a handoff, a
    // booking) until the retention purge, but no longer gives it to this browser's new visitor id.
    var focusWasInside = root.contains(document.activeElement);
    var old = socket;
    socket = null;
    welcomed = false;
    [reconnectTimer, resendTimer, idleTimer, typingTimer].forEach(function (timer) { window.clearTimeout(timer); });
    reconnectTimer = resendTimer = idleTimer = null;
    attempts = 0;
    typingSent = false;
    visitorId = randomId();
    confirmBox.setAttribute("hidden", "");
    clearConversation();
    showTyping(false, "bot");
    setNotice("");
    error.textContent = "";
    input.value = "";
    if (old) { old.close(); }
    isOpen = false;
    panel.setAttribute("hidden", "");
    launcher.setAttribute("aria-expanded", "false");
    root.classList.remove("bh-open");
    forgetStored();
    // What was read aloud is still in the live region, readable with a screen reader's cursor.
    while (announcer.firstChild) { announcer.removeChild(announcer.firstChild); }
    announce(message);
    if (focusWasInside) { launcher.focus(); }
  }

  // Same width as the full-screen rule in widget.css.
  var smallScreen = window.matchMedia("(max-width: 480px)");

  function applyTextSize() {
    root.classList.toggle("bh-large", largeText);
    sizeButton.setAttribute("aria-pressed", largeText ? "true" : "false");
  }

  launcher.addEventListener("click", function () {
    if (isOpen) { close(); } else { open(); }
  });
  closeButton.addEventListener("click", close);
  languageButton.addEventListener("click", function () {
    // Sent like the conversation's own language buttons, so the assistant switches too.
    var next = t("switchTo");
    sendMessage(t("switchName"), '/change_language{"language":"' + next + '"}');
    input.focus();
  });
  sizeButton.addEventListener("click", function () {
    largeText = !largeText;
    applyTextSize();
    save();
  });
  endButton.addEventListener("click", askToEnd);
  confirmNo.addEventListener("click", keepConversation);
  confirmYes.addEventListener("click", function () { forgetConversation(t("ended")); });
  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { endIfIdle(); }
  });
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && !confirmBox.hidden) {
      event.preventDefault();
      keepConversation(); // Escape answers the question, it does not close the chat
    } else if (event.key === "Escape") {
      event.preventDefault();
      close();
    } else if (event.key === "Tab" && smallScreen.matches) {
      keepTabInside(event);
    }
  });

  function keepTabInside(event) {
    // Full screen, the page behind the chat cannot be seen, so Tab goes round inside the chat.
    var focusable = Array.prototype.filter.call(
      panel.querySelectorAll("button, textarea, a[href], [tabindex='0']"),
      function (node) { return !node.disabled && node.getClientRects().length > 0; }
    );
    if (!focusable.length) { return; }
    var first = focusable[0];
    var last = focusable[focusable.length - 1];
    if (event.shiftKey && (document.activeElement === first || !panel.contains(document.activeElement))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  function markModal() {
    panel.setAttribute("aria-modal", smallScreen.matches ? "true" : "false");
  }
  markModal();
  if (smallScreen.addEventListener) {
    smallScreen.addEventListener("change", markModal);
  } else if (smallScreen.addListener) {
    smallScreen.addListener(markModal); // older Safari
  }
  input.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      form.requestSubmit ? form.requestSubmit() : form.dispatchEvent(new Event("submit", { cancelable: true }));
    }
  });
  input.addEventListener("input", function () {
    if (input.value.length > maxLength) {
      error.textContent = tooLong(false);
    } else if (error.textContent) {
      error.textContent = "";
    }
    sendTyping(input.value.length > 0);
    markActive();
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(function () { sendTyping(false); }, 4000);
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value;
    if (text.trim().length > maxLength) {
      error.textContent = tooLong(true);
      return;
    }
    input.value = "";
    sendTyping(false);
    sendMessage(text, null);
    input.focus();
  });

  save();
  scheduleIdleEnd();
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", mount);
  } else {
    mount();
  }
})();
