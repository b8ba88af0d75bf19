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
