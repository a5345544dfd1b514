/* The admin's shell: the phone menu and the labels of stacked table rows.
   Runs from the head: it marks the page as scripted at once, then waits for
   the document. Without it the menu simply stays open above the page. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function setUpMenu() {
    var button = document.querySelector(".menu-button");
    var nav = document.getElementById("admin-nav");
    if (!button || !nav) { return; }
    button.hidden = false;
    function show(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      document.documentElement.classList.toggle("nav-open", open);
    }
    button.addEventListener("click", function () {
      show(button.getAttribute("aria-expanded") !== "true");
    });
    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && button.getAttribute("aria-expanded") === "true") {
        show(false);
        button.focus();
      }
    });
  }

  /* On a phone a list's rows are stacked cards: each cell says its column. */
  function labelCells() {
    var tables = document.querySelectorAll("table.list");
    Array.prototype.forEach.call(tables, function (table) {
      var heads = table.querySelectorAll("thead th");
      if (!heads.length) { return; }
      Array.prototype.forEach.call(table.querySelectorAll("tbody tr"), function (row) {
        Array.prototype.forEach.call(row.children, function (cell, i) {
          var head = heads[i];
          var text = head ? head.textContent.trim() : "";
          if (text && !cell.hasAttribute("data-label")) {
            /* one box for the cell's content: the label and it are two columns */
            var value = document.createElement("div");
            value.className = "cell-value";
            while (cell.firstChild) { value.appendChild(cell.firstChild); }
            cell.appendChild(value);
            cell.setAttribute("data-label", text);
          }
        });
      });
    });
  }

  /* A "tick every row" box ticks the boxes named by its data-check-all. */
  function setUpCheckAll() {
    var boxes = document.querySelectorAll("input[data-check-all]");
    Array.prototype.forEach.call(boxes, function (all) {
      var form = all.form;
      var name = all.getAttribute("data-check-all");
      if (!form) { return; }
      all.addEventListener("change", function () {
        Array.prototype.forEach.call(form.querySelectorAll("input[name='" + name + "']"), function (box) {
          box.checked = all.checked;
        });
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setUpMenu();
    labelCells();
    setUpCheckAll();
  });
}());
