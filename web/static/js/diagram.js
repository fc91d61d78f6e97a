/*
 * Read-only BPMN diagrams with progress markers, for the case and process pages.
 *
 * Markup (no inline script needed; the page loads the viewer, then this file):
 *
 *   <link rel="stylesheet" href="/static/vendor/bpmn-js/assets/diagram-js.css">
 *   <link rel="stylesheet" href="/static/vendor/bpmn-js/assets/bpmn-js.css">
 *   <link rel="stylesheet" href="/static/css/diagram.css">
 *   <div class="bpmn-diagram"
 *        data-xml-url="/cases/12/diagram.bpmn"           same origin; fetched with the session cookie
 *        data-completed='["intake","contract"]'           element ids drawn as done (kf-completed)
 *        data-current='["assessment"]'                    element ids being worked on (kf-current)
 *        data-lanes='{"assessment": "担当: 居宅"}'          label shown above a current element
 *        data-markers='{"plan_review": "kf-changed"}'>    optional: any other marker class per id
 *   </div>
 *   <script src="/static/vendor/bpmn-js/bpmn-navigated-viewer.production.min.js" defer></script>
 *   <script src="/static/js/diagram.js" defer></script>
 *
 * When a current element has no entry in data-lanes, the label is the name of the lane it is drawn in.
 * Ids not found in the diagram (e.g. steps of a called subprocess) are ignored and listed in data-missing.
 * The div gets data-state="loading" | "ready" | "error" and fires a "kf:diagram-ready" or "kf:diagram-error"
 * event (detail: {viewer} or {message}). No eval, no inline handlers: fit for a strict Content-Security-Policy.
 */
