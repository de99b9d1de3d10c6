/* The installable app and small page helpers, loaded from this origin (CSP: no inline script).
   - registers the service worker (/sw.js: the shell and the offline page only);
   - shows the "Install the app" button when the browser offers installation;
   - [data-copy="#id"] buttons copy a field's text; [data-share-url] buttons open the phone's share sheet. */
(function () {
  "use strict";
  // Tenant pages link their manifest (portal/base.html); the head office's console does not install.
  if ("serviceWorker" in navigator && document.querySelector('link[rel="manifest"]')) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", {scope: "/"}).catch(function () { /* no app, the site still works */ });
    });
  }
  var deferred = null;
  window.addEventListener("beforeinstallprompt", function (event) {
    event.preventDefault();
    deferred = event;
    document.querySelectorAll("[data-install-app]").forEach(function (button) { button.hidden = false; });
  });
  document.addEventListener("click", function (event) {
    var install = event.target.closest("[data-install-app]");
    if (install && deferred) {
      deferred.prompt();
      deferred.userChoice.finally(function () { deferred = null; install.hidden = true; });
      return;
    }
    var copy = event.target.closest("[data-copy]");
    if (copy) {
      var field = document.querySelector(copy.getAttribute("data-copy"));
      if (field && navigator.clipboard) {
        navigator.clipboard.writeText(field.value || field.textContent).then(function () {
          var done = copy.getAttribute("data-copied");
          if (done) { copy.textContent = done; }
        });
      }
      return;
    }
    var share = event.target.closest("[data-share-url]");
    if (share && navigator.share) {
      event.preventDefault();
      navigator.share({title: share.getAttribute("data-share-title") || document.title,
                       url: share.getAttribute("data-share-url")}).catch(function () {});
    }
  });
  document.querySelectorAll("[data-share-url]").forEach(function (button) {
    if (navigator.share) { button.hidden = false; }
  });
})();
