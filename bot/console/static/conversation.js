/*
 * One conversation: the whole transcript live (the assistant's part too), claim, reply, typing both
 * ways, canned answers, private notes, hand back and close. Every text goes in with textContent;
 * the assistant's answers get their links and bold as in the widget (BHConsole.appendAssistantText).
 */
(function () {
  "use strict";
  var BH = window.BHConsole;
  var el = BH.el;
  var main = document.getElementById("main");
  var conversationId = main.getAttribute("data-conversation-id");
  var myId = Number(main.getAttribute("data-staff-id"));
  var isAdmin = main.getAttribute("data-admin") === "true";
  var base = "/staff/api/conversations/" + conversationId;

  var transcript = document.getElementById("transcript");
  var replyForm = document.getElementById("reply-form");
  var replyText = document.getElementById("reply-text");
  var replySend = document.getElementById("reply-send");
  var errorBox = document.getElementById("action-error");
  var citizenTyping = document.getElementById("citizen-typing");
  var stateLine = document.getElementById("conversation-state");
  var buttons = {
    claim: document.getElementById("claim"),
    handBack: document.getElementById("hand-back"),
    close: document.getElementById("close")
  };
  var shown = {};
  var lastId = 0;
  var backlogUntil = null; // the newest message when the page opened, once the API has said
  var current = null;
  var deleted = false;
  var typingOn = false;
  var typingTimer = null;
  var citizenTypingTimer = null;

  var SENDERS = { citizen: "Borger", bot: "Chatbot", staff: "Medarbejder", system: "Besked til borgeren" };
  var STATES = {
    bot: "Chatbotten har samtalen.",
    waiting: "Borgeren venter på en medarbejder.",
    human: "En medarbejder har samtalen.",
    closed: "Samtalen er afsluttet."
  };

  function showError(text) {
    if (text) {
      errorBox.textContent = text;
      errorBox.removeAttribute("hidden");
    } else {
      errorBox.textContent = "";
      errorBox.setAttribute("hidden", "");
    }
  }

  // The typing notice is a live region that is always in the page (one added or shown at the moment
  // it changes is not read out); only its text comes and goes.
  function citizenIsTyping(on) {
    citizenTyping.textContent = on ? "Borgeren skriver …" : "";
  }

  function toggle(node, visible) {
    if (visible) { node.removeAttribute("hidden"); } else { node.setAttribute("hidden", ""); }
  }

  // Answers from the server arrive while the staff member may already be writing elsewhere (a note,
  // say). Moving the focus then would send the next keystrokes into the reply box, so the reply box
  // takes the focus only when nothing else that takes text has it.
  function focusReplyIfFree() {
    var active = document.activeElement;
    var busyElsewhere = active && active !== document.body && !replyForm.contains(active) &&
      (active.tagName === "TEXTAREA" || active.tagName === "INPUT" || active.tagName === "SELECT");
    if (!busyElsewhere) { replyText.focus(); }
  }

  // Hand back, close, or a claim someone else won hide the button the staff member just used. Left
  // there, the keyboard focus would fall to the page itself: the next Tab starts from the top and a
  // screen reader says nothing. The focus goes to the conversation's state instead, which says what
  // has just happened.
  function focusedIn(nodes) {
    var active = document.activeElement;
    return active && active !== document.body && nodes.some(function (node) { return node.contains(active); }) ? active : null;
  }

  function keepFocus(wasFocused) {
    if (!wasFocused) { return; }
    var active = document.activeElement;
    var lost = !active || active === document.body || (active === wasFocused && wasFocused.closest("[hidden]"));
    if (lost) { stateLine.focus(); }
  }

  // Transcript --------------------------------------------------------------------------------------

  function senderLabel(message) {
    if (message.sender === "staff") {
      return message.staff_name ? message.staff_name + " (medarbejder)" : SENDERS.staff;
    }
    return SENDERS[message.sender] || "Besked";
  }

  // Only the assistant's own answers carry links; what a citizen or staff member wrote is shown
  // exactly as written, so nobody can slip a link or markup into the console.
  function messageText(sender, text) {
    if (sender === "bot") {
      return BH.appendAssistantText(el("p", { className: "msg-text" }), text);
    }
    return el("p", { className: "msg-text", text: text });
  }

  function messageNode(message) {
    var body = message.text;
    if (!body && message.custom && message.custom.handoff) {
      body = "(Chatbotten satte samtalen i kø til en medarbejder.)";
    }
    var node = el("div", { className: "msg msg--" + message.sender, "data-message-id": message.id }, [
      el("p", { className: "msg-who" }, [
        el("span", { text: senderLabel(message) }),
        el("span", { className: "msg-time", text: " " + BH.clock(message.created_at) })
      ]),
      messageText(message.sender, body || "")
    ]);
    if (message.buttons && message.buttons.length) {
      node.appendChild(el("p", {
        className: "msg-buttons",
        text: "Knapper: " + message.buttons.map(function (button) { return button.title; }).join(" · ")
      }));
    }
    return node;
  }

  // The transcript is a log (read out as messages arrive), busy until the backlog is drawn: the
  // messages from before the page opened are there to read, not to be announced one by one.
  function backlogDrawn() {
    if (backlogUntil !== null && lastId >= backlogUntil && transcript.getAttribute("aria-busy") !== "false") {
      transcript.setAttribute("aria-busy", "false");
    }
  }

  function addMessage(message) {
    if (!message || shown[message.id]) { return; }
    shown[message.id] = true;
    lastId = Math.max(lastId, message.id);
    var node = messageNode(message);
    // Messages arrive in id order, except a reply confirmed by the API before the socket delivers it.
    var later = null;
    Array.prototype.some.call(transcript.children, function (child) {
      if (Number(child.getAttribute("data-message-id")) > message.id) { later = child; return true; }
      return false;
    });
    transcript.insertBefore(node, later);
    transcript.scrollTop = transcript.scrollHeight;
    if (message.sender === "citizen") {
      citizenIsTyping(false);
    }
    backlogDrawn();
  }

  // Facts and actions -------------------------------------------------------------------------------

  function facts(data) {
    var list = document.getElementById("facts");
    list.textContent = "";
    var rows = [
      ["Status", STATES[data.state] || data.state],
      ["Medarbejder", data.assigned_name],
      ["Kanal", data.channel_label],
      ["Sprog", data.language_label],
      ["Årsag", data.reason_label],
      ["Emne", data.topic_label],
      ["Venter siden", data.state === "waiting" && data.waiting_since
        ? BH.clock(data.waiting_since) + " (" + BH.waitedText(data.waiting_since) + ")" : null],
      ["Startet", data.created_at ? new Date(data.created_at).toLocaleString("da-DK") : null],
      ["Tilfredshed", data.satisfaction ? data.satisfaction + " ud af 5" : null]
    ];
    rows.forEach(function (row) {
      if (row[1] === null || row[1] === undefined || row[1] === "") { return; }
      list.appendChild(el("dt", { text: row[0] }));
      list.appendChild(el("dd", { text: String(row[1]) }));
    });
    document.getElementById("summary").textContent = data.summary || "Chatbotten har ikke lavet et resumé.";
    document.getElementById("conversation-topic").textContent = data.topic_label || "uden emne";
    stateLine.textContent = STATES[data.state] || "";
  }

  function notes(items) {
    var list = document.getElementById("notes");
    list.textContent = "";
    if (!items.length) { list.appendChild(el("li", { className: "muted", text: "Ingen noter endnu." })); }
    items.forEach(function (note) { list.appendChild(noteNode(note)); });
  }

  function noteNode(note) {
    return el("li", { "data-note-id": note.id }, [
      el("p", { className: "note-who", text: (note.staff_name || "Medarbejder") + " " + BH.clock(note.created_at) }),
      el("p", { className: "note-text", text: note.text })
    ]);
  }

  function bookings(items) {
    var list = document.getElementById("bookings");
    list.textContent = "";
    if (!items.length) { list.appendChild(el("li", { className: "muted", text: "Ingen." })); }
    items.forEach(function (booking) {
      list.appendChild(el("li", {
        text: booking.reference + ": " + new Date(booking.starts_at).toLocaleString("da-DK") + " (" + booking.status + ")"
      }));
    });
  }

  function actions(data) {
    var focused = focusedIn([buttons.claim, buttons.handBack, buttons.close, replyForm]);
    var mine = data.state === "human" && data.assigned_staff_id === myId;
    var mayEnd = data.state === "waiting" || (data.state === "human" && (mine || isAdmin));
    toggle(buttons.claim, !deleted && data.state === "waiting");
    toggle(buttons.handBack, !deleted && mayEnd);
    toggle(buttons.close, !deleted && mayEnd);
    var wasHidden = replyForm.hasAttribute("hidden");
    toggle(replyForm, !deleted && mine);
    if (mine && wasHidden) { focusReplyIfFree(); }
    keepFocus(focused);
  }

  // Only the newest load may draw: an older answer arriving late would undo what came after it
  // (a note saved while the page was reloading its facts).
  var loadCount = 0;

  // `background`: a reload the page does by itself (a live event, a reconnect), which must not count
  // as the staff member's activity and so keep an unattended session from timing out.
  function load(background) {
    var thisLoad = ++loadCount;
    return BH.api("GET", base, undefined, background).then(function (result) {
      if (thisLoad !== loadCount) { return; }
      if (!result.ok) {
        if (result.status === 404) { gone(); }
        return;
      }
      current = result.data;
      if (backlogUntil === null) { backlogUntil = current.newest_message_id || 0; }
      backlogDrawn();
      facts(current);
      notes(current.notes);
      bookings(current.bookings);
      actions(current);
    });
  }

  function gone() {
    deleted = true;
    transcript.setAttribute("aria-busy", "false");
    var controls = [buttons.claim, buttons.handBack, buttons.close, replyForm];
    var focused = focusedIn(controls);
    stateLine.textContent = "Borgeren har slettet samtalen.";
    controls.forEach(function (node) { toggle(node, false); });
    keepFocus(focused);
  }

  // A disabled button loses the focus in Chromium; once the answer is drawn, the focus goes back to
  // the button if it is still there, else to the conversation's state.
  function refocus(button, hadFocus) {
    var active = document.activeElement;
    if (!hadFocus || (active && active !== document.body)) { return; }
    if (button.closest("[hidden]")) { stateLine.focus(); } else { button.focus(); }
  }

  function act(button, path, done) {
    showError("");
    var hadFocus = document.activeElement === button;
    button.disabled = true;
    BH.api("POST", base + path).then(function (result) {
      button.disabled = false;
      if (!result.ok) {
        showError(result.data.text || "Det lykkedes ikke. Prøv igen.");
      } else {
        BH.announce(done);
      }
      load().then(function () { refocus(button, hadFocus); });
    }, function () {
      button.disabled = false;
      refocus(button, hadFocus);
      showError("Ingen forbindelse til serveren. Prøv igen.");
    });
  }

  buttons.claim.addEventListener("click", function () { act(buttons.claim, "/claim", "Du har overtaget samtalen."); });
  buttons.handBack.addEventListener("click", function () {
    stopTyping();
    act(buttons.handBack, "/hand-back", "Samtalen er givet tilbage til chatbotten.");
  });
  buttons.close.addEventListener("click", function () {
    stopTyping();
    act(buttons.close, "/close", "Samtalen er afsluttet.");
  });

  // Replying and typing -----------------------------------------------------------------------------

  function stopTyping() {
    window.clearTimeout(typingTimer);
    if (typingOn) {
      typingOn = false;
      BH.send({ type: "typing", conversation_id: conversationId, on: false });
    }
  }

  replyText.addEventListener("input", function () {
    if (!typingOn && replyText.value.trim()) {
      typingOn = true;
      BH.send({ type: "typing", conversation_id: conversationId, on: true });
    }
    window.clearTimeout(typingTimer);
    typingTimer = window.setTimeout(stopTyping, 4000);
  });

  replyForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = replyText.value.trim();
    if (!text) { return; }
    showError("");
    replySend.disabled = true;
    stopTyping();
    BH.api("POST", base + "/reply", { text: text }).then(function (result) {
      replySend.disabled = false;
      if (!result.ok) {
        showError(result.data.text || "Svaret blev ikke sendt. Prøv igen.");
        load();
        return;
      }
      replyText.value = "";
      addMessage(result.data);
      focusReplyIfFree();
    }, function () {
      replySend.disabled = false;
      showError("Svaret blev ikke sendt: ingen forbindelse til serveren. Prøv igen.");
    });
  });

  replyText.addEventListener("keydown", function (event) {
    // Enter sends, Shift+Enter makes a new line, like in the citizen's chat.
    if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      replyForm.requestSubmit();
    }
  });

  // Canned answers ----------------------------------------------------------------------------------

  var cannedSelect = document.getElementById("canned-select");
  var cannedTexts = {};
  BH.api("GET", "/staff/api/canned").then(function (result) {
    if (!result.ok) { return; }
    result.data.answers.forEach(function (answer) {
      cannedTexts[answer.id] = answer.text;
      cannedSelect.appendChild(el("option", { value: answer.id, text: answer.title }));
    });
  });
  document.getElementById("canned-insert").addEventListener("click", function () {
    var text = cannedTexts[cannedSelect.value];
    if (!text) { return; }
    var start = replyText.selectionStart || 0;
    var end = replyText.selectionEnd || 0;
    replyText.value = replyText.value.slice(0, start) + text + replyText.value.slice(end);
    replyText.focus();
    replyText.selectionStart = replyText.selectionEnd = start + text.length;
  });

  // Notes -------------------------------------------------------------------------------------------

  var noteForm = document.getElementById("note-form");
  var noteText = document.getElementById("note-text");
  var noteSave = document.getElementById("note-save");
  noteForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = noteText.value.trim();
    if (!text) { return; }
    showError("");
    noteSave.disabled = true;
    BH.api("POST", base + "/notes", { text: text }).then(function (result) {
      noteSave.disabled = false;
      if (!result.ok) {
        showError(result.data.text || "Noten blev ikke gemt.");
        return;
      }
      noteText.value = "";
      var list = document.getElementById("notes");
      var empty = list.querySelector(".muted");
      if (empty) { list.removeChild(empty); }
      list.appendChild(noteNode(result.data));
      BH.announce("Noten er gemt.");
      // A load still under way began before this note existed; a new one supersedes it.
      if (loadCount > 0) { load(); }
    }, function () {
      noteSave.disabled = false;
      showError("Noten blev ikke gemt: ingen forbindelse til serveren. Prøv igen.");
    });
  });

  // Live events -------------------------------------------------------------------------------------

  BH.onReady(function () {
    BH.send({ type: "watch", conversation_id: conversationId, after: lastId });
    load(true);
  });

  BH.onEvent(function (event) {
    if (event.conversation_id !== conversationId) { return; }
    if (event.type === "message") {
      addMessage(event.message);
      // After closing, the citizen's answer to the satisfaction question is what arrives.
      if (current && current.state === "closed" && event.message.sender === "citizen") { load(true); }
    } else if (event.type === "state") {
      load(true);
    } else if (event.type === "typing" && event.who === "citizen") {
      citizenIsTyping(event.on);
      window.clearTimeout(citizenTypingTimer);
      if (event.on) {
        citizenTypingTimer = window.setTimeout(function () { citizenIsTyping(false); }, 15000);
      }
    } else if (event.type === "deleted") {
      gone();
    }
  });

  load();
}());
