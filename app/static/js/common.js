/* Every signed-in page: the 申报年度 countdown, a warning before the idle
   timeout with 继续保持登录, and drafts of forms kept in this browser
   (localStorage, per user and page) so that an expired session never loses
   what was typed: restored on the page after signing in again, dropped once
   the server says the form was saved. */
(function () {
  "use strict";
  function meta(name) {
    var el = document.querySelector('meta[name="' + name + '"]');
    return el ? el.getAttribute("content") : null;
  }
  var owner = meta("draft-owner");

  // -- 申报年度 countdown ---------------------------------------------------------
  document.querySelectorAll("[data-countdown-to]").forEach(function (el) {
    var end = Date.parse(el.getAttribute("data-countdown-to"));
    function tick() {
      var left = Math.max(0, end - Date.now()), minutes = Math.floor(left / 60000);
      var days = Math.floor(minutes / 1440), hours = Math.floor((minutes % 1440) / 60);
      el.textContent = days + "天" + hours + "小时" + (minutes % 60) + "分";
    }
    if (!isNaN(end)) { tick(); setInterval(tick, 30000); }
  });

  // -- 从上一年度复制 asks first ----------------------------------------------------
  var copyForm = document.getElementById("copy-form");
  if (copyForm) {
    copyForm.addEventListener("submit", function (e) {
      if (!window.confirm(copyForm.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  }

  // -- drafts -------------------------------------------------------------------
  var PREFIX = "draft:" + owner + ":", MAX_AGE = 7 * 24 * 3600 * 1000;
  var SKIP = { csrf_token: 1, stamp: 1, version: 1, next: 1, action: 1 };
  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }
  var store = owner ? storage() : null;
  function keyOf(form) { return PREFIX + location.pathname + "#" + (form.id || "form"); }
  function collect(form) {
    var fields = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "file" || el.type === "password" || el.type === "submit" ||
          el.type === "button") { return; }
      if ((el.type === "radio" || el.type === "checkbox") && !el.checked) { return; }
      fields[el.name] = el.value;
    });
    form.querySelectorAll(".unit-name[id]").forEach(function (el) { fields["#" + el.id] = el.value; });
    return fields;
  }
  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
  function apply(form, fields) {
    Object.keys(fields).forEach(function (name) {
      if (name.charAt(0) === "#") {
        var shown = document.getElementById(name.slice(1));
        if (shown) { shown.value = fields[name]; }
        return;
      }
      form.querySelectorAll('[name="' + name + '"]').forEach(function (el) {
        if (el.type === "radio" || el.type === "checkbox") { el.checked = el.value === fields[name]; }
        else { el.value = fields[name]; }
        if (window.jQuery && el.classList.contains("searchable")) { window.jQuery(el).trigger("change.select2"); }
      });
    });
    // let the page's own script re-apply conditions and count characters
    form.dispatchEvent(new Event("change", { bubbles: true }));
    form.querySelectorAll("textarea").forEach(function (t) { t.dispatchEvent(new Event("input", { bubbles: true })); });
  }
  function notice(form, saved, key) {
    var box = document.createElement("div");
    box.className = "alert alert-info draft-restored";
    box.id = "draft-restored";
    var when = new Date(saved);
    box.appendChild(document.createTextNode("已恢复您在 " + when.toLocaleString("zh-CN", { hour12: false }) +
      " 填写但尚未保存的内容（登录超时或页面过期时保留在本浏览器中）。请核对后点击“保存”。 "));
    var drop = document.createElement("button");
    drop.type = "button"; drop.className = "btn btn-xs btn-default"; drop.textContent = "放弃恢复";
    drop.addEventListener("click", function () { store.removeItem(key); location.reload(); });
    box.appendChild(drop);
    form.parentNode.insertBefore(box, form);
  }
  if (store) {
    // old drafts and the draft of a form just saved go
    var saved = meta("draft-saved");
    for (var i = store.length - 1; i >= 0; i -= 1) {
      var k = store.key(i);
      if (!k || k.indexOf(PREFIX) !== 0) { continue; }
      var entry = null;
      try { entry = JSON.parse(store.getItem(k)); } catch (e) { entry = null; }
      if (!entry || Date.now() - entry.saved > MAX_AGE || (saved && k.indexOf(PREFIX + saved + "#") === 0)) {
        store.removeItem(k);
      }
    }
    document.querySelectorAll("form[data-draft]").forEach(function (form) {
      var key = keyOf(form), initial = collect(form), timer = null;
      var entry = null;
      try { entry = JSON.parse(store.getItem(key)); } catch (e) { entry = null; }
      if (entry && entry.fields) {
        // The "已恢复…（登录超时…）" banner only when something was lost: a submission the
        // expired page marked, or typing never sent. A submission the server answered with
        // a message (refused, redirected back) gets what was typed back without the banner.
        if (same(entry.fields, initial)) { store.removeItem(key); }
        else if (entry.sent && !entry.lost) { apply(form, entry.fields); }
        else { apply(form, entry.fields); notice(form, entry.saved, key); }
      }
      function keep(sent) {
        var fields = collect(form), before = null;
        try { before = JSON.parse(store.getItem(key)); } catch (e) { before = null; }
        // unchanged since it was sent (the page re-applying it): still the sent draft
        if (sent !== true && before && before.sent && same(before.fields, fields)) { return; }
        try {
          store.setItem(key, JSON.stringify({ saved: Date.now(), fields: fields, sent: sent === true }));
        } catch (e) { /* full */ }
      }
      form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(keep, 400); });
      form.addEventListener("change", function () { clearTimeout(timer); timer = setTimeout(keep, 400); });
      form.addEventListener("submit", function () { clearTimeout(timer); keep(true); });
    });
  }

  // -- warning before the idle timeout ------------------------------------------
  var idle = parseInt(meta("session-idle"), 10);
  if (!idle) { return; }
  var WARN = Math.min(300, Math.floor(idle / 3)), last = Date.now(), banner = null, clock = null;
  function hideBanner() { if (banner) { banner.remove(); banner = null; } clearInterval(clock); }
  function showBanner() {
    if (banner) { return; }
    banner = document.createElement("div");
    banner.className = "session-warning alert alert-warning";
    banner.id = "session-warning";
    banner.setAttribute("role", "alert");
    var text = document.createElement("span");
    var stay = document.createElement("button");
    stay.type = "button"; stay.className = "btn btn-sm btn-primary"; stay.id = "stay-signed-in"; stay.textContent = "继续保持登录";
    stay.addEventListener("click", function () {
      fetch("/session/keepalive", { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          if (data.ok) { last = Date.now(); hideBanner(); } else { expired(); }
        }).catch(function () { text.textContent = "网络异常，请稍后再试。"; });
    });
    banner.append(text, " ", stay);
    document.body.appendChild(banner);
    function update() {
      var left = Math.round((last + idle * 1000 - Date.now()) / 1000);
      if (left <= 0) { expired(); return; }
      text.textContent = "您已较长时间未操作，登录将在 " + Math.floor(left / 60) + " 分 " + (left % 60) +
        " 秒后超时。已填写的内容会保留在本浏览器中。";
    }
    update();
    clock = setInterval(update, 1000);
  }
  var over = false;
  function expired() {
    if (over) { return; }
    over = true;
    clearInterval(clock);
    if (!banner) { showBanner(); clearInterval(clock); }
    banner.className = "session-warning alert alert-danger";
    banner.innerHTML = "";
    var login = document.createElement("a");
    login.href = "/login/?next=" + encodeURIComponent(location.pathname + location.search);
    login.textContent = "重新登录";
    login.className = "btn btn-sm btn-primary";
    banner.append("登录已超时。本页填写的内容已保留在本浏览器中，", login, " 后回到本页即可恢复。");
  }
  setInterval(function () {
    var left = last + idle * 1000 - Date.now();
    if (left <= 0) { expired(); } else if (left <= WARN * 1000) { showBanner(); }
  }, 5000);
})();
