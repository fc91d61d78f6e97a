/* The publish page while its job runs in the worker: poll the job's status, show the count of scenarios run, and
   reload the page when the job moves on (the server renders the outcome). No inline script (strict CSP). */
(function () {
  "use strict";
  var box = document.getElementById("publish-progress");
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
