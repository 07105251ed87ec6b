// A search box over a long list (skills, people): typing hides what does not match.
// Progressive enhancement: the box is hidden until this script shows it, and the list works without it.
(function () {
  "use strict";

  function attach(root) {
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
