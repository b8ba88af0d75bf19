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
    $.extend($.fn.datepicker.defaults, { language: "zh-CN", weekStart: 1, todayHighlight: true, autoclose: true });
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
  });
})(window.jQuery);
