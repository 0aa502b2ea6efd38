// Search page: the filter drawer opens by itself on a wide screen, and long facet
// lists get a filter box. Everything works without this script.
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 48rem)");

  function openDrawerWhenWide() {
    var drawer = document.getElementById("filters");
    if (drawer && wide.matches) { drawer.open = true; }
  }

  function matches(item, words) {
    var text = item.textContent.toLowerCase();
    return words.every(function (word) { return text.indexOf(word) !== -1; });
  }

  function addFilterBox(facet) {
    var more = facet.querySelector("details.more");
    if (!more || facet.dataset.facet === "year") { return; }
    var heading = facet.querySelector("summary h2");
    var box = document.createElement("input");
    box.type = "search";
    box.className = "facet-filter";
    box.setAttribute("aria-label", facet.dataset.filterLabel + " " + heading.textContent);
    box.placeholder = facet.dataset.filterLabel;
    facet.querySelector("summary").insertAdjacentElement("afterend", box);
    box.addEventListener("input", function () {
      var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
      if (words.length) { facet.querySelectorAll("details.more").forEach(function (d) { d.open = true; }); }
      facet.querySelectorAll("li").forEach(function (item) { item.hidden = !matches(item, words); });
      facet.querySelectorAll(".facet-group").forEach(function (group) {
        var list = group.nextElementSibling;
        var shown = list && list.querySelector("li:not([hidden])");
        group.hidden = !shown;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    openDrawerWhenWide();
    document.querySelectorAll(".facet[data-facet]").forEach(addFilterBox);
  });
})();
