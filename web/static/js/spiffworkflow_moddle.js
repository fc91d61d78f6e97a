/*
 * Moddle descriptor for the spiffworkflow extension elements the engine reads (engine/process_library/loader.py, projection.py,
 * spiff.py), so the modeler edits them as typed properties and writes them back unchanged:
 *   <spiffworkflow:properties><spiffworkflow:property name="formJsonSchemaFilename" value="x.schema.json"/>…
 *     (formJsonSchemaFilename, formUiSchemaFilename, dueRule, continueWith, endsCase)
 *   <spiffworkflow:instructionsForEndUser>…</spiffworkflow:instructionsForEndUser>
 *   <spiffworkflow:calledDecisionId>decision_id</spiffworkflow:calledDecisionId>
 *   <spiffworkflow:preScript>/<spiffworkflow:postScript> (lint refuses them; kept so they can be seen and removed)
 */
export default {
  name: "SpiffWorkflow",
  uri: "http://spiffworkflow.org/bpmn/schema/1.0/core",
  prefix: "spiffworkflow",
  xml: { tagAlias: "lowerCase" },
  associations: [],
  types: [
    {
      name: "Properties",
      superClass: ["Element"],
      properties: [{ name: "properties", type: "Property", isMany: true }],
    },
    {
      name: "Property",
      superClass: ["Element"],
      properties: [
        { name: "name", type: "String", isAttr: true },
        { name: "value", type: "String", isAttr: true },
      ],
    },
    { name: "InstructionsForEndUser", superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] },
    { name: "CalledDecisionId", superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] },
    { name: "PreScript", superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] },
    { name: "PostScript", superClass: ["Element"], properties: [{ name: "value", type: "String", isBody: true }] },
  ],
  enumerations: [],
};
