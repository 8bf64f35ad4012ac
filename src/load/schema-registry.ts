import { moduleNames, loadModule } from '../modules/index.js';
import { inventoryValidationSchema, varsFileSchema } from '../inventory/schema.js';
import { KEYWORDS_SCHEMA } from '../plan/tasks.js';
import { PLAYBOOK_SCHEMA } from '../plan/schema.js';

/**
 * Every JSON schema fabric validates input with, by a readable name. The build compiles them all
 * ahead of time (scripts/build-validators.mjs); a schema missing here is compiled at run time.
 */
export async function allSchemas(): Promise<Record<string, object>> {
  const out: Record<string, object> = {
    playbook: PLAYBOOK_SCHEMA,
    task_keywords: KEYWORDS_SCHEMA,
    inventory: inventoryValidationSchema,
    vars_file: varsFileSchema,
  };
  for (const name of moduleNames()) out[`module_${name}`] = (await loadModule(name)).schema;
  return out;
}
