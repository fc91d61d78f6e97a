/*
 * The decision table editor (dmn-js) on the file page of a decisions/<id>.dmn: the table is edited in place and
 * written back into the XML textarea when the form is posted. Editing the XML by hand still works: once the
 * textarea is typed in, its text is what gets saved. Without the script the textarea alone does the job.
 */
(function () {
  "use strict";
  var holder = document.getElementById("dmn-editor");
  var area = document.getElementById("content");
  var form = document.querySelector("form.file-editor");
  if (!holder || !area || !form) {
    return;
  }
  if (typeof window.DmnJS !== "function") {
    holder.setAttribute("data-state", "error");
    holder.textContent = "判定表エディタを読み込めません。下の XML を直接編集してください。";
    return;
  }
  var modeler = new window.DmnJS({ container: holder });
  var ready = false;
  var typed = false;

  area.addEventListener("input", function () {
    typed = true;
    holder.setAttribute("data-xml-typed", "true");
  });

  holder.setAttribute("data-state", "loading");
  modeler
    .importXML(area.value)
    .then(function () {
      var table = modeler.getViews().filter(function (view) { return view.type === "decisionTable"; })[0];
      return table ? modeler.open(table) : null;
    })
    .then(function () {
      var viewer = modeler.getActiveViewer();
      if (viewer) {
        // The page (and the tests) can tell that the table has unsaved edits.
        viewer.get("eventBus").on("commandStack.changed", function () {
          holder.setAttribute("data-changed", "true");
        });
      }
      ready = true;
      holder.setAttribute("data-state", "ready");
      window.kaigoflowDmn = modeler;
    })
    .catch(function () {
      holder.setAttribute("data-state", "error");
      holder.textContent = "この判定表は表形式で表示できません。下の XML を直接編集してください。";
    });

  form.addEventListener("submit", function (event) {
    var upload = document.getElementById("upload");
    if (!ready || typed || (upload && upload.files && upload.files.length)) {
      return;
    }
    event.preventDefault();
    modeler.saveXML({ format: true }).then(function (result) {
      area.value = result.xml;
      ready = false; // submit once, with the table's XML
      form.submit();
    });
  });
})();
