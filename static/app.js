// cleanmatch: small progressive enhancements. Every page works without this file.
(function () {
  "use strict";

  // Forms with data-confirm ask before they submit (closing, archiving).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Filter forms apply a changed select at once.
  document.querySelectorAll("form[data-autosubmit] select").forEach(function (select) {
    select.addEventListener("change", function () {
      if (select.form.requestSubmit) {
        select.form.requestSubmit();
      } else {
        select.form.submit();
      }
    });
  });

  // "Select all" boxes (shown only with this script) tick every box of their name.
  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var name = all.getAttribute("data-select-all");
    var boxes = all.form.querySelectorAll("input[type=checkbox][name='" + name + "']");
    var label = all.closest("[hidden]");
    if (label) {
      label.hidden = false;
    }
    all.addEventListener("change", function () {
      boxes.forEach(function (box) {
        box.checked = all.checked;
      });
    });
  });

  // After a failed form post, move the keyboard focus to the first field with an error.
  var invalid = document.querySelector("[aria-invalid='true'], .field--error input, .field--error select, .field--error textarea");
  if (invalid && typeof invalid.focus === "function") {
    invalid.focus();
  }
})();
