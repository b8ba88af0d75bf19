/* Reviewer pages: select all, confirmations, a reason before returning. */
(function () {
  "use strict";
  var all = document.getElementById("check-all");
  if (all) {
    all.addEventListener("change", function () {
      document.querySelectorAll(".row-check").forEach(function (box) { box.checked = all.checked; });
    });
  }
  document.querySelectorAll("button[data-confirm]").forEach(function (button) {
    button.addEventListener("click", function (e) {
      if (!window.confirm(button.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
  document.querySelectorAll("button[data-needs-reason]").forEach(function (button) {
    button.addEventListener("click", function (e) {
      var opinion = document.getElementById("opinion");
      if (button.getAttribute("data-needs-reason") && !opinion.value.trim()) {
        e.preventDefault();
        opinion.focus();
        window.alert("请填写" + (button.value === "return" ? "退回原因" : "意见"));
      }
    });
  });
})();
