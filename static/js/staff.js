// Staff pages: keyboard shortcuts, and the day view's moving current-time line. Every page
// works without this file: the shortcuts follow links that are on the page anyway, and the
// server marks the row that was current when the page was made.
(function () {
  "use strict";

  // T today, P or Left previous, N or Right next, / the search box. Never while typing,
  // never with a modifier (browser and screen-reader keys stay theirs).
  var KEYS = {
    t: "a[data-shortcut='today']",
    p: "a[data-shortcut='previous']",
    arrowleft: "a[data-shortcut='previous']",
    n: "a[data-shortcut='next']",
    arrowright: "a[data-shortcut='next']"
  };

  function typing(target) {
    if (!target || !target.closest) { return false; }
    return Boolean(target.closest("input, select, textarea, [contenteditable], .calendar-scroll"));
  }

  document.addEventListener("keydown", function (event) {
    if (event.altKey || event.ctrlKey || event.metaKey || event.defaultPrevented) { return; }
    if (typing(event.target)) { return; }
    var key = (event.key || "").toLowerCase();
    if (key === "/") {
      var search = document.querySelector("[data-shortcut-search]");
      if (search) { event.preventDefault(); search.focus(); }
      return;
    }
    var selector = KEYS[key];
    if (!selector || event.shiftKey) { return; }
    var link = document.querySelector(selector);
    if (link) { event.preventDefault(); link.click(); }
  });

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

// Waitlist offers: the countdown the server wrote ticks down in place. Without this file
// the page shows the time left when it was made and the clock time the offer ends.
(function () {
  "use strict";
  var clocks = document.querySelectorAll("[data-countdown]");
  if (!clocks.length) { return; }

  function tick() {
    var now = Date.now();
    clocks.forEach(function (el) {
      var left = Math.floor((Date.parse(el.getAttribute("data-countdown")) - now) / 60000);
      if (left <= 0) { el.textContent = "ended (reload for the next offer)"; return; }
      var hours = Math.floor(left / 60), mins = left % 60;
      el.textContent = (hours ? hours + " h " + mins + " min" : mins + " min") + " left";
    });
  }

  window.setInterval(tick, 30 * 1000);
})();
