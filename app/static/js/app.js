/* Behaviour of the account pages; served as a file so the CSP needs no inline script. */
(function () {
  "use strict";

  // Click the captcha image for a new one.
  document.querySelectorAll(".captcha-img").forEach(function (img) {
    img.addEventListener("click", function () { refreshCaptcha(img); });
  });
  function refreshCaptcha(img) {
    img.src = img.getAttribute("data-src") + "?t=" + Date.now();
  }

  // 获取手机验证码: needs the phone number and the image captcha first.
  var form = document.getElementById("register-form");
  var button = document.getElementById("sms-button");
  if (form && button) {
    var status = document.getElementById("sms-status");
    var timer = null;
    var setStatus = function (text, ok) {
      status.textContent = text;
      status.className = "help-block sms-status " + (ok ? "ok" : "bad");
    };
    var countdown = function (seconds) {
      clearInterval(timer);
      button.disabled = true;
      var left = seconds;
      button.textContent = left + "秒后重新获取";
      timer = setInterval(function () {
        left -= 1;
        if (left <= 0) {
          clearInterval(timer);
          button.disabled = false;
          button.textContent = "获取手机验证码";
        } else {
          button.textContent = left + "秒后重新获取";
        }
      }, 1000);
    };
    button.addEventListener("click", function () {
      var phone = form.querySelector("[name=phone]").value.trim();
      var captcha = form.querySelector("[name=captcha]").value.trim();
      if (!/^1[3-9][0-9]{9}$/.test(phone)) { setStatus("请先填写正确的11位手机号", false); return; }
      if (!captcha) { setStatus("请先填写图形验证码", false); return; }
      var body = new URLSearchParams();
      body.append("phone", phone);
      body.append("captcha", captcha);
      body.append("csrf_token", form.querySelector("[name=csrf_token]").value);
      button.disabled = true;
      fetch(form.getAttribute("data-sms-url"), {
        method: "POST", body: body, credentials: "same-origin",
        headers: { "X-Requested-With": "fetch", "Accept": "application/json" }
      }).then(function (r) { return r.json(); }).then(function (data) {
        setStatus(data.message, data.ok);
        if (data.ok || data.wait) { countdown(data.wait || 60); } else { button.disabled = false; }
        if (!data.ok && data.field === "captcha") {
          var img = form.querySelector(".captcha-img");
          if (img) { refreshCaptcha(img); }
        }
      }).catch(function () {
        setStatus("网络异常，请稍后再试", false);
        button.disabled = false;
      });
    });
  }

  // On a phone the tabs scroll sideways: bring the current one into view.
  var activeTab = document.querySelector(".decl-tabs > li.active");
  if (activeTab && activeTab.parentNode.scrollWidth > activeTab.parentNode.clientWidth) {
    activeTab.parentNode.scrollLeft = activeTab.offsetLeft - 16;
  }
})();

/* Unit pickers: a fuzzy search that fills a hidden id; typed text alone is never a unit. */
(function () {
  "use strict";
  // 工作单位: only units found in the database (declaration page, reviewers' unit filter).
  document.querySelectorAll(".unit-picker").forEach(function (picker) {
    var hidden = picker.querySelector(".unit-id"), input = picker.querySelector(".unit-name");
    var list = picker.querySelector(".unit-results"), timer = null;
    function search() {
      var q = input.value.trim();
      if (!q) { list.hidden = true; return; }
      fetch(picker.getAttribute("data-search-url") + "?q=" + encodeURIComponent(q), { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          list.innerHTML = "";
          if (!data.results.length) {
            var none = document.createElement("li");
            none.className = "list-group-item text-muted";
            none.textContent = "没有找到包含“" + q + "”的单位，请联系工作单位向主管部门申请建立";
            list.appendChild(none);
          }
          data.results.forEach(function (unit) {
            var item = document.createElement("li");
            item.className = "list-group-item unit-option";
            item.textContent = unit.name;
            item.addEventListener("mousedown", function (e) {
              e.preventDefault();
              hidden.value = unit.id;
              input.value = unit.name;
              list.hidden = true;
              hidden.dispatchEvent(new Event("change", { bubbles: true }));
            });
            list.appendChild(item);
          });
          list.hidden = false;
        });
    }
    input.addEventListener("input", function () {
      hidden.value = "";           // typed text is never a unit: choose from the list
      clearTimeout(timer);
      timer = setTimeout(search, 300);
    });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { e.preventDefault(); clearTimeout(timer); search(); }
    });
    input.addEventListener("blur", function () { setTimeout(function () { list.hidden = true; }, 150); });
  });

})();
