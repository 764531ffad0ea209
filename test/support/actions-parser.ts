// Loads GitHub's @actions/workflow-parser. Its ESM build imports its JSON schemas without an
// import attribute, which Node 20 refuses when vitest leaves node_modules to Node; a loader
// hook adds `type: 'json'` to exactly those imports.
import { register } from 'node:module';

type WorkflowParser = typeof import('@actions/workflow-parser');
type ActionParser = typeof import('@actions/workflow-parser/actions/index');

const HOOK = `
export async function load(url, context, nextLoad) {
  if (url.endsWith('.json') && url.includes('/@actions/workflow-parser/')) {
    const importAttributes = { ...context.importAttributes, type: 'json' };
    return nextLoad(url, { ...context, importAttributes });
  }
  return nextLoad(url, context);
}`;

let loaded: Promise<{ workflows: WorkflowParser; actions: ActionParser }> | undefined;

export function actionsParser(): Promise<{ workflows: WorkflowParser; actions: ActionParser }> {
  loaded ??= (async () => {
    register(`data:text/javascript,${encodeURIComponent(HOOK)}`);
    const [workflows, actions] = await Promise.all([
      import('@actions/workflow-parser'),
      import('@actions/workflow-parser/actions/index'),
    ]);
    return { workflows, actions };
  })();
  return loaded;
}
