// Copy-link, copy-citation and print buttons of a case study (templates/case_study/_cite.html).
// A static file, no inline script: the Content-Security-Policy allows no unsafe-inline.
(function () {
  "use strict";

  function say(button, text) {
    var status = button.parentNode.querySelector(".copy-status");
    if (status) { status.textContent = text; }
  }

  function fallbackCopy(text) {
    // Older browsers or plain http: a hidden textarea and execCommand.
    var area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.className = "visually-hidden";
    document.body.appendChild(area);
    area.select();
    var ok = false;
    try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(area);
    return ok;
  }

  function copy(button) {
    var source = button.getAttribute("data-copy-from");
    var text = source ? document.getElementById(source).textContent.replace(/\s+/g, " ").trim()
                      : button.getAttribute("data-copy");
    var done = function () { say(button, button.getAttribute("data-copied")); };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done, function () {
        if (fallbackCopy(text)) { done(); }
      });
    } else if (fallbackCopy(text)) {
      done();
    }
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest(".copy-button, .print-button");
    if (!button) { return; }
    if (button.classList.contains("print-button")) { window.print(); } else { copy(button); }
  });
})();
