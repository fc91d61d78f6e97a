/* A page whose job runs in the worker (publishing: scenarios run; a case export: documents done): poll the job's
   status, show how far it is, and reload the page when the job moves on (the server renders the outcome).
   The box is the element with data-status-url; no inline script (strict CSP). */
(function () {
  "use strict";
  var box = document.querySelector(".job-progress[data-status-url]");
  if (!box) {
    return;
  }
  var url = box.getAttribute("data-status-url");
  var status = box.getAttribute("data-status");
  function show(field, value) {
    var target = box.querySelector("[data-field='" + field + "']");
    if (target) {
      target.textContent = value;
    }
  }
  function poll() {
    fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        return response.ok ? response.json() : null;
      })
      .then(function (job) {
        if (job && job.status !== status) {
          window.location.reload();
          return;
        }
        if (job) {
          show("done", job.done);
          show("current", job.current || "");
          var bar = box.querySelector("progress");
          if (bar) {
            bar.value = job.done;
          }
        }
        window.setTimeout(poll, 1500);
      })
      .catch(function () {
        window.setTimeout(poll, 5000);
      });
  }
  window.setTimeout(poll, 1000);
})();
