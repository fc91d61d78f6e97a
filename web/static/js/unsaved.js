/*
 * Unsaved input: a form marked data-warn-unsaved asks before the page is left with changes nobody saved
 * (the browser's own "leave this page?" question). Submitting the form (完了, 下書き保存, 登録) is not leaving.
 */
(function () {
  "use strict";
  const forms = document.querySelectorAll("form[data-warn-unsaved]");
  if (!forms.length) {
    return;
  }
  let dirty = false;
  forms.forEach((form) => {
    const mark = () => {
      dirty = true;
      form.setAttribute("data-dirty", "true");
    };
    form.addEventListener("input", mark);
    form.addEventListener("change", mark);
    form.addEventListener("submit", () => {
      dirty = false;
      form.removeAttribute("data-dirty");
    });
  });
  window.addEventListener("beforeunload", (event) => {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
})();
