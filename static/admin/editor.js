// The item editor: live preview, unsaved-changes guard, autosave of drafts,
// Ctrl/Cmd+S to save, topic suggestions. Without it the form still works.
(function () {
  "use strict";
  var form = document.getElementById("item-editor");
  if (!form) { return; }
  var dirty = false;
  var submitting = false;
  var stateLine = document.getElementById("autosave-state");
  var saveButton = form.querySelector(".publish-actions button[value=save]");

  function say(text, conflict) {
    if (!stateLine) { return; }
    stateLine.textContent = text;
    stateLine.classList.toggle("conflict", Boolean(conflict));
  }

  // What the server needs of the text: the form without its files.
  function textData() {
    var data = new FormData(form);
    data.delete("image");
    data.delete("file");
    data.delete("action");
    return data;
  }

  // --- live preview, rendered by the site's own Markdown and sanitiser -----------
  var preview = document.getElementById("live-preview");
  var slugHint = document.getElementById("slug-from-title");
  var previewTimer = null;
  var previewSeq = 0;
  function refreshPreview() {
    if (!preview || !form.dataset.previewUrl) { return; }
    var seq = ++previewSeq;
    fetch(form.dataset.previewUrl, { method: "POST", body: textData(), credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null || seq !== previewSeq) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var article = doc.querySelector("article");
        if (!article) { return; }
        preview.replaceChildren(document.importNode(article, true));
        var slugField = form.elements.namedItem("slug");
        if (slugHint && slugField) {
          var made = article.getAttribute("data-slug") || "";
          slugHint.textContent = slugField.value || !made ? "" : "From the title: " + made;
        }
      })
      .catch(function () { /* the Preview button still works */ });
  }
  function schedulePreview() {
    window.clearTimeout(previewTimer);
    previewTimer = window.setTimeout(refreshPreview, 400);
  }

  // --- unsaved changes --------------------------------------------------------------
  form.addEventListener("input", function (event) {
    dirty = true;
    var name = event.target && event.target.name;
    if (name === "title" || name === "summary" || name === "body") { schedulePreview(); }
    if (name === "tags") { suggestTags(event.target); }
  });
  form.addEventListener("change", function () { dirty = true; });
  var creating = null;  // a new item's first autosave, while in flight
  form.addEventListener("submit", function (event) {
    if (creating) {
      // Wait for the draft it makes, then send this to that draft: never two items.
      event.preventDefault();
      var submitter = event.submitter;
      creating.then(function () { form.requestSubmit(submitter); });
      return;
    }
    submitting = true;
  });
  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  // --- Ctrl/Cmd+S saves -------------------------------------------------------------
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key === "s" || event.key === "S")) {
      event.preventDefault();
      if (saveButton) { form.requestSubmit(saveButton); }
    }
  });

  // --- autosave of drafts -------------------------------------------------------------
  var autosaveUrl = form.dataset.autosaveUrl;
  var seconds = parseInt(form.dataset.autosaveSeconds || "20", 10);
  var stopped = false;
  function autosave() {
    if (!autosaveUrl || !dirty || submitting || stopped) { return; }
    var title = form.elements.namedItem("title");
    var isNew = form.dataset.new === "1";
    if (isNew && title && !title.value.trim()) { return; }  // nothing to name it by yet
    if (isNew) { stopped = true; }  // one first draft, never two
    dirty = false;  // typing during the request marks it dirty again
    var request = fetch(autosaveUrl, { method: "POST", body: textData(), credentials: "same-origin" })
      .then(function (r) {
        return r.json().then(function (body) { return { status: r.status, body: body }; },
          function () { return { status: r.status, body: {} }; });
      })
      .then(function (answer) {
        var body = answer.body || {};
        if (isNew && answer.status === 201 && body.saved) {
          becomeDraft(body);
        }
        if ((answer.status === 200 || answer.status === 201) && body.saved) {
          var version = form.elements.namedItem("version");
          if (version) { version.value = String(body.version); }
          say("Draft saved automatically at " + body.at + " (" + body.timezone + " time).");
        } else if (answer.status === 409) {
          stopped = true;
          dirty = true;
          say("Not saved automatically: " + (body.conflict || "someone else saved this item.") +
              " Autosave is off until you reload.", true);
        } else {
          dirty = true;
          if (isNew) { stopped = false; }
          var problems = body.problems ? body.problems.join("; ") : "the server refused it";
          say("Not saved automatically: " + problems, true);
        }
      })
      .catch(function () {
        dirty = true;
        if (isNew) { stopped = false; }
        say("Not saved automatically: no connection.", true);
      });
    if (isNew) {
      creating = request.then(function () { creating = null; });
    }
  }
  // A new item's first autosave made a draft: from now on the form edits that draft.
  function becomeDraft(body) {
    form.action = body.edit_url;
    autosaveUrl = body.autosave_url;
    delete form.dataset.new;
    var version = document.createElement("input");
    version.type = "hidden";
    version.name = "version";
    form.insertBefore(version, form.firstChild);
    window.history.replaceState(null, "", body.edit_url);
    stopped = false;
  }
  if (autosaveUrl && seconds > 0) { window.setInterval(autosave, seconds * 1000); }

  // --- topic suggestions: complete the last topic of the comma-separated list -------
  var list = document.getElementById("tag-suggestions");
  var known = list ? Array.prototype.map.call(list.options, function (o) { return o.value; }) : [];
  function suggestTags(input) {
    if (!list) { return; }
    var parts = input.value.split(",");
    var last = parts.pop().trim().toLowerCase();
    var head = parts.map(function (p) { return p.trim(); }).filter(Boolean);
    var prefix = head.length ? head.join(", ") + ", " : "";
    var options = known.filter(function (tag) {
      return head.indexOf(tag) < 0 && tag.indexOf(last) === 0;
    }).slice(0, 20);
    list.replaceChildren.apply(list, options.map(function (tag) {
      var option = document.createElement("option");
      option.value = prefix + tag;
      return option;
    }));
  }
})();
