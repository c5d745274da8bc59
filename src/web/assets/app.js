// Herold web app: comfort only. Every form works without this file; it adds a live character
// count, a live preview, mention/hashtag suggestions and the browser's time zone. Same origin only.
"use strict";
(function () {
  var csrfInput = document.querySelector('input[name="csrf"]');
  var csrf = csrfInput ? csrfInput.value : "";

  // While no zone is confirmed, zone pickers start at the browser's zone; the person confirms it
  // (Confirm, Save or Schedule) or picks another. Nothing is stored until they do.
  var browserZone = "";
  try { browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* none: UTC stays */ }
  document.querySelectorAll("select[data-zone-select][data-detect]").forEach(function (select) {
    if (!browserZone || !Array.prototype.some.call(select.options, function (o) { return o.value === browserZone; })) return;
    select.value = browserZone;
    var hint = select.form && select.form.querySelector("[data-zone-hint]");
    if (hint) hint.textContent = "Your browser says " + browserZone + ". Check it: confirming makes it your zone, and every time is then shown in it.";
  });

  // On a phone the navigation scrolls sideways in one row: show the current page's link.
  var current = document.querySelector('.nav a[aria-current="page"]');
  var navRow = current && current.closest("nav");
  if (navRow && navRow.scrollWidth > navRow.clientWidth) navRow.scrollLeft = Math.max(0, current.offsetLeft - (navRow.clientWidth - current.offsetWidth) / 2);

  // Delete asks first: a dialog here, the confirmation page without JavaScript.
  document.querySelectorAll("a[data-confirm-delete]").forEach(function (link) {
    link.addEventListener("click", function (e) {
      var item = link.closest("li");
      var excerpt = item ? item.querySelector("p") : null;
      if (!window.confirm("Delete this post? " + (excerpt ? excerpt.textContent.trim().slice(0, 120) : "") + "\nThis cannot be undone.")) { e.preventDefault(); return; }
      e.preventDefault();
      var form = document.createElement("form");
      form.method = "post";
      form.action = link.getAttribute("href");
      var token = document.createElement("input");
      token.type = "hidden"; token.name = "csrf"; token.value = csrf;
      form.appendChild(token);
      document.body.appendChild(form);
      form.submit();
    });
  });

  var segmenter = typeof Intl.Segmenter === "function" ? new Intl.Segmenter(undefined, { granularity: "grapheme" }) : null;
  function graphemes(text) {
    if (!segmenter) return Array.from(text).length;
    var n = 0; for (var _ of segmenter.segment(text)) n++; return n;
  }
  // Mirrors the server's count (src/content/render.ts): URLs count 23, a mention only as @username (its @host[:port] is free).
  function countCharacters(text, warning) {
    var t = text.replace(/\r\n?/g, "\n").trim()
      .replace(/https?:\/\/[^\s<>]+/g, "xxxxxxxxxxxxxxxxxxxxxxx")
      .replace(/(^|[^\w/=])@([A-Za-z0-9_]+(?:[.-]+[A-Za-z0-9_]+)*)@[\w.-]+(?::[1-9][0-9]{0,4}(?![\w]))?/g, "$1@$2");
    return graphemes((warning || "").trim() + t);
  }

  var compose = document.querySelector("form[data-compose]");
  if (!compose) return;
  var text = compose.querySelector("textarea[name=text]");
  var warning = compose.querySelector("input[name=content_warning]");
  var counter = compose.querySelector("[data-count]");
  var max = Number(compose.getAttribute("data-max-chars")) || 500;
  var preview = document.querySelector("[data-preview]");

  function updateCount() {
    var n = countCharacters(text.value, warning ? warning.value : "");
    counter.textContent = n > max ? (n - max) + " characters over the limit" : (max - n) + " characters left";
    counter.classList.toggle("over", n > max);
  }

  var previewTimer = 0;
  function schedulePreview() {
    if (!preview) return;
    clearTimeout(previewTimer);
    previewTimer = setTimeout(function () {
      // The whole form but its files: text, warning, reply/quote, the images already on the page with their alt text.
      var body = new URLSearchParams();
      new FormData(compose).forEach(function (value, name) { if (typeof value === "string" && name !== "action") body.append(name, value); });
      fetch("/app/api/preview", { method: "POST", headers: { "X-CSRF-Token": csrf, "Content-Type": "application/x-www-form-urlencoded" }, body: body, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (json) { if (json && typeof json.html === "string") preview.innerHTML = json.html; })
        .catch(function () { /* the Preview button still works */ });
    }, 400);
  }

  // Suggestions for the @mention or #hashtag being typed.
  var list = document.createElement("ul");
  list.className = "suggestions";
  list.id = "suggestions";
  list.hidden = true;
  list.setAttribute("aria-label", "Suggestions");
  text.insertAdjacentElement("afterend", list);
  var suggestTimer = 0;
  function currentToken() {
    var upto = text.value.slice(0, text.selectionStart);
    var m = /(^|\s)([@#][\w.@-]{1,60})$/.exec(upto);
    return m ? { token: m[2], start: upto.length - m[2].length } : null;
  }
  function suggest() {
    clearTimeout(suggestTimer);
    var found = currentToken();
    if (!found || found.token.length < 2) { list.hidden = true; return; }
    suggestTimer = setTimeout(function () {
      fetch("/app/api/suggest?q=" + encodeURIComponent(found.token), { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : { items: [] }; })
        .then(function (json) {
          list.textContent = "";
          (json.items || []).forEach(function (item) {
            var li = document.createElement("li");
            var b = document.createElement("button");
            b.type = "button";
            b.textContent = item.label;
            b.addEventListener("click", function () {
              var before = text.value.slice(0, found.start);
              var after = text.value.slice(text.selectionStart);
              text.value = before + item.insert + " " + after;
              text.focus();
              var pos = (before + item.insert + " ").length;
              text.setSelectionRange(pos, pos);
              list.hidden = true;
              updateCount(); schedulePreview();
            });
            li.appendChild(b);
            list.appendChild(li);
          });
          list.hidden = list.children.length === 0;
        })
        .catch(function () { list.hidden = true; });
    }, 200);
  }

  text.addEventListener("input", function () { updateCount(); schedulePreview(); suggest(); });
  text.addEventListener("keydown", function (e) {
    if (e.key === "Escape") list.hidden = true;
    // Enter takes the first suggestion (as Mastodon's composer does); arrows reach the others.
    if (e.key === "Enter" && !list.hidden) { var pick = list.querySelector("button"); if (pick) { e.preventDefault(); pick.click(); } }
    if (e.key === "ArrowDown" && !list.hidden) { var first = list.querySelector("button"); if (first) { e.preventDefault(); first.focus(); } }
  });
  if (warning) warning.addEventListener("input", function () { updateCount(); schedulePreview(); });
  compose.addEventListener("change", function (e) { if (e.target && (e.target.name === "remove_media")) schedulePreview(); });
  compose.addEventListener("input", function (e) { if (e.target && /^alt_/.test(e.target.name || "")) schedulePreview(); });
  updateCount();
})();

// Drag-and-drop and paste of images into the composer (issue #12, item 13). The file inputs stay
// the way in without JavaScript; here a dropped or pasted image is put into the next empty one
// (opening "More images" when needed) and its alt-text field gets the focus, so nothing is sent
// that the form could not send by itself, and the server checks everything as for a chosen file.
(function () {
  var compose = document.querySelector("form[data-compose]");
  if (!compose || typeof DataTransfer === "undefined") return;
  var status = document.createElement("p");
  status.className = "hint";
  status.setAttribute("aria-live", "polite");
  var first = compose.querySelector('input[type="file"]');
  if (!first) return;
  first.closest("fieldset").appendChild(status);

  function place(files) {
    var images = Array.prototype.filter.call(files, function (f) { return /^image\/(jpeg|png|webp|gif)$/.test(f.type); });
    if (images.length === 0) return false;
    var inputs = Array.prototype.filter.call(compose.querySelectorAll('input[type="file"]'), function (i) { return i.files.length === 0; });
    var placed = 0;
    images.slice(0, inputs.length).forEach(function (file, n) {
      var input = inputs[n];
      var transfer = new DataTransfer();
      transfer.items.add(file);
      input.files = transfer.files;
      var more = input.closest("details");
      if (more) more.open = true;
      if (n === 0) { var alt = document.getElementById(input.id.replace("image_", "image_alt_")); if (alt) alt.focus(); }
      placed++;
    });
    status.textContent = placed === images.length
      ? placed + (placed === 1 ? " image added" : " images added") + ": describe " + (placed === 1 ? "it" : "them") + " for people who cannot see it."
      : "Only " + placed + " more image(s) fit in this post.";
    return placed > 0;
  }

  compose.addEventListener("dragover", function (e) {
    if (e.dataTransfer && Array.prototype.indexOf.call(e.dataTransfer.types, "Files") >= 0) { e.preventDefault(); compose.classList.add("dropping"); }
  });
  compose.addEventListener("dragleave", function () { compose.classList.remove("dropping"); });
  compose.addEventListener("drop", function (e) {
    compose.classList.remove("dropping");
    if (e.dataTransfer && e.dataTransfer.files.length > 0 && place(e.dataTransfer.files)) e.preventDefault();
  });
  compose.addEventListener("paste", function (e) {
    if (e.clipboardData && e.clipboardData.files.length > 0 && place(e.clipboardData.files)) e.preventDefault();
  });
})();
