/*
 * Repeatable row groups on task forms: "行を増やす" adds an empty row in place instead of reloading the page.
 * Optional: without JavaScript the button posts the form and the server draws the extra rows.
 * Markup (web/templates/macros/form.html): <fieldset data-rows="goals" data-max-rows="5"> with child
 * <fieldset class="row" data-row-index="N"> whose inputs are named goals.N.<field>.
 */
(function () {
  "use strict";

  function renumber(row, path, from, to) {
    var oldName = path + "." + from + ".";
    var newName = path + "." + to + ".";
    var oldId = "f-" + (path + "." + from + ".").replace(/[^A-Za-z0-9_-]/g, "-");
    var newId = "f-" + (path + "." + to + ".").replace(/[^A-Za-z0-9_-]/g, "-");
    row.setAttribute("data-row-index", String(to));
    Array.prototype.forEach.call(row.querySelectorAll("[name], [id], [for], [aria-describedby]"), function (el) {
      ["name", "id", "for", "aria-describedby"].forEach(function (attr) {
        var value = el.getAttribute(attr);
        if (value) {
          el.setAttribute(attr, value.split(oldName).join(newName).split(oldId).join(newId));
        }
      });
    });
    var legend = row.querySelector("legend");
    if (legend) {
      legend.textContent = to + 1 + "行目";
    }
  }

  function clear(row) {
    Array.prototype.forEach.call(row.querySelectorAll("input, select, textarea"), function (el) {
      if (el.type === "checkbox" || el.type === "radio") {
        el.checked = false;
      } else if (el.tagName === "SELECT") {
        el.selectedIndex = 0;
      } else {
        el.value = "";
      }
      el.removeAttribute("aria-invalid");
    });
    Array.prototype.forEach.call(row.querySelectorAll(".field-error, .date-echo"), function (el) {
      el.parentNode.removeChild(el);
    });
    Array.prototype.forEach.call(row.querySelectorAll(".has-error"), function (el) {
      el.classList.remove("has-error");
    });
  }

  function enhance(group) {
    var path = group.getAttribute("data-rows");
    var button = group.querySelector("button.add-row");
    var max = parseInt(group.getAttribute("data-max-rows") || "0", 10);
    if (!button || !path) {
      return;
    }
    function rows() {
      return group.querySelectorAll(":scope > fieldset.row");
    }
    function update() {
      button.disabled = max > 0 && rows().length >= max;
    }
    button.addEventListener("click", function (event) {
      event.preventDefault();
      var all = rows();
      if (!all.length || (max > 0 && all.length >= max)) {
        return;
      }
      var last = all[all.length - 1];
      var copy = last.cloneNode(true);
      renumber(copy, path, parseInt(last.getAttribute("data-row-index"), 10), all.length);
      clear(copy);
      last.parentNode.insertBefore(copy, button);
      var first = copy.querySelector("input:not([type=hidden]), select, textarea");
      if (first) {
        first.focus();
      }
      update();
    });
    update();
  }

  Array.prototype.forEach.call(document.querySelectorAll("fieldset[data-rows]"), enhance);
})();
