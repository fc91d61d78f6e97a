/*
 * The process owner's modeler page: bpmn-js Modeler in Japanese (bpmn-js-i18n), the spiffworkflow extension
 * properties through a moddle descriptor, a side panel to edit them, and "save draft" which posts the XML with
 * the CSRF token, then lists the lint problems and marks them on their elements.
 *
 * Everything comes from data- attributes of #modeler (no inline script: fit for the strict CSP).
 * #modeler gets data-state="loading" | "ready" | "error" and data-saved="<draft version>" after each save.
 */
import ja from "../vendor/bpmn-js-i18n/ja.js";
import spiffworkflow from "./spiffworkflow_moddle.js";

const container = document.getElementById("modeler");
const panel = document.getElementById("properties");
const statusLine = document.getElementById("save-status");
const problemsBox = document.getElementById("problems");

const PROPERTY_FIELDS = {
  "bpmn:UserTask": [
    ["formJsonSchemaFilename", "様式(JSON Schema のファイル名)", "forms"],
    ["formUiSchemaFilename", "画面の並び(UI Schema のファイル名)", null],
    ["dueRule", "期限の決め方(例: ready+P7D, month_end)", null],
  ],
  "bpmn:EndEvent": [
    ["continueWith", "続けて開始するプロセス", null],
    ["endsCase", "ケースを終了する(true)", null],
  ],
};

function translate(template, replacements) {
  const values = replacements || {};
  const text = ja[template] || template;
  return text.replace(/{([^}]+)}/g, (whole, key) => (key in values ? values[key] : whole));
}

function parseJson(name, fallback) {
  try {
    const value = JSON.parse(container.getAttribute(name) || "null");
    return value === null ? fallback : value;
  } catch (error) {
    return fallback;
  }
}

function setStatus(text, kind) {
  statusLine.textContent = text;
  statusLine.className = kind ? `status-${kind}` : "";
}

function extensionValues(bo) {
  return (bo.extensionElements && bo.extensionElements.get("values")) || [];
}

function findExtension(bo, type) {
  return extensionValues(bo).find((value) => value.$type === type) || null;
}

function readProperty(bo, name) {
  const props = findExtension(bo, "spiffworkflow:Properties");
  const found = props ? props.get("properties").find((p) => p.name === name) : null;
  return found ? found.value || "" : "";
}

