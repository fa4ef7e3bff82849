// Move focus to the error summary when a form comes back with errors, so screen readers
// announce it and keyboard users start from the list of links to each problem.
(function () {
  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
  }
})();
