/* On the page that says a submission was not saved (login timed out, page
   expired, server error): the drafts just sent are marked lost, so that the
   form page restores them (common.js drops a sent draft the server answered). */
(function () {
  "use strict";
  var store = null;
  try { store = window.localStorage; } catch (e) { return; }
  if (!store) { return; }
  for (var i = 0; i < store.length; i += 1) {
    var key = store.key(i);
    if (!key || key.indexOf("draft:") !== 0) { continue; }
    try {
      var entry = JSON.parse(store.getItem(key));
      if (entry && entry.sent && !entry.lost) { entry.lost = true; store.setItem(key, JSON.stringify(entry)); }
    } catch (e) { /* not ours */ }
  }
})();
