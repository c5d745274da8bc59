// Herold's public pages: optional enhancements only; every page works without this script.
// Copy buttons: each `button.copy-button[data-copy]` copies the value of the field it names.
"use strict";
document.querySelectorAll("button.copy-button[data-copy]").forEach(function (button) {
  var field = document.getElementById(button.getAttribute("data-copy"));
  if (field === null) return;
  button.hidden = false;
  var label = button.textContent;
  button.addEventListener("click", function () {
    field.select();
    var done = function () {
      button.textContent = "Copied";
      setTimeout(function () { button.textContent = label; }, 2000);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(field.value).then(done, function () { document.execCommand("copy"); done(); });
    } else {
      document.execCommand("copy");
      done();
    }
  });
});
