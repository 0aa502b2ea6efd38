// Search suggestions as an ARIA 1.2 combobox (list autocomplete, grouped options):
// concepts, cities and case studies from /api/v1/suggest. Without this script the
// search box is a plain search field.
(function () {
  "use strict";
  var KINDS = ["topic", "city", "case_study"];

  function Combobox(input, number) {
    this.input = input;
    this.url = input.dataset.suggestUrl;
    this.options = [];
    this.active = -1;
    this.timer = null;
    this.request = null;
    var id = "suggest-" + number;
    this.listbox = document.createElement("div");
    this.listbox.id = id + "-list";
    this.listbox.className = "suggestions";
    this.listbox.setAttribute("role", "listbox");
    this.listbox.setAttribute("aria-label", input.dataset.suggestLabel);
    this.listbox.hidden = true;
    this.status = document.createElement("div");
    this.status.className = "visually-hidden";
    this.status.setAttribute("role", "status");
    var wrapper = document.createElement("div");
    wrapper.className = "combobox";
    input.parentNode.insertBefore(wrapper, input);
    wrapper.appendChild(input);
    wrapper.appendChild(this.listbox);
    wrapper.appendChild(this.status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", this.listbox.id);
    input.setAttribute("autocomplete", "off");
    input.addEventListener("input", this.onInput.bind(this));
    input.addEventListener("keydown", this.onKey.bind(this));
    input.addEventListener("blur", this.close.bind(this, false));
    // mousedown, not click: the input must not lose focus (and close the list) first.
    this.listbox.addEventListener("mousedown", this.onPick.bind(this));
  }

  Combobox.prototype.onInput = function () {
    var combobox = this;
    window.clearTimeout(this.timer);
    var q = this.input.value.trim();
    if (!q) { this.close(true); return; }
    this.timer = window.setTimeout(function () { combobox.fetch(q); }, 150);
  };

  Combobox.prototype.fetch = function (q) {
    var combobox = this;
    if (this.request) { this.request.abort(); }
    this.request = new AbortController();
    var url = this.url + "?q=" + encodeURIComponent(q) + "&ui_lang=" +
      encodeURIComponent(document.documentElement.lang || "en");
    window.fetch(url, {signal: this.request.signal, headers: {Accept: "application/json"}})
      .then(function (response) { return response.ok ? response.json() : {suggestions: []}; })
      .then(function (body) {
        if (combobox.input.value.trim() === q) { combobox.render(body.suggestions || []); }
      })
      .catch(function () { /* aborted or offline: the plain search still works */ });
  };

  Combobox.prototype.render = function (suggestions) {
    var combobox = this;
    this.listbox.textContent = "";
    this.options = [];
    this.active = -1;
    KINDS.forEach(function (kind) {
      var found = suggestions.filter(function (s) { return s.kind === kind; });
      if (!found.length) { return; }
      var group = document.createElement("div");
      group.setAttribute("role", "group");
      var label = document.createElement("div");
      label.id = combobox.listbox.id + "-" + kind;
      label.className = "suggestion-group";
      label.setAttribute("role", "presentation");
      label.textContent = combobox.input.dataset["label" + kind.replace("_s", "S").replace(/^./, function (c) { return c.toUpperCase(); })];
      group.setAttribute("aria-labelledby", label.id);
      group.appendChild(label);
      found.forEach(function (suggestion) {
        var option = document.createElement("div");
        option.id = combobox.listbox.id + "-" + combobox.options.length;
        option.className = "suggestion";
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.url = suggestion.url;
        option.textContent = suggestion.text;
        if (suggestion.matched && suggestion.matched !== suggestion.text) {
          var matched = document.createElement("span");
          matched.className = "matched";
          matched.textContent = " (" + suggestion.matched + ")";
          option.appendChild(matched);
        }
        group.appendChild(option);
        combobox.options.push(option);
      });
      combobox.listbox.appendChild(group);
    });
    var count = this.options.length;
    this.status.textContent = count ? this.input.dataset.countLabel.replace("{n}", count) : "";
    if (count) { this.open(); } else { this.close(false); }
  };

  Combobox.prototype.open = function () {
    this.listbox.hidden = false;
    this.input.setAttribute("aria-expanded", "true");
  };

  Combobox.prototype.close = function (clearOptions) {
    this.listbox.hidden = true;
    this.input.setAttribute("aria-expanded", "false");
    this.input.removeAttribute("aria-activedescendant");
    this.setActive(-1);
    if (clearOptions) { this.listbox.textContent = ""; this.options = []; }
  };

  Combobox.prototype.setActive = function (index) {
    if (this.options[this.active]) { this.options[this.active].setAttribute("aria-selected", "false"); }
    this.active = index;
    var option = this.options[index];
    if (option) {
      option.setAttribute("aria-selected", "true");
      this.input.setAttribute("aria-activedescendant", option.id);
      option.scrollIntoView({block: "nearest"});
    } else {
      this.input.removeAttribute("aria-activedescendant");
    }
  };

  Combobox.prototype.onKey = function (event) {
    var count = this.options.length;
    var expanded = !this.listbox.hidden;
    if (event.key === "ArrowDown" && count) {
      event.preventDefault();
      if (!expanded) { this.open(); }
      this.setActive(event.altKey ? -1 : (this.active + 1) % count);
    } else if (event.key === "ArrowUp" && count && expanded) {
      event.preventDefault();
      this.setActive(this.active <= 0 ? count - 1 : this.active - 1);
    } else if (event.key === "Enter" && expanded && this.active >= 0) {
      event.preventDefault();
      window.location.assign(this.options[this.active].dataset.url);
    } else if (event.key === "Escape") {
      if (expanded) { this.close(false); } else { this.input.value = ""; }
      event.preventDefault();
    }
  };

  Combobox.prototype.onPick = function (event) {
    var option = event.target.closest("[role=option]");
    if (option) {
      event.preventDefault();
      window.location.assign(option.dataset.url);
    }
  };

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("input[data-suggest-url]").forEach(function (input, number) {
      return new Combobox(input, number);
    });
  });
})();