function start(Modeler) {
  const modeler = new Modeler({
    container,
    additionalModules: [{ translate: ["value", translate] }],
    moddleExtensions: { spiffworkflow },
  });
  const moddle = modeler.get("moddle");
  const modeling = modeler.get("modeling");
  const canvas = modeler.get("canvas");
  const registry = modeler.get("elementRegistry");
  const overlays = modeler.get("overlays");
  const selection = modeler.get("selection");
  let marked = [];

  function replaceExtensions(element, keep, added) {
    const ext = moddle.create("bpmn:ExtensionElements", { values: [] });
    extensionValues(element.businessObject).filter(keep).forEach((value) => ext.get("values").push(value));
    added.forEach((value) => ext.get("values").push(value));
    modeling.updateProperties(element, { extensionElements: ext });
  }

  function writeProperty(element, name, value) {
    const current = findExtension(element.businessObject, "spiffworkflow:Properties");
    const list = current ? current.get("properties").filter((p) => p.name !== name) : [];
    if (value) {
      list.push(moddle.create("spiffworkflow:Property", { name, value }));
    }
    const added = [];
    if (list.length) {
      const props = moddle.create("spiffworkflow:Properties", { properties: [] });
      list.forEach((p) => props.get("properties").push(p));
      added.push(props);
    }
    replaceExtensions(element, (v) => v !== current, added);
  }

  function writeBody(element, type, value) {
    const current = findExtension(element.businessObject, type);
    const added = value ? [moddle.create(type, { value })] : [];
    replaceExtensions(element, (v) => v !== current, added);
  }

  function field(label, value, onChange, options) {
    const wrap = document.createElement("div");
    wrap.className = "field";
    const id = `prop-${Math.random().toString(36).slice(2, 9)}`;
    const title = document.createElement("label");
    title.setAttribute("for", id);
    title.textContent = label;
    const input = document.createElement(options && options.multiline ? "textarea" : "input");
    input.id = id;
    input.value = value || "";
    if (options && options.list) {
      input.setAttribute("list", `${id}-list`);
      const list = document.createElement("datalist");
      list.id = `${id}-list`;
      options.list.forEach((item) => {
        const option = document.createElement("option");
        option.value = item;
        list.appendChild(option);
      });
      wrap.appendChild(list);
    }
    if (options && options.readOnly) {
      input.readOnly = true;
    }
    input.addEventListener("change", () => onChange(input.value.trim()));
    wrap.prepend(input);
    wrap.prepend(title);
    return wrap;
  }

  function sideEditor(title, path, validate) {
    const box = document.createElement("details");
    box.className = "side-editor";
    const summary = document.createElement("summary");
    summary.textContent = title;
    box.appendChild(summary);
    const area = document.createElement("textarea");
    area.rows = 14;
    area.spellcheck = false;
    area.className = "code-editor";
    const note = document.createElement("p");
    note.className = "help";
    note.setAttribute("role", "status");
    const button = document.createElement("button");
    button.type = "button";
    button.textContent = "この内容を下書きに保存";
    box.append(area, note, button);
    box.addEventListener("toggle", () => {
      if (!box.open || area.dataset.loaded) {
        return;
      }
      fetch(container.dataset.rawUrl + path, { credentials: "same-origin" })
        .then((r) => (r.ok ? r.text() : ""))
        .then((text) => {
          area.value = text;
          area.dataset.loaded = "1";
        });
    });
    button.addEventListener("click", () => {
      const error = validate(area.value);
      if (error) {
        note.textContent = error;
        return;
      }
      save(path, area.value).then((ok) => {
        note.textContent = ok ? "保存しました" : "保存できませんでした";
      });
    });
    return box;
  }

  function validJson(text) {
    try {
      const value = JSON.parse(text);
      return value && typeof value === "object" && !Array.isArray(value) ? null : "JSON のオブジェクトにしてください";
    } catch (error) {
      return `JSON として読めません: ${error.message}`;
    }
  }

  function validXml(text) {
    if (/<!DOCTYPE|<!ENTITY/i.test(text)) {
      return "DOCTYPE・実体宣言を含む XML は保存できません";
    }
    const doc = new DOMParser().parseFromString(text, "application/xml");
    return doc.getElementsByTagName("parsererror").length ? "XML として正しくありません" : null;
  }

  function showPanel(element) {
    panel.replaceChildren();
    if (!element) {
      const empty = document.createElement("p");
      empty.className = "empty";
      empty.textContent = "図の要素を選ぶと、ここで名前・様式・判定・説明などを編集できます。";
      panel.appendChild(empty);
      return;
    }
    const bo = element.businessObject;
    const heading = document.createElement("h2");
    heading.textContent = translate(bo.$type.replace("bpmn:", "").replace(/([a-z])([A-Z])/g, "$1 $2"));
    panel.appendChild(heading);
    panel.appendChild(field("ID", bo.id, () => {}, { readOnly: true }));
    if (bo.$type !== "bpmn:Process" && element.type !== "label") {
      panel.appendChild(field("名前", bo.name, (value) => modeling.updateLabel(element, value)));
    }
    (PROPERTY_FIELDS[bo.$type] || []).forEach(([name, label, list]) => {
      const options = list === "forms" ? { list: parseJson("data-forms", []).map((f) => `${f}.schema.json`) } : {};
      panel.appendChild(field(label, readProperty(bo, name), (value) => writeProperty(element, name, value), options));
    });
    if (bo.$type === "bpmn:UserTask" || bo.$type === "bpmn:ManualTask") {
      const instructions = findExtension(bo, "spiffworkflow:InstructionsForEndUser");
      panel.appendChild(
        field("担当者への説明", instructions ? instructions.value : "", (value) =>
          writeBody(element, "spiffworkflow:InstructionsForEndUser", value), { multiline: true })
      );
      const form = readProperty(bo, "formJsonSchemaFilename");
      if (form) {
        panel.appendChild(sideEditor(`様式を編集: ${form}`, `forms/${form}`, validJson));
      }
    }
    if (bo.$type === "bpmn:BusinessRuleTask") {
      const called = findExtension(bo, "spiffworkflow:CalledDecisionId");
      const decision = called ? (called.value || "").trim() : "";
      panel.appendChild(
        field("判定(calledDecisionId)", decision, (value) => writeBody(element, "spiffworkflow:CalledDecisionId", value), {
          list: parseJson("data-decisions", []),
        })
      );
      if (decision) {
        panel.appendChild(sideEditor(`判定表を編集: ${decision}.dmn`, `decisions/${decision}.dmn`, validXml));
        const full = document.createElement("a");
        full.href = `${container.dataset.editUrl}decisions/${decision}.dmn`;
        full.textContent = "判定表を表形式で開く";
        panel.appendChild(full);
      }
    }
    if (bo.$type === "bpmn:CallActivity") {
      panel.appendChild(field("呼び出すプロセス", bo.calledElement, (value) => modeling.updateProperties(element, { calledElement: value })));
    }
    if (bo.$type === "bpmn:SequenceFlow" && bo.sourceRef && bo.sourceRef.$type !== "bpmn:ParallelGateway") {
      const condition = bo.conditionExpression ? bo.conditionExpression.body : "";
      panel.appendChild(
        field("条件式(例: delegated and not accepted)", condition, (value) => {
          const expression = value ? moddle.create("bpmn:FormalExpression", { body: value }) : undefined;
          modeling.updateProperties(element, { conditionExpression: expression });
        })
      );
    }
    const problems = currentProblems.filter((p) => p.element === bo.id);
    if (problems.length) {
      const list = document.createElement("ul");
      list.className = "element-problems";
      problems.forEach((p) => {
        const item = document.createElement("li");
        item.textContent = p.message;
        list.appendChild(item);
      });
      panel.appendChild(list);
    }
  }

  let currentProblems = [];

  function showProblems(problems) {
    currentProblems = problems;
    marked.forEach((id) => canvas.removeMarker(id, "kf-problem"));
    overlays.remove({ type: "kf-problem" });
    marked = [];
    const counts = {};
    problems.forEach((p) => {
      if (p.element && registry.get(p.element)) {
        counts[p.element] = (counts[p.element] || 0) + 1;
      }
    });
    Object.keys(counts).forEach((id) => {
      canvas.addMarker(id, "kf-problem");
      marked.push(id);
      const badge = document.createElement("div");
      badge.className = "kf-problem-badge";
      badge.textContent = `問題 ${counts[id]}`;
      overlays.add(id, "kf-problem", { position: { top: -12, right: 12 }, html: badge });
    });
    container.setAttribute("data-problem-elements", JSON.stringify(marked));
    const heading = document.createElement("h2");
    heading.textContent = "検査の結果";
    problemsBox.replaceChildren(heading);
    if (!problems.length) {
      const ok = document.createElement("p");
      ok.className = "empty";
      ok.textContent = "問題はありません。";
      problemsBox.appendChild(ok);
      return;
    }
    const list = document.createElement("ul");
    problems.forEach((p) => {
      const item = document.createElement("li");
      item.dataset.element = p.element || "";
      const where = p.element ? ` [${p.element}]` : "";
      if (p.element && registry.get(p.element)) {
        const link = document.createElement("button");
        link.type = "button";
        link.className = "link-button";
        link.textContent = `${p.file}${where}`;
        link.addEventListener("click", () => {
          const element = registry.get(p.element);
          selection.select(element);
          canvas.scrollToElement(element);
        });
        item.append(link, document.createTextNode(`: ${p.message}`));
      } else {
        item.textContent = `${p.file}${where}: ${p.message}`;
      }
      list.appendChild(item);
    });
    problemsBox.appendChild(list);
  }

  function save(path, content) {
    setStatus("保存しています…", "busy");
    return fetch(container.dataset.saveUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": container.dataset.csrf },
      body: JSON.stringify({ path, content, draft_version: container.dataset.draftVersion || null }),
    })
      .then((response) => response.json().then((body) => ({ response, body })))
      .then(({ response, body }) => {
        if (!response.ok || !body.ok) {
          setStatus(`保存できませんでした: ${body.error || response.status}`, "error");
          return false;
        }
        container.dataset.draftVersion = String(body.draft_version);
        container.setAttribute("data-saved", String(body.draft_version));
        showProblems(body.problems || []);
        const count = (body.problems || []).length;
        setStatus(count ? `下書きに保存しました(検査で ${count} 件の問題)` : "下書きに保存しました(問題はありません)", count ? "warn" : "ok");
        return true;
      })
      .catch(() => {
        setStatus("保存できませんでした(通信エラー)。もう一度お試しください", "error");
        return false;
      });
  }

  // Unsaved edits: leaving the page asks first (the browser's own question) until the draft is saved.
  let unsaved = false;
  modeler.on("commandStack.changed", () => {
    unsaved = true;
    container.setAttribute("data-unsaved", "true");
  });
  window.addEventListener("beforeunload", (event) => {
    if (unsaved) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  document.getElementById("save-draft").addEventListener("click", () => {
    modeler.saveXML({ format: true }).then(({ xml }) => save(container.dataset.path, xml)).then((ok) => {
      if (ok) {
        unsaved = false;
        container.removeAttribute("data-unsaved");
      }
    });
  });
  modeler.on("selection.changed", (event) => showPanel(event.newSelection[0] || null));
  modeler.on("element.changed", (event) => {
    const selected = selection.get()[0];
    if (selected && selected === event.element && document.activeElement && !panel.contains(document.activeElement)) {
      showPanel(selected);
    }
  });

  container.setAttribute("data-state", "loading");
  fetch(container.dataset.xmlUrl, { credentials: "same-origin" })
    .then((response) => {
      if (!response.ok) {
        throw new Error(String(response.status));
      }
      return response.text();
    })
    .then((xml) => modeler.importXML(xml))
    .then(() => {
      canvas.zoom("fit-viewport", "auto");
      showProblems(parseJson("data-problems", []));
      container.setAttribute("data-state", "ready");
      window.kaigoflowModeler = modeler;
    })
    .catch((error) => {
      container.setAttribute("data-state", "error");
      setStatus(`図を読み込めませんでした(${error.message || error})`, "error");
    });
}

function boot() {
  if (typeof window.BpmnJS !== "function") {
    container.setAttribute("data-state", "error");
    setStatus("モデラーのスクリプトが読み込まれていません(npm run build)", "error");
    return;
  }
  start(window.BpmnJS);
}

if (container) {
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", boot);
  } else {
    boot();
  }
}