(function () {
  "use strict";

  var MESSAGES = {
    noViewer: "業務フロー図を表示できません(表示用のスクリプトが読み込まれていません)。",
    badUrl: "業務フロー図の場所が正しくありません。",
    http: "業務フロー図を読み込めませんでした(HTTP {status})。",
    network: "業務フロー図を読み込めませんでした(通信エラー)。再読み込みしてください。",
    parse: "業務フロー図の形式が正しくないため表示できません。",
  };
  var LEGEND = [
    ["kf-completed", "完了"],
    ["kf-current", "現在の作業"],
  ];

  function parseJson(element, name, fallback) {
    var raw = element.getAttribute(name);
    if (!raw) {
      return fallback;
    }
    try {
      var value = JSON.parse(raw);
      return value === null ? fallback : value;
    } catch (error) {
      if (window.console) {
        window.console.warn("diagram.js: " + name + " is not JSON", error);
      }
      return fallback;
    }
  }

  function asIdList(value) {
    return Array.isArray(value) ? value.filter(function (id) { return typeof id === "string"; }) : [];
  }

  function sameOriginUrl(raw) {
    if (!raw) {
      return null;
    }
    var url = new URL(raw, window.location.href);
    return url.origin === window.location.origin ? url.href : null;
  }

  function showError(container, message) {
    container.setAttribute("data-state", "error");
    container.removeAttribute("aria-busy");
    var box = document.createElement("p");
    box.className = "kf-diagram-error";
    box.setAttribute("role", "alert");
    box.textContent = message;
    container.appendChild(box);
    container.dispatchEvent(new CustomEvent("kf:diagram-error", { bubbles: true, detail: { message: message } }));
  }

  function laneName(element) {
    var semantic = element.businessObject;
    var lanes = semantic && semantic.get ? semantic.get("lanes") : null;
    if (lanes && lanes.length && lanes[lanes.length - 1].name) {
      return lanes[lanes.length - 1].name;
    }
    return null;
  }

  function addLegend(container, used) {
    var items = LEGEND.filter(function (entry) { return used[entry[0]]; });
    if (!items.length) {
      return;
    }
    var legend = document.createElement("ul");
    legend.className = "kf-diagram-legend";
    legend.setAttribute("aria-label", "凡例");
    items.forEach(function (entry) {
      var item = document.createElement("li");
      var swatch = document.createElement("span");
      swatch.className = "kf-swatch " + entry[0];
      swatch.setAttribute("aria-hidden", "true");
      item.appendChild(swatch);
      item.appendChild(document.createTextNode(entry[1]));
      legend.appendChild(item);
    });
    container.appendChild(legend);
  }

  function decorate(viewer, container) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    var lanes = parseJson(container, "data-lanes", {});
    var missing = [];
    var used = {};

    function mark(ids, marker) {
      ids.forEach(function (id) {
        if (registry.get(id)) {
          canvas.addMarker(id, marker);
          used[marker] = true;
        } else if (missing.indexOf(id) < 0) {
          missing.push(id);
        }
      });
    }

    var current = asIdList(parseJson(container, "data-current", []));
    mark(asIdList(parseJson(container, "data-completed", [])), "kf-completed");
    mark(current, "kf-current");

    var markers = parseJson(container, "data-markers", {});
    Object.keys(markers).forEach(function (id) {
      var classes = Array.isArray(markers[id]) ? markers[id] : [markers[id]];
      classes.filter(function (cls) { return /^kf-[a-z0-9-]+$/.test(cls); }).forEach(function (cls) {
        mark([id], cls);
      });
    });

    current.forEach(function (id) {
      var element = registry.get(id);
      if (!element) {
        return;
      }
      var text = typeof lanes[id] === "string" ? lanes[id] : laneName(element);
      if (!text) {
        return;
      }
      var label = document.createElement("div");
      label.className = "kf-lane-label";
      label.textContent = text;
      label.title = text;
      overlays.add(id, "kf-lane-label", { position: { bottom: -4, left: 0 }, scale: { min: 1 }, html: label });
    });

    if (missing.length) {
      container.setAttribute("data-missing", JSON.stringify(missing));
    }
    addLegend(container, used);
  }

  // A diagram in a closed <details> or a hidden tab has no size yet: zoom to fit once it is first shown.
  function fitWhenVisible(viewer, container) {
    var canvas = viewer.get("canvas");
    if (container.clientWidth > 0 && container.clientHeight > 0) {
      canvas.zoom("fit-viewport", "auto");
      return;
    }
    if (typeof window.ResizeObserver !== "function") {
      return;
    }
    var observer = new window.ResizeObserver(function () {
      if (container.clientWidth > 0 && container.clientHeight > 0) {
        observer.disconnect();
        canvas.resized();
        canvas.zoom("fit-viewport", "auto");
      }
    });
    observer.observe(container);
  }

  // 拡大・縮小・全体: buttons over the diagram's corner, large enough for a finger at phone width, for those who
  // cannot pinch or scroll-zoom (the mouse wheel and dragging still work as well).
  function addZoomControls(viewer, container) {
    var canvas = viewer.get("canvas");
    var box = document.createElement("div");
    box.className = "kf-zoom";
    box.setAttribute("role", "group");
    box.setAttribute("aria-label", "図の表示の大きさ");
    [
      ["in", "+", "拡大"],
      ["out", "−", "縮小"],
      ["fit", "全体", "図の全体を表示"],
    ].forEach(function (entry) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "kf-zoom-" + entry[0];
      button.textContent = entry[1];
      button.setAttribute("aria-label", entry[2]);
      button.title = entry[2];
      button.addEventListener("click", function () {
        if (entry[0] === "fit") {
          canvas.zoom("fit-viewport", "auto");
        } else {
          canvas.zoom(canvas.zoom() * (entry[0] === "in" ? 1.25 : 0.8), "auto");
        }
        container.setAttribute("data-zoom", String(Math.round(canvas.zoom() * 100) / 100));
      });
      box.appendChild(button);
    });
    container.appendChild(box);
  }

  function render(container) {
    if (container.getAttribute("data-state")) {
      return Promise.resolve();
    }
    container.setAttribute("data-state", "loading");
    container.setAttribute("aria-busy", "true");
    if (!container.getAttribute("aria-label")) {
      container.setAttribute("aria-label", "業務フロー図");
    }
    if (typeof window.BpmnJS !== "function") {
      showError(container, MESSAGES.noViewer);
      return Promise.resolve();
    }
    var url = sameOriginUrl(container.getAttribute("data-xml-url"));
    if (!url) {
      showError(container, MESSAGES.badUrl);
      return Promise.resolve();
    }
    return window
      .fetch(url, { credentials: "same-origin", headers: { Accept: "application/xml, text/xml" } })
      .then(
        function (response) {
          if (!response.ok) {
            throw { kfMessage: MESSAGES.http.replace("{status}", String(response.status)) };
          }
          return response.text();
        },
        function () {
          throw { kfMessage: MESSAGES.network };
        }
      )
      .then(function (xml) {
        var viewer = new window.BpmnJS({ container: container });
        return viewer.importXML(xml).then(
          function () {
            return viewer;
          },
          function (error) {
            viewer.destroy();
            throw { kfMessage: MESSAGES.parse, cause: error };
          }
        );
      })
      .then(function (viewer) {
        fitWhenVisible(viewer, container);
        decorate(viewer, container);
        addZoomControls(viewer, container);
        container.setAttribute("data-state", "ready");
        container.removeAttribute("aria-busy");
        container.dispatchEvent(new CustomEvent("kf:diagram-ready", { bubbles: true, detail: { viewer: viewer } }));
      })
      .catch(function (error) {
        if (window.console) {
          window.console.error("diagram.js", error && (error.cause || error));
        }
        showError(container, (error && error.kfMessage) || MESSAGES.parse);
      });
  }

  function renderAll(root) {
    var nodes = (root || document).querySelectorAll("div.bpmn-diagram");
    return Promise.all(Array.prototype.map.call(nodes, render));
  }

  window.kaigoflowDiagram = { render: render, renderAll: renderAll };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { renderAll(); });
  } else {
    renderAll();
  }
})();
