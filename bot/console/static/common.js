/*
 * Borgerhjælp staff console: what every signed-in page shares.
 *
 * - One websocket to /staff/ws (session cookie + CSRF token in the first message), reconnecting with
 *   back-off; a ping every 20 s keeps the staff member's "online" presence alive. Pings and the
 *   queue refreshes they cause do not keep the session from idling out: typing, clicking or touching
 *   the page does (an "activity" message, at most once a minute).
 * - The queue: fetched again whenever the staff topic reports a change; a new waiting citizen gives
 *   a short beep (WebAudio, no sound file), a notice in the title bar and a screen reader announcement.
 *   While the browser holds sound back (no click or key press on this page yet), "Slå lyd til" shows.
 * - Text from citizens, the assistant and staff is only ever put into the page as text (textContent),
 *   never as HTML. The assistant's answers alone get what the widget gives them: links (built with
 *   createElement, only for http(s) addresses) and bold; citizens' and staff's text stays plain.
 */
(function () {
  "use strict";

  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var eventListeners = [];
  var readyListeners = [];
  var queueListeners = [];
  var socket = null;
  var attempts = 0;
  var knownWaiting = null; // ids of waiting conversations at the last look; null before the first
  var queueTimer = null;
  var baseTitle = document.title;
  var waitingCount = 0;
  var unseenArrival = false;
  var audio = null;

  function el(tag, props, children) {
    var node = document.createElement(tag);
    Object.keys(props || {}).forEach(function (key) {
      var value = props[key];
      if (value === null || value === undefined || value === false) { return; }
      if (key === "text") { node.textContent = value; }
      else if (key === "className") { node.className = value; }
      else { node.setAttribute(key, value === true ? "" : String(value)); }
    });
    (children || []).forEach(function (child) {
      if (child) { node.appendChild(typeof child === "string" ? document.createTextNode(child) : child); }
    });
    return node;
  }

  // The assistant's answers, formatted by the widget's rules (bot/channels/web/static/widget/widget.js,
  // renderText): [label](http(s) address), a bare http(s) address, **bold**. Anything else, a
  // javascript: link included, stays text. tests/console/test_formatting.py keeps the two patterns equal.
  var LINK = /\[([^\]\n]{1,200})\]\((https?:\/\/[^\s)]+)\)|(https?:\/\/[^\s<>"]+[^\s<>".,;:!?)\]])|\*\*([^*\n]{1,200})\*\*/g;

  function safeUrl(value) {
    try {
      var url = new URL(value);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function link(label, href) {
    var url = safeUrl(href);
    if (!url) { return document.createTextNode(label); }
    // A new window keeps the conversation open; screen readers are told so (WCAG technique G201).
    return el("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, [
      label,
      el("span", { className: "visually-hidden", text: " (åbner i et nyt vindue)" })
    ]);
  }

  function appendAssistantText(container, text) {
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
    return container;
  }

  function api(method, url, body, background) {
    var options = { method: method, credentials: "same-origin", headers: { "Accept": "application/json" } };
    if (background) { options.headers["X-Console-Background"] = "1"; } // not activity: see the top
    if (method !== "GET") {
      options.headers["X-CSRF-Token"] = csrf;
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body || {});
    }
    return fetch(url, options).then(function (response) {
      if (response.status === 401) {
        window.location.href = "/staff/login?next=" + encodeURIComponent(window.location.pathname);
      }
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data };
      });
    });
  }

  function announce(text) {
    var region = document.getElementById("announcer");
    if (!region) { return; }
    region.textContent = "";
    window.setTimeout(function () { region.textContent = text; }, 50);
  }

  function setConnection(text) {
    var status = document.getElementById("connection");
    if (status) { status.textContent = text; }
  }

  function minutesSince(iso) {
    if (!iso) { return 0; }
    return Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 60000));
  }

  function waitedText(iso) {
    var minutes = minutesSince(iso);
    if (minutes < 1) { return "under 1 minut"; }
    if (minutes === 1) { return "1 minut"; }
    if (minutes < 60) { return minutes + " minutter"; }
    var hours = Math.floor(minutes / 60);
    return hours + (hours === 1 ? " time " : " timer ") + (minutes % 60) + " min.";
  }

  function clock(iso) {
    if (!iso) { return ""; }
    return new Date(iso).toLocaleTimeString("da-DK", { hour: "2-digit", minute: "2-digit" });
  }

  // Sound and title ---------------------------------------------------------------------------------

  function soundOn() {
    var toggle = document.getElementById("sound-toggle");
    return !toggle || toggle.checked;
  }

  // Browsers let a page play sound only after the person has clicked or typed on it; after moving
  // to another console page that starts over. Until then "Slå lyd til" shows, so a new citizen's
  // beep is not silently lost.
  function audioContext() {
    if (!audio) {
      var Context = window.AudioContext || window.webkitAudioContext;
      if (!Context) { return null; }
      try { audio = new Context(); } catch (error) { return null; }
      audio.addEventListener("statechange", showUnlock);
    }
    return audio;
  }

  function showUnlock() {
    var button = document.getElementById("sound-unlock");
    if (!button) { return; }
    var held = soundOn() && audio !== null && audio.state !== "running";
    if (held) { button.removeAttribute("hidden"); return; }
    var hadFocus = document.activeElement === button;
    button.setAttribute("hidden", "");
    var toggle = document.getElementById("sound-toggle");
    if (hadFocus && toggle) { toggle.focus(); }
  }

  function unlockAudio() {
    var context = audioContext();
    if (context && context.state === "suspended") {
      context.resume().then(showUnlock, showUnlock);
    }
  }

  function beep() {
    if (!soundOn()) { return; }
    var context = audioContext();
    if (!context || context.state !== "running") {
      showUnlock();
      return;
    }
    var start = context.currentTime;
    [0, 0.22].forEach(function (offset) {
      var tone = context.createOscillator();
      var volume = context.createGain();
      tone.type = "sine";
      tone.frequency.value = offset ? 1175 : 880;
      volume.gain.setValueAtTime(0.0001, start + offset);
      volume.gain.exponentialRampToValueAtTime(0.25, start + offset + 0.02);
      volume.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.18);
      tone.connect(volume);
      volume.connect(context.destination);
      tone.start(start + offset);
      tone.stop(start + offset + 0.2);
    });
    BH.beeps += 1; // counted only once a tone has really started
  }

  function updateTitle() {
    var prefix = waitingCount ? "(" + waitingCount + ") " : "";
    document.title = (unseenArrival ? "Ny borger venter! " : "") + prefix + baseTitle;
    var badge = document.getElementById("waiting-badge");
    if (badge) {
      badge.textContent = waitingCount ? waitingCount + " venter" : "";
      if (waitingCount) { badge.removeAttribute("hidden"); } else { badge.setAttribute("hidden", ""); }
    }
  }

  function seen() {
    if (!document.hidden && unseenArrival) {
      unseenArrival = false;
      updateTitle();
    }
  }

  // The queue ---------------------------------------------------------------------------------------

  function refreshQueue() {
    return api("GET", "/staff/api/queue", null, true).then(function (result) {
      if (!result.ok) { return; }
      var data = result.data;
      var ids = data.waiting.map(function (item) { return item.id; });
      var arrived = knownWaiting === null ? [] : ids.filter(function (id) { return knownWaiting.indexOf(id) < 0; });
      knownWaiting = ids;
      waitingCount = ids.length;
      if (arrived.length) {
        beep();
        unseenArrival = document.hidden || !document.hasFocus();
        announce(arrived.length === 1 ? "En ny borger venter i køen." : arrived.length + " nye borgere venter i køen.");
      }
      updateTitle();
      queueListeners.forEach(function (listener) { listener(data, arrived); });
    });
  }

  function queueChanged() {
    window.clearTimeout(queueTimer);
    queueTimer = window.setTimeout(refreshQueue, 150);
  }

  // The socket --------------------------------------------------------------------------------------

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + window.location.host + "/staff/ws");
    socket.addEventListener("open", function () {
      socket.send(JSON.stringify({ type: "hello", csrf: csrf }));
    });
    socket.addEventListener("message", function (event) {
      var data;
      try { data = JSON.parse(event.data); } catch (error) { return; }
      if (data.type === "ready") {
        attempts = 0;
        setConnection("");
        readyListeners.forEach(function (listener) { listener(); });
        refreshQueue();
        return;
      }
      if (data.type === "queue") {
        var kind = data.event && data.event.type;
        if (kind === "state" || kind === "deleted") { queueChanged(); }
      }
      eventListeners.forEach(function (listener) { listener(data); });
    });
    socket.addEventListener("close", function () {
      socket = null;
      attempts += 1;
      setConnection("Forbindelsen er afbrudt. Prøver igen …");
      // A refused socket looks like a network error to the page; ask the API whether we are signed in.
      api("GET", "/staff/api/presence", null, true).then(function () {
        window.setTimeout(connect, Math.min(15000, 500 * Math.pow(2, attempts)));
      }, function () {
        window.setTimeout(connect, Math.min(15000, 500 * Math.pow(2, attempts)));
      });
    });
  }

  function send(message) {
    if (socket && socket.readyState === WebSocket.OPEN) {
      socket.send(JSON.stringify(message));
      return true;
    }
    return false;
  }

  var BH = window.BHConsole = {
    csrf: csrf,
    beeps: 0,
    el: el,
    appendAssistantText: appendAssistantText,
    api: api,
    send: send,
    announce: announce,
    waitedText: waitedText,
    clock: clock,
    onEvent: function (listener) { eventListeners.push(listener); },
    onReady: function (listener) { readyListeners.push(listener); },
    onQueue: function (listener) { queueListeners.push(listener); },
    refreshQueue: refreshQueue,
    audioState: function () { return audio ? audio.state : "none"; }
  };

  var lastActivity = 0;
  function active() {
    var now = Date.now();
    if (now - lastActivity >= 60000 && send({ type: "activity" })) { lastActivity = now; }
  }
  ["keydown", "click", "pointerdown"].forEach(function (kind) {
    document.addEventListener(kind, active, { capture: true, passive: true });
  });

  document.addEventListener("click", unlockAudio);
  document.addEventListener("keydown", unlockAudio);
  document.addEventListener("visibilitychange", seen);
  window.addEventListener("focus", seen);

  var toggle = document.getElementById("sound-toggle");
  if (toggle) {
    toggle.checked = window.localStorage.getItem("bh-staff-sound") !== "off";
    toggle.addEventListener("change", function () {
      window.localStorage.setItem("bh-staff-sound", toggle.checked ? "on" : "off");
      showUnlock();
    });
  }
  var unlock = document.getElementById("sound-unlock");
  if (unlock) { unlock.addEventListener("click", unlockAudio); }

  document.addEventListener("DOMContentLoaded", function () {
    if (soundOn()) { audioContext(); }
    showUnlock();
    connect();
    window.setInterval(function () { send({ type: "ping" }); }, 20000);
  });
}());
