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

/* A background export: poll its progress until the file is ready. */
(function () {
  "use strict";
  var status = document.getElementById("export-status");
  if (!status || document.getElementById("export-download")) { return; }
  var bar = document.getElementById("export-progress");
  function poll() {
    fetch(status.getAttribute("data-url"), { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (job) {
        var pct = job.total ? Math.floor(100 * job.done / job.total) : 0;
        bar.style.width = pct + "%";
        bar.textContent = job.done + "/" + job.total;
        if (job.status === "done" && status.hasAttribute("data-reload")) {
          window.location.reload();  // an import: the page shows what it found
        } else if (job.status === "done") {
          status.innerHTML = "";
          var link = document.createElement("a");
          link.className = "btn btn-primary"; link.id = "export-download"; link.href = job.url; link.textContent = status.getAttribute("data-label") || "下载";
          status.appendChild(link);
        } else if (job.status === "failed") {
          window.location.reload();  // shows the message and 重新开始
        } else {
          setTimeout(poll, 1000);
        }
      });
  }
  poll();
})();
