/*
 * Form / decision table / settings editor: checks JSON or XML in the browser before it is posted, so a typo is
 * shown at once; the server checks again (engine/publishing/versions.py) and is the one that decides.
 */
(function () {
  "use strict";
  var form = document.querySelector("form.file-editor");
  if (!form) {
    return;
  }
  var area = document.getElementById("content");
  var note = document.getElementById("content-check");
  var kind = form.getAttribute("data-kind");

  function problem() {
    var text = area.value;
    if (kind === "json") {
      try {
        var value = JSON.parse(text);
        return value && typeof value === "object" && !Array.isArray(value) ? null : "JSON のオブジェクト({…})にしてください";
      } catch (error) {
        return "JSON として読めません: " + error.message;
      }
    }
    if (kind === "dmn" || kind === "bpmn") {
      if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
        return "DOCTYPE・実体宣言を含む XML は保存できません";
      }
      var doc = new DOMParser().parseFromString(text, "application/xml");
      return doc.getElementsByTagName("parsererror").length ? "XML として正しくありません" : null;
    }
    return null;
  }

  area.addEventListener("input", function () {
    var found = problem();
    note.textContent = found || "";
    area.setAttribute("aria-invalid", found ? "true" : "false");
  });
  form.addEventListener("submit", function (event) {
    var upload = document.getElementById("upload");
    if (upload && upload.files && upload.files.length) {
      return;
    }
    var found = problem();
    if (found) {
      event.preventDefault();
      note.textContent = found;
      area.focus();
    }
  });
})();
