/* Chinese for the widgets that Flask-AppBuilder ships in English: the date
   picker (bootstrap-datepicker) and select2; a calendar on the declaration's
   date fields; the search box of a searchable select takes the focus. Loaded
   after FAB's scripts and before their ready handlers run. */
(function ($) {
  "use strict";
  if (!$) { return; }
  var zh = {
    days: ["星期日", "星期一", "星期二", "星期三", "星期四", "星期五", "星期六"],
    daysShort: ["周日", "周一", "周二", "周三", "周四", "周五", "周六"],
    daysMin: ["日", "一", "二", "三", "四", "五", "六"],
    months: ["一月", "二月", "三月", "四月", "五月", "六月", "七月", "八月", "九月", "十月", "十一月", "十二月"],
    monthsShort: ["1月", "2月", "3月", "4月", "5月", "6月", "7月", "8月", "9月", "10月", "11月", "12月"],
    today: "今天", clear: "清除", monthsTitle: "选择月份", format: "yyyy-mm-dd", titleFormat: "yyyy年mm月",
    weekStart: 1
  };
  if ($.fn.datepicker) {
    $.fn.datepicker.dates["zh-CN"] = zh;
    // The calendar only ever fills the box when a day is clicked: what was
    // typed or pasted is never re-read and rewritten (no parsing on leaving
    // the field or on Enter, arrow keys move the cursor, not the date), so
    // 2027-02-30 stays 2027-02-30 and the server answers it beside the field.
    $.extend($.fn.datepicker.defaults, { language: "zh-CN", weekStart: 1, todayHighlight: true, autoclose: true,
                                         forceParse: false, keyboardNavigation: false });
    var picker = $.fn.datepicker.Constructor;
    if (picker && picker.prototype.paste) {
      // its own paste handler replaced the box's text with its reading of
      // the clipboard (empty when it could not read it): let the text land
      picker.prototype.paste = function () {
        var self = this;
        setTimeout(function () { self.update(); }, 0);
      };
    }
  }
  if ($.fn.select2) {
    $.fn.select2.defaults.set("language", {
      errorLoading: function () { return "无法载入结果。"; },
      inputTooLong: function (a) { return "请删除" + (a.input.length - a.maximum) + "个字"; },
      inputTooShort: function (a) { return "请再输入至少" + (a.minimum - a.input.length) + "个字"; },
      loadingMore: function () { return "载入更多结果…"; },
      maximumSelected: function (a) { return "最多只能选择" + a.maximum + "项"; },
      noResults: function () { return "未找到结果"; },
      searching: function () { return "搜索中…"; },
      removeAllItems: function () { return "删除全部"; },
      removeItem: function () { return "删除"; },
      search: function () { return "搜索"; }
    });
    // select2 4.0 with jQuery 3.6 no longer focuses its search box on open.
    $(document).on("select2:open", function () {
      var box = document.querySelector(".select2-container--open .select2-search__field");
      if (box) { box.focus(); }
    });
  }
  $(function () {
    // FAB's own selects say "Select a State"; ours say 请选择.
    $(".my_select2").each(function () {
      var select = $(this);
      if (select.data("select2")) {
        select.select2($.extend({}, select.data("select2").options.options, { placeholder: "请选择" }));
      }
    });
    // A calendar where the manual asks for a date; typing (2020-05 for a month) still works.
    if ($.fn.datepicker) {
      $("input.date-input").datepicker({ format: "yyyy-mm-dd", forceParse: false, language: "zh-CN" });
    }
    // A day that does not exist (2027-02-30) is said beside the box when it
    // is left, in the server's words (data-impossible), and kept as typed.
    $(document).on("change blur", "input[data-impossible]", function () {
      var box = $(this), text = $.trim(box.val()), anchor = box.closest(".date-field");
      if (!anchor.length) { anchor = box; }
      var hint = anchor.nextAll(".date-hint");
      var m = /^([0-9]{4})\s*[-\/.年]\s*([0-9]{1,2})\s*[-\/.月]\s*([0-9]{1,2})\s*日?$/.exec(text) ||
              /^([0-9]{4})([0-9]{2})([0-9]{2})$/.exec(text);
      var wrong = false;
      if (m) {
        var y = +m[1], mo = +m[2], d = +m[3], day = new Date(Date.UTC(y, mo - 1, d));
        wrong = day.getUTCFullYear() !== y || day.getUTCMonth() !== mo - 1 || day.getUTCDate() !== d;
      }
      hint.remove();
      // the server's answer already beside the box says the same
      if (wrong && anchor.parent().text().indexOf(box.data("impossible")) < 0) {
        $("<p class=\"help-block field-error date-hint\"></p>").text(box.data("impossible"))
          .insertAfter(anchor);
      }
    });
  });
})(window.jQuery);
