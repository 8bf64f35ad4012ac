// Brings the default lab up once for the integration project and down after it (only if it was
// not already up). Without root or the lab's packages, lab tests skip with the reason, except in
// CI, where a skipped lab suite would hide everything it guards: there it fails.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { labDown, labUnavailableReason, labUp, type LabInfo } from '../../src/lab/index.js';
import { ensureRequirements } from '../../src/lab/requirements.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

async function whyNoLab(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return labUnavailableReason();
  try {
    await ensureRequirements((l) => console.log(`[lab] ${l}`));
  } catch (e) {
    return (e as Error).message;
  }
  return labUnavailableReason();
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | void> {
  const reason = await whyNoLab();
  if (reason) {
    if (process.env.CI === 'true') throw new Error(`the lab cannot run in CI: ${reason}`);
    console.warn(`[lab] lab tests will be skipped: ${reason}`);
    project.provide('lab', null);
    project.provide('labSkipReason', reason);
    return;
  }
  // FABRIC_TEST_LAB runs the suite on a lab of that name (its own namespaces), so two checkouts can
  // test at once; the seed's tests use inventory/lab.yml and so need the default lab.
  const opts = { repoRoot: REPO, ...(process.env.FABRIC_TEST_LAB ? { name: process.env.FABRIC_TEST_LAB } : {}) };
  let lab: LabInfo;
  try {
    lab = await labUp(opts);
  } catch (e) {
    // A lab left half up by a crashed run: clear it and try once more.
    if (!/run `fabric lab down/.test((e as Error).message)) throw e;
    console.warn(`[lab] ${(e as Error).message}: taking it down`);
    await labDown(opts);
    lab = await labUp(opts);
  }
  project.provide('lab', lab);
  project.provide('labSkipReason', '');
  return async () => {
    // A lab someone had up before the run stays up.
    if (!lab.reused) await labDown(opts);
  };
}
