// Keep the current-time line of the day view moving. The page works without this: the
// server marks the row that was current when the page was made.
(function () {
  "use strict";
  var table = document.querySelector("table[data-calendar]");
  if (!table) { return; }
  var rows = table.querySelectorAll("tbody tr[data-starts]");
  if (!rows.length) { return; }

  function mark() {
    var now = Date.now();
    rows.forEach(function (row) {
      var starts = Date.parse(row.getAttribute("data-starts"));
      var ends = Date.parse(row.getAttribute("data-ends"));
      row.classList.toggle("now-row", starts <= now && now < ends);
    });
  }

  window.setInterval(mark, 60 * 1000);
})();
