// Twofold's one script, progressive enhancement only: every page works without it.
// 1. A search box over a long list (skills): typing hides what does not match. The box is hidden
//    until this script shows it.
// 2. Tables become labelled cards on a phone: each cell carries its column's heading, and only
//    tables so labelled are restyled (without the script a table keeps its header and scrolls).
(function () {
  "use strict";

  function labelTables(root) {
    for (const table of root.querySelectorAll("table.table")) {
      const headings = Array.from(table.querySelectorAll("thead th")).map((th) => th.textContent.trim());
      if (headings.length === 0 || table.classList.contains("labelled")) continue;
      for (const row of table.querySelectorAll("tbody tr")) {
        Array.from(row.children).forEach(function (cell, index) {
          if (!cell.dataset.label && headings[index]) cell.dataset.label = headings[index];
        });
      }
      table.classList.add("labelled");
    }
  }

  function attach(root) {
    labelTables(root);
    for (const box of root.querySelectorAll("[data-filter-for]")) {
      const list = document.getElementById(box.dataset.filterFor);
      const input = box.querySelector("input");
      if (!list || !input || box.dataset.filterReady) continue;
      box.dataset.filterReady = "yes";
      box.hidden = false;
      const status = box.querySelector("[data-filter-status]");
      input.addEventListener("input", function () {
        const wanted = input.value.trim().toLowerCase();
        let shown = 0;
        for (const item of list.querySelectorAll("[data-filter-text]")) {
          const match = wanted === "" || item.dataset.filterText.includes(wanted);
          item.hidden = !match;
          if (match) shown += 1;
        }
        for (const group of list.querySelectorAll("[data-filter-group]")) {
          group.hidden = group.querySelectorAll("[data-filter-text]:not([hidden])").length === 0;
          if (wanted !== "" && group.tagName === "DETAILS") group.open = true;
        }
        if (status) status.textContent = wanted === "" ? "" : shown + (shown === 1 ? " match" : " matches");
      });
    }
  }

  document.addEventListener("DOMContentLoaded", function () { attach(document); });
  document.addEventListener("htmx:load", function (event) { attach(event.target); });
})();
