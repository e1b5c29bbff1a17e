// Phones: a list table (one with column headers) becomes a card per row; each cell is labelled by its
// column's header, copied here into data-label so that templates need not repeat every header.
(function () {
  "use strict";
  function labelCells(table) {
    const head = table.tHead;
    if (!head || !head.rows.length) return;
    const labels = Array.from(head.rows[0].cells).map((cell) => cell.textContent.trim());
    table.classList.add("cards");
    Array.from(table.tBodies).forEach((body) => {
      Array.from(body.rows).forEach((row) => {
        Array.from(row.cells).forEach((cell, index) => {
          if (!cell.hasAttribute("data-label")) cell.setAttribute("data-label", labels[index] || "");
        });
      });
    });
  }
  function labelAll(root) {
    (root || document).querySelectorAll("main table").forEach(labelCells);
  }
  // Rows added later by a page's script (a live list) are labelled too.
  window.AirspaceLayout = { labelAll, labelCells };
  document.addEventListener("DOMContentLoaded", () => {
    labelAll();
    new MutationObserver(() => labelAll()).observe(document.querySelector("main") || document.body, { childList: true, subtree: true });
  });
})();
