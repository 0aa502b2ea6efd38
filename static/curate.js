// Curate page: reorder by dragging an item's number. Without JavaScript the
// "Move up" / "Move down" buttons do the same, one step at a time.
(function () {
  "use strict";
  var list = document.querySelector("ol.collection-items.curate");
  var form = document.getElementById("order-form");
  if (!list || !form) { return; }
  var dragged = null;
  var before = "";

  function order() {
    return Array.prototype.map.call(list.children, function (li) { return li.dataset.itemId; }).join(",");
  }

  Array.prototype.forEach.call(list.children, function (item) {
    var handle = item.querySelector(".position");
    handle.title = "Drag to reorder";
    handle.setAttribute("aria-hidden", "true");
    // Only the handle starts a drag, so text in the note stays selectable.
    handle.addEventListener("mousedown", function () { item.draggable = true; });
    item.addEventListener("dragstart", function (event) {
      dragged = item;
      before = order();
      item.classList.add("dragging");
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", item.dataset.itemId);
    });
    item.addEventListener("dragend", function () {
      item.classList.remove("dragging");
      item.draggable = false;
      dragged = null;
      if (order() !== before) {
        form.elements.namedItem("order").value = order();
        form.submit();
      }
    });
  });

  list.addEventListener("dragover", function (event) {
    if (!dragged) { return; }
    event.preventDefault();
    var target = event.target.closest("li.collection-item");
    if (!target || target === dragged) { return; }
    var box = target.getBoundingClientRect();
    var after = event.clientY > box.top + box.height / 2;
    list.insertBefore(dragged, after ? target.nextSibling : target);
  });
  list.addEventListener("drop", function (event) { event.preventDefault(); });
})();
