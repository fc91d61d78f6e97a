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
  ],
  "bpmn:EndEvent": [
    ["continueWith", "続けて開始するプロセス", null],
    ["endsCase", "ケースを終了する(true)", null],
  ],
};

// What each kind of element is called in the properties panel, in the words of the owner's pages.
const TYPE_NAMES = {
  "bpmn:UserTask": "手順(担当者の作業)",
  "bpmn:ManualTask": "手順(手作業)",
  "bpmn:ServiceTask": "自動の処理",
  "bpmn:ScriptTask": "自動の処理(スクリプト)",
  "bpmn:BusinessRuleTask": "判定",
  "bpmn:CallActivity": "手続きの呼び出し",
  "bpmn:SubProcess": "まとまった手順",
  "bpmn:ExclusiveGateway": "分岐(どれか一つへ)",
  "bpmn:ParallelGateway": "分岐・合流(同時に進める)",
  "bpmn:InclusiveGateway": "分岐(当てはまるものすべてへ)",
  "bpmn:EventBasedGateway": "分岐(先に起きたことで決まる)",
  "bpmn:StartEvent": "開始",
  "bpmn:EndEvent": "終了",
  "bpmn:IntermediateCatchEvent": "待ち(日付・連絡)",
  "bpmn:IntermediateThrowEvent": "途中の知らせ",
  "bpmn:BoundaryEvent": "期限・割り込み",
  "bpmn:SequenceFlow": "流れ",
  "bpmn:Process": "手続き",
  "bpmn:Collaboration": "手続きの全体",
  "bpmn:Participant": "参加する組織",
  "bpmn:Lane": "レーン(担当)",
  "bpmn:TextAnnotation": "注釈",
  "bpmn:DataObjectReference": "書類",
  "bpmn:DataStoreReference": "記録",
  "bpmn:Group": "グループ",
};

// The due rule (processes/README.md "dueRule") chosen in words: a starting day, then an optional number of days,
// weeks, months or years after or before it, or a number of days the municipality sets (engine/scheduling/duewords.py says
// the same rules in Japanese on the case pages).
const DUE_RULE = /^\s*([a-z_]+)(?:\.([A-Za-z0-9_]+))?\s*(?:([+-])\s*(?:P(\d+)([YMWD])|days\.([A-Za-z0-9_]+)))?\s*$/;
const DUE_UNITS = [["D", "日"], ["W", "週間"], ["M", "か月"], ["Y", "年"]];

function parseDueRule(rule) {
  const match = DUE_RULE.exec(rule || "");
  if (!rule || !match) {
    return { base: "", arg: "", sign: "", amount: "", unit: "D", daysParam: "", unknown: Boolean(rule) };
  }
  const [, head, arg, sign, amount, unit, daysParam] = match;
  return { base: head, arg: arg || "", sign: sign || "", amount: amount || "", unit: unit || "D", daysParam: daysParam || "" };
}

