import { readFileSync } from 'node:fs';
import { InputError } from '../errors.js';
import { displayPath } from '../load/yaml.js';
import { maskDeep, maskSecrets } from '../vars/secrets.js';
import { writeFileAtomic } from '../vault/write.js';
import { PLAN_VERSION, type PlanFile } from './types.js';

/**
 * Written atomically (a reader never sees half a plan), 0600, with every secret masked. The diffs
 * are for reading only, so masking them loses nothing apply needs; a fact's spec never holds one
 * (record.ts). Hashes are kept as they are: they hold no plaintext, and masking a short secret
 * that happens to occur in one would spoil it.
 */
export function savePlan(path: string, plan: PlanFile): void {
  const masked = maskDeep(plan);
  masked.inputs = Object.fromEntries(Object.entries(plan.inputs).map(([k, v]) => [maskSecrets(k), v]));
  const hosts = Object.values(plan.hosts);
  Object.values(masked.hosts).forEach((hp, i) => hp.facts.forEach((f, k) => (f.print = hosts[i]!.facts[k]!.print)));
  writeFileAtomic(path, JSON.stringify(masked, null, 1) + '\n');
}

export function readPlan(path: string): PlanFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read plan ${displayPath(path)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let plan: PlanFile;
  try {
    plan = JSON.parse(text) as PlanFile;
  } catch (e) {
    throw new InputError(`${displayPath(path)} is not a plan: ${(e as Error).message}`, { file: path, line: 1, col: 1 });
  }
  if (!plan || typeof plan !== 'object' || plan.fabricPlan !== PLAN_VERSION || !plan.invocation || !plan.hosts || !plan.inputs) {
    throw new InputError(`${displayPath(path)} is not a fabric plan (version ${PLAN_VERSION}); make one with fabric plan -o ${displayPath(path)}`, { file: path, line: 1, col: 1 });
  }
  return plan;
}
