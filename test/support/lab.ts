import { describe, inject } from 'vitest';
import type { LabInfo } from '../../src/lab/index.js';

/** The default lab the integration globalSetup brought up, or null (labSkipReason() says why). */
export function labInfo(): LabInfo | null {
  return inject('lab') ?? null;
}

export function labSkipReason(): string {
  return inject('labSkipReason') || 'the lab is not up';
}

/** describe() that skips, naming the reason, when the lab cannot run here. */
export function describeLab(name: string, fn: () => void): void {
  const lab = labInfo();
  if (lab) describe(name, fn);
  else describe.skip(`${name} (skipped: ${labSkipReason()})`, fn);
}

interface Skippable {
  skip: (note?: string) => never;
}

/**
 * The lab for a test. Given the test context, a missing lab skips the test with the reason;
 * without one (e.g. in beforeAll) it throws the reason: prefer describeLab there.
 */
export function requireLab(ctx?: Skippable): LabInfo {
  const lab = labInfo();
  if (lab) return lab;
  if (ctx) return ctx.skip(`lab unavailable: ${labSkipReason()}`);
  throw new Error(`lab unavailable: ${labSkipReason()}`);
}
