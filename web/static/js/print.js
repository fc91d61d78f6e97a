/* The 「印刷」 button of a printed 帳票's browser view (web/pdf.py render_document_html): no inline handlers. */
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target.closest("[data-action='print']") : null;
    if (target) {
      event.preventDefault();
      window.print();
    }
  });
})();
