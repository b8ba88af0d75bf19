/* The declaration pages: conditional fields, chained title names, unit search,
   unsaved-change warning, counters, confirmations and the uploader. */
(function () {
  "use strict";
  var form = document.getElementById("section-form");

  // -- fields that apply only when another field has certain values ----------
  function valueOf(name) {
    if (!form) { return ""; }
    var checked = form.querySelector('[name="' + name + '"]:checked');
    if (checked) { return checked.value; }
    var el = form.querySelector('[name="' + name + '"]');
    return el ? el.value : "";
  }
  function applyConditions() {
    if (!form) { return; }
    form.querySelectorAll("[data-when], [data-unless]").forEach(function (group) {
      var values = (group.getAttribute("data-values") || "").split("|");
      var show = group.hasAttribute("data-when")
        ? values.indexOf(valueOf(group.getAttribute("data-when"))) >= 0
        : values.indexOf(valueOf(group.getAttribute("data-unless"))) < 0;
      group.hidden = !show;
      group.querySelectorAll("input, select, textarea").forEach(function (el) { el.disabled = !show || form.hasAttribute("data-locked"); });
    });
  }

  // -- 资格名称 narrowed by series and level ----------------------------------
  function applyChains() {
    if (!form) { return; }
    form.querySelectorAll("select[data-chain]").forEach(function (select) {
      var names = select.getAttribute("data-chain").split(",");
      var series = valueOf(names[0]), level = valueOf(names[1]);
      var any = false;
      Array.prototype.forEach.call(select.options, function (option) {
        if (!option.value) { return; }
        var fits = option.getAttribute("data-series") === series && option.getAttribute("data-level") === level;
        option.hidden = !fits;
        option.disabled = !fits;
        any = any || fits;
        if (!fits && option.selected) { select.value = ""; }
      });
      select.options[0].textContent = any ? "请选择" : (series && level ? "该系列和级别下没有资格名称" : "请先选择系列和级别");
    });
  }

  // -- 申报专业技术级别: say at once when no committee handles the chosen series and level --
  function applyCommitteeHint() {
    var group = document.getElementById("group-level");
    if (!form || !group || !form.hasAttribute("data-committees")) { return; }
    var pairs = form.getAttribute("data-committees").split(","), text = form.getAttribute("data-no-committee");
    var series = valueOf("series"), level = valueOf("level");
    group.querySelectorAll(".rule-hint").forEach(function (p) {
      if (p.textContent.indexOf(text) >= 0) { p.remove(); }
    });
    if (series && level && pairs.indexOf(series + "|" + level) < 0) {
      var hint = document.createElement("p");
      hint.className = "help-block rule-hint no-committee";
      hint.textContent = "⚠ " + text;
      group.querySelector(".col-sm-9").appendChild(hint);
    }
  }

  // 工作单位 pickers: app.js (shared with the reviewers' unit filter); choosing one fires "change".

  // -- unsaved changes -------------------------------------------------------
  var dirty = false, submitting = false;
  function markDirty() { dirty = true; }
  if (form) {
    form.addEventListener("input", markDirty);
    form.addEventListener("change", function () { markDirty(); applyConditions(); applyChains(); applyCommitteeHint(); });
    form.addEventListener("submit", function () { submitting = true; });
    applyConditions();
    applyChains();
    applyCommitteeHint();
  }
  window.addEventListener("beforeunload", function (e) {
    if (dirty && !submitting) { e.preventDefault(); e.returnValue = ""; }
  });
  document.querySelectorAll(".decl-tab, .side-item, #close-button").forEach(function (link) {
    link.addEventListener("click", function (e) {
      if (dirty && !submitting && !window.confirm("本页有未保存的修改，确定离开吗？")) { e.preventDefault(); }
      else { submitting = true; }
    });
  });

  // -- counters for long texts -----------------------------------------------
  document.querySelectorAll("textarea.counted").forEach(function (area) {
    var counter = document.querySelector('.counter[data-for="' + area.id + '"]');
    var max = parseInt(area.getAttribute("data-max"), 10);
    function update() {
      var n = area.value.trim().length;
      counter.textContent = "已输入" + n + "字，最多" + max + "字";
      counter.classList.toggle("text-danger", n > max);
    }
    area.addEventListener("input", update);
    update();
  });

  // -- searchable dropdowns (民族) ----------------------------------------------
  if (window.jQuery && jQuery.fn.select2) {
    jQuery("select.searchable").select2({ width: "100%" }).on("change", markDirty);
  }

  // -- confirmations and row attachments ---------------------------------------
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { e.preventDefault(); } else { submitting = true; }
    });
  });
  document.querySelectorAll(".toggle-attachments").forEach(function (button) {
    button.addEventListener("click", function () {
      var row = document.getElementById(button.getAttribute("data-target"));
      row.hidden = !row.hidden;
    });
  });
  if (location.hash.indexOf("#row-") === 0) {
    var target = document.getElementById(location.hash.slice(1).replace(/^row-/, "row-att-"));
    if (target) { target.hidden = false; }
  }

  // -- 身份证附件上传 / 查看, 档案机构证明上传 / 查看: buttons that open a panel of the page --
  document.querySelectorAll(".panel-upload").forEach(function (button) {
    button.addEventListener("click", function (e) {
      e.preventDefault();
      var panel = document.getElementById(button.getAttribute("data-panel"));
      if (!panel) { window.alert("请先填写并保存个人基本信息，保存成功后再上传" + button.getAttribute("data-label")); return; }
      panel.scrollIntoView({ behavior: "smooth" });
      var input = panel.querySelector("input[type=file]");
      if (input) { input.click(); }
    });
  });
  document.querySelectorAll(".panel-view").forEach(function (button) {
    button.addEventListener("click", function (e) {
      e.preventDefault();
      var panel = document.getElementById(button.getAttribute("data-panel"));
      var link = panel && panel.querySelector(".attachment-preview");
      if (link) { window.open(link.href, "_blank", "noopener"); }
      else { window.alert("尚未上传" + button.getAttribute("data-label")); }
    });
  });

  // -- uploads: drag and drop, several files, one after another, with progress --
  function csrfToken() {
    var field = document.querySelector('input[name="csrf_token"]');
    return field ? field.value : "";
  }
  function addItem(panel, a) {
    var li = document.createElement("li");
    li.setAttribute("data-id", a.id);
    var link = document.createElement("a");
    link.href = a.url; link.target = "_blank"; link.rel = "noopener"; link.className = "attachment-preview"; link.title = "预览";
    var img = document.createElement("img");
    img.src = a.url; img.alt = a.name;
    link.appendChild(img);
    var name = document.createElement("span");
    name.className = "attachment-name"; name.textContent = a.name;
    var download = document.createElement("a");
    download.href = a.url + "?download=1"; download.className = "btn btn-xs btn-default"; download.textContent = "下载";
    var del = document.createElement("button");
    del.type = "button"; del.className = "btn btn-xs btn-danger attachment-delete"; del.textContent = "删除";
    del.setAttribute("data-url", a.delete_url);
    li.append(link, name, download, del);
    panel.querySelector(".attachment-list").appendChild(li);
    refreshCount(panel);
  }
  function refreshCount(panel) {
    var n = panel.querySelectorAll(".attachment-list li").length, max = parseInt(panel.getAttribute("data-max"), 10);
    panel.querySelector(".attachment-count").textContent = n + "/" + max;
    document.querySelectorAll('[data-count-for="' + panel.id + '"]').forEach(function (el) { el.textContent = n; });
    var zone = panel.querySelector(".dropzone");
    if (zone) { zone.hidden = n >= max; }
  }
  function showError(panel, text) {
    var box = panel.querySelector(".upload-error");
    box.textContent = text || "";
    box.hidden = !text;
  }
  function uploadAll(panel, fileList) {
    var queue = Array.prototype.slice.call(fileList);
    var progress = panel.querySelector(".upload-progress");
    var errors = [];
    showError(panel, "");
    function next() {
      var file = queue.shift();
      if (!file) { progress.innerHTML = ""; showError(panel, errors.join("；")); return; }
      var bar = document.createElement("div");
      bar.className = "progress";
      bar.innerHTML = '<div class="progress-bar" role="progressbar" style="width:0%"></div>';
      bar.firstChild.textContent = file.name;
      progress.innerHTML = "";
      progress.appendChild(bar);
      var body = new FormData();
      body.append("file", file);
      body.append("section", panel.getAttribute("data-section"));
      body.append("kind", panel.getAttribute("data-kind"));
      body.append("row", panel.getAttribute("data-row"));
      body.append("csrf_token", csrfToken());
      var xhr = new XMLHttpRequest();
      xhr.open("POST", panel.getAttribute("data-upload-url"));
      xhr.setRequestHeader("Accept", "application/json");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { bar.firstChild.style.width = Math.round(e.loaded * 100 / e.total) + "%"; }
      });
      xhr.addEventListener("load", function () {
        var data = {};
        try { data = JSON.parse(xhr.responseText); } catch (err) { data = { ok: false, message: "上传失败，请重试" }; }
        if (data.ok) { addItem(panel, data.attachment); } else { errors.push(file.name + "：" + (data.message || "上传失败")); }
        next();
      });
      xhr.addEventListener("error", function () { errors.push(file.name + "：网络异常，上传失败"); next(); });
      xhr.send(body);
    }
    next();
  }
  document.querySelectorAll(".attachment-panel").forEach(function (panel) {
    var zone = panel.querySelector(".dropzone");
    if (zone) {
      var input = zone.querySelector("input[type=file]");
      input.addEventListener("change", function () { uploadAll(panel, input.files); input.value = ""; });
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.add("dragging"); });
      });
      ["dragleave", "drop"].forEach(function (name) {
        zone.addEventListener(name, function (e) { e.preventDefault(); zone.classList.remove("dragging"); });
      });
      zone.addEventListener("drop", function (e) { uploadAll(panel, e.dataTransfer.files); });
    }
    panel.addEventListener("click", function (e) {
      var button = e.target.closest(".attachment-delete");
      if (!button || !window.confirm("确定删除这个附件吗？")) { return; }
      var body = new FormData();
      body.append("csrf_token", csrfToken());
      fetch(button.getAttribute("data-url"), { method: "POST", body: body, credentials: "same-origin",
                                              headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (data.ok) { button.closest("li").remove(); refreshCount(panel); showError(panel, ""); }
          else { showError(panel, data.message); }
        });
    });
  });
})();