function composeDueRule(parts) {
  if (!parts.base) {
    return "";
  }
  let rule = parts.base === "ready" || parts.base === "month_end" ? parts.base : `${parts.base}.${parts.arg}`;
  if (parts.sign && parts.daysParam) {
    rule += `${parts.sign}days.${parts.daysParam}`;
  } else if (parts.sign && Number(parts.amount) > 0) {
    rule += `${parts.sign}P${Number(parts.amount)}${parts.unit}`;
  }
  return rule;
}

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

  function select(label, choices, value, onChange) {
    const wrap = document.createElement("label");
    wrap.className = "due-part";
    const text = document.createElement("span");
    text.className = "visually-hidden";
    text.textContent = label;
    const input = document.createElement("select");
    choices.forEach(([key, name]) => {
      const option = document.createElement("option");
      option.value = key;
      option.textContent = name;
      option.selected = key === value;
      input.appendChild(option);
    });
    input.addEventListener("change", () => onChange(input.value));
    wrap.append(text, input);
    return wrap;
  }

  function dueField(element) {
    const box = document.createElement("fieldset");
    box.className = "due-rule";
    const legend = document.createElement("legend");
    legend.textContent = "期限";
    box.appendChild(legend);
    const current = readProperty(element.businessObject, "dueRule");
    const parts = parseDueRule(current);
    const fields = parseJson("data-due-fields", {});
    const params = parseJson("data-due-params", {});
    const rule = document.createElement("p");
    rule.className = "help due-rule-code";
    const row = document.createElement("div");
    row.className = "due-row";
    box.append(row, rule);

    function update() {
      const value = composeDueRule(parts);
      writeProperty(element, "dueRule", value);
      draw();
    }

    function draw() {
      row.replaceChildren();
      const bases = [["", "期限なし"], ["ready", "作業できるようになった日"], ["month_end", "その月の末日"], ["next_month_day", "翌月の指定日"]];
      Object.entries(fields).forEach(([key, name]) => bases.push([`data:${key}`, name]));
      const baseValue = parts.base === "data" ? `data:${parts.arg}` : parts.base;
      if (parts.base === "data" && !(parts.arg in fields)) {
        bases.push([baseValue, `ケースの日付(${parts.arg})`]);
      }
      row.appendChild(
        select("期限の起点", bases, baseValue, (value) => {
          const [base, arg] = value.startsWith("data:") ? ["data", value.slice(5)] : [value, ""];
          parts.base = base;
          parts.arg = base === "next_month_day" ? Object.keys(params).find((k) => /day$/.test(k)) || "10" : arg;
          update();
        })
      );
      if (parts.base === "next_month_day") {
        const days = [];
        for (let day = 1; day <= 28; day += 1) {
          days.push([String(day), `${day}日`]);
        }
        Object.entries(params).forEach(([key, value]) => days.push([key, `${value}日(市町村の設定 ${key})`]));
        row.appendChild(select("翌月の日", days, parts.arg, (value) => {
          parts.arg = value;
          update();
        }));
      }
      if (parts.base) {
        row.appendChild(
          select("起点からの前後", [["", "まで"], ["+", "の後"], ["-", "の前"]], parts.sign, (value) => {
            parts.sign = value;
            if (value && !parts.amount && !parts.daysParam) {
              parts.amount = "7";
            }
            update();
          })
        );
      }
      if (parts.base && parts.sign) {
        const amount = document.createElement("input");
        amount.type = "number";
        amount.min = "1";
        amount.max = "999";
        amount.value = parts.daysParam ? "" : parts.amount;
        amount.disabled = Boolean(parts.daysParam);
        amount.setAttribute("aria-label", "日数・期間");
        amount.className = "due-amount";
        amount.addEventListener("change", () => {
          parts.amount = amount.value;
          update();
        });
        row.appendChild(amount);
        const units = DUE_UNITS.map(([key, name]) => [key, name]);
        Object.entries(params).forEach(([key, value]) => units.push([`days:${key}`, `日(市町村の設定 ${key}: ${value}日)`]));
        const unitValue = parts.daysParam ? `days:${parts.daysParam}` : parts.unit;
        row.appendChild(select("単位", units, unitValue, (value) => {
          if (value.startsWith("days:")) {
            parts.daysParam = value.slice(5);
          } else {
            parts.daysParam = "";
            parts.unit = value;
          }
          update();
        }));
      }
      const words = composeDueRule(parts);
      rule.textContent = parts.unknown ? `書式を読めない期限です: ${current}` : words ? `書式: ${words}` : "この手順に期限はありません";
    }

    draw();
    return box;
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
    heading.textContent = TYPE_NAMES[bo.$type] || "図の要素";
    panel.appendChild(heading);
    panel.appendChild(field("ID(図の中の識別子)", bo.id, () => {}, { readOnly: true }));
    if (bo.$type !== "bpmn:Process" && element.type !== "label") {
      panel.appendChild(field("名前", bo.name, (value) => modeling.updateLabel(element, value)));
    }
    (PROPERTY_FIELDS[bo.$type] || []).forEach(([name, label, list]) => {
      const options = list === "forms" ? { list: parseJson("data-forms", []).map((f) => `${f}.schema.json`) } : {};
      panel.appendChild(field(label, readProperty(bo, name), (value) => writeProperty(element, name, value), options));
    });
    if (bo.$type === "bpmn:UserTask") {
      panel.appendChild(dueField(element));
    }
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

  // The whole diagram in view, clear of the palette on the left edge: "fit-viewport" alone puts the first task
  // under the palette's tools.
  function fitBesidePalette() {
    canvas.zoom("fit-viewport", "auto");
    const inner = canvas.viewbox().inner;
    const palette = container.querySelector(".djs-palette");
    const frame = container.getBoundingClientRect();
    const margin = 16;
    const left = (palette ? palette.getBoundingClientRect().right - frame.left : 0) + margin;
    const width = container.clientWidth - left - margin;
    const height = container.clientHeight - 2 * margin;
    if (!inner.width || !inner.height || width <= 0 || height <= 0) {
      return;
    }
    const scale = Math.min(width / inner.width, height / inner.height, 1);
    canvas.viewbox({
      x: inner.x - left / scale,
      y: inner.y - margin / scale,
      width: container.clientWidth / scale,
      height: container.clientHeight / scale,
    });
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
      const shape = p.element ? registry.get(p.element) : null;
      const name = (shape && shape.businessObject.name) || p.element_name || (p.element ? "名前のない要素" : "");
      const id = document.createElement("small");
      id.className = "muted";
      id.textContent = p.element ? ` ${p.element}` : "";
      if (shape) {
        const link = document.createElement("button");
        link.type = "button";
        link.className = "link-button";
        link.textContent = `${p.file} ${name}`;
        link.addEventListener("click", () => {
          selection.select(shape);
          canvas.scrollToElement(shape);
        });
        item.append(link, id, document.createTextNode(`: ${p.message}`));
      } else {
        item.append(document.createTextNode(`${p.file}${p.element ? ` ${name}` : ""}`), id, document.createTextNode(`: ${p.message}`));
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
      fitBesidePalette();
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
