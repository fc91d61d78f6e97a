// Copy the distributed front-end files the pages use from node_modules/ into web/static/vendor/.
//
// web/static/vendor/ is build output (git-ignored): `npm ci && npm run build` recreates it from the committed
// lockfile, and the pages load only /static/vendor/... — never a CDN.
import { cpSync, existsSync, mkdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const modules = join(root, "node_modules");
const vendor = join(root, "web", "static", "vendor");

// [source under node_modules/, destination under web/static/vendor/]
const FILES = [
  ["bpmn-js/dist/bpmn-navigated-viewer.production.min.js", "bpmn-js/bpmn-navigated-viewer.production.min.js"],
  ["bpmn-js/dist/bpmn-modeler.production.min.js", "bpmn-js/bpmn-modeler.production.min.js"],
  ["bpmn-js/dist/assets/diagram-js.css", "bpmn-js/assets/diagram-js.css"],
  ["bpmn-js/dist/assets/bpmn-js.css", "bpmn-js/assets/bpmn-js.css"],
  ["bpmn-js/dist/assets/bpmn-font/css", "bpmn-js/assets/bpmn-font/css"],
  ["bpmn-js/dist/assets/bpmn-font/font", "bpmn-js/assets/bpmn-font/font"],
  ["bpmn-js/LICENSE", "bpmn-js/LICENSE"],
  // Japanese labels for the modeler's palette and menus (an ES module: `import ja from ".../ja.js"`).
  ["bpmn-js-i18n/translations/ja.js", "bpmn-js-i18n/ja.js"],
  ["bpmn-js-i18n/LICENSE", "bpmn-js-i18n/LICENSE"],
  // The decision table editor beside the process owner's diagram (web/static/js/dmn_editor.js).
  ["dmn-js/dist/dmn-modeler.production.min.js", "dmn-js/dmn-modeler.production.min.js"],
  ["dmn-js/dist/assets/dmn-js-shared.css", "dmn-js/assets/dmn-js-shared.css"],
  ["dmn-js/dist/assets/dmn-js-decision-table.css", "dmn-js/assets/dmn-js-decision-table.css"],
  ["dmn-js/dist/assets/dmn-js-decision-table-controls.css", "dmn-js/assets/dmn-js-decision-table-controls.css"],
  ["dmn-js/dist/assets/dmn-js-literal-expression.css", "dmn-js/assets/dmn-js-literal-expression.css"],
  ["dmn-js/dist/assets/dmn-js-drd.css", "dmn-js/assets/dmn-js-drd.css"],
  ["dmn-js/dist/assets/diagram-js.css", "dmn-js/assets/diagram-js.css"],
  ["dmn-js/dist/assets/dmn-font/css", "dmn-js/assets/dmn-font/css"],
  ["dmn-js/LICENSE", "dmn-js/LICENSE"],
];

const missing = FILES.map(([from]) => from).filter((from) => !existsSync(join(modules, from)));
if (missing.length > 0) {
  console.error(`build: missing in node_modules/ (run npm ci first): ${missing.join(", ")}`);
  process.exit(1);
}

rmSync(vendor, { recursive: true, force: true });
for (const [from, to] of FILES) {
  const target = join(vendor, to);
  mkdirSync(dirname(target), { recursive: true });
  cpSync(join(modules, from), target, { recursive: true });
}
console.log(`build: ${FILES.length} entries copied into web/static/vendor/`);
