// The staff console's small helps (the pages work without this file): a response
// template fills its form's text as soon as it is picked (without this file its
// button reloads the report with the text in place).
(function () {
  "use strict";
  Array.prototype.forEach.call(document.querySelectorAll("select[data-fills]"), function (select) {
    var target = document.getElementById(select.getAttribute("data-fills"));
    var button = select.form && select.form.querySelector("button");
    if (!target) { return; }
    if (button) { button.hidden = true; }
    select.addEventListener("change", function () {
      var option = select.options[select.selectedIndex];
      if (option && option.value) { target.value = option.getAttribute("data-text"); target.focus(); }
    });
  });
})();

// The keyboard shortcuts on the queue and the inbox: j / k move between reports,
// Enter or o opens the current one, / goes to the first filter. Never while typing
// in a field.
(function () {
  "use strict";
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr[data-href]"));
  if (rows.length === 0) { return; }
  var current = -1;
  function select(index) {
    if (current >= 0) { rows[current].classList.remove("current"); }
    current = Math.max(0, Math.min(rows.length - 1, index));
    rows[current].classList.add("current");
    rows[current].focus();
  }
  rows.forEach(function (row, index) {
    row.tabIndex = -1;
    row.addEventListener("focus", function () { if (current !== index) { select(index); } });
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (target && /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName)) { return; }
    if (event.key === "j") { select(current + 1); event.preventDefault(); }
    else if (event.key === "k") { select(current - 1); event.preventDefault(); }
    else if ((event.key === "Enter" || event.key === "o") && current >= 0) {
      window.location.href = rows[current].getAttribute("data-href");
      event.preventDefault();
    } else if (event.key === "/") {
      var filter = document.querySelector(".filters select, .filters input");
      if (filter) { filter.focus(); event.preventDefault(); }
    }
  });
  var hint = document.getElementById("shortcuts");
  if (hint) { hint.hidden = false; }
})();
