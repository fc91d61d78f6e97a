/*
 * The variant comparison page (/admin/compare): pairs of diagrams that move together, and a change list that
 * highlights its element on both diagrams.
 *
 * Markup (rendered by web/templates/admin/compare.html; diagram.js draws the diagrams and their markers):
 *
 *   <div class="compare-pair" data-process="plan_cycle">
 *     <div class="bpmn-diagram" data-side="left" data-process="plan_cycle" ...></div>
 *     <div class="bpmn-diagram" data-side="right" data-process="plan_cycle" ...></div>
 *   </div>
 *   <li class="change" data-element="plan_review" data-left-process="plan_cycle" data-right-process="plan_cycle">
 *
 * Once both diagrams of a pair are drawn they start at the same view (see startView), and from then on a pan or zoom
 * of either is applied to the other (the pair gets data-synced="true"). Hovering or focusing a change adds the
 * kf-highlight marker to that element on each side where it exists; clicking it moves the view to the element.
 * Load this before diagram.js (both deferred) so no "kf:diagram-ready" event is missed. No inline code: CSP-safe.
 */
(function () {
  "use strict";

  var HIGHLIGHT = "kf-highlight";
  var viewers = {};

  function other(side) {
    return side === "left" ? "right" : "left";
  }

  function viewerFor(process, side) {
    return viewers[process + "|" + side] || null;
  }

  function copyView(from, to) {
    var box = from.get("canvas").viewbox();
    to.get("canvas").viewbox({ x: box.x, y: box.y, width: box.width, height: box.height });
  }

  // Both diagrams start at the same readable view: the drawings' common top-left corner, zoomed so the taller of
  // the two fills the frame's height (never above 100 %). Wide flows are then read by panning, both at once.
  function startView(left, right) {
    var a = left.get("canvas").viewbox();
    var b = right.get("canvas").viewbox();
    var pad = 20;
    var x = Math.min(a.inner.x, b.inner.x) - pad;
    var y = Math.min(a.inner.y, b.inner.y) - pad;
    var height = Math.max(a.inner.y + a.inner.height, b.inner.y + b.inner.height) + pad - y;
    var scale = Math.min(1, a.outer.height / height);
    left.get("canvas").viewbox({ x: x, y: y, width: a.outer.width / scale, height: a.outer.height / scale });
    // The viewbox getter rounds the scale: settle the left on its rounded view so both start identical.
    copyView(left, left);
  }

  // Viewbox changes are followed on the next frame; while one side is being moved to match, the events it
  // fires itself are ignored, so the two never chase each other.
  function link(pair, left, right) {
    var state = { applying: false, pending: null };

    function follow(from, to) {
      from.get("eventBus").on("canvas.viewbox.changing", function () {
        if (state.applying || state.pending === from) {
          return;
        }
        state.pending = from;
        window.requestAnimationFrame(function () {
          state.pending = null;
          state.applying = true;
          try {
            copyView(from, to);
          } finally {
            state.applying = false;
          }
        });
      });
    }

    state.applying = true;
    try {
      startView(left, right);
      copyView(left, right);
    } finally {
      state.applying = false;
    }
    follow(left, right);
    follow(right, left);
    pair.setAttribute("data-synced", "true");
  }

  document.addEventListener("kf:diagram-ready", function (event) {
    var container = event.target;
    if (!container || !container.getAttribute) {
      return;
    }
    var process = container.getAttribute("data-process");
    var side = container.getAttribute("data-side");
    if (!process || !side) {
      return;
    }
    viewers[process + "|" + side] = event.detail.viewer;
    var partner = viewerFor(process, other(side));
    var pair = container.closest(".compare-pair");
    if (partner && pair) {
      link(pair, viewerFor(process, "left"), viewerFor(process, "right"));
    }
  });

  function eachSide(item, callback) {
    var id = item.getAttribute("data-element");
    ["left", "right"].forEach(function (side) {
      var viewer = viewerFor(item.getAttribute("data-" + side + "-process"), side);
      if (viewer && id && viewer.get("elementRegistry").get(id)) {
        callback(viewer, id);
      }
    });
  }

  function highlight(item, on) {
    eachSide(item, function (viewer, id) {
      var canvas = viewer.get("canvas");
      if (on) {
        canvas.addMarker(id, HIGHLIGHT);
      } else {
        canvas.removeMarker(id, HIGHLIGHT);
      }
    });
    item.classList.toggle("is-highlighted", on);
  }

  function reveal(item) {
    var done = false;
    eachSide(item, function (viewer, id) {
      if (done) {
        return;
      }
      var canvas = viewer.get("canvas");
      var element = viewer.get("elementRegistry").get(id);
      if (typeof canvas.scrollToElement === "function" && !element.waypoints) {
        canvas.scrollToElement(element, { top: 80, bottom: 80, left: 120, right: 120 });
      }
      done = true;
    });
  }

  function bind(item) {
    item.addEventListener("mouseenter", function () { highlight(item, true); });
    item.addEventListener("mouseleave", function () { highlight(item, false); });
    item.addEventListener("focus", function () { highlight(item, true); });
    item.addEventListener("blur", function () { highlight(item, false); });
    item.addEventListener("click", function () { reveal(item); });
    item.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        reveal(item);
      }
    });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("li.change[data-element]"), bind);
  }

  window.kaigoflowCompare = { viewer: viewerFor };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
