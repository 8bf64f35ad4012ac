// What the integration project's globalSetup hands to test files (vitest provide/inject).
import type { LabInfo } from '../../src/lab/index.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The default lab, or null when it cannot run here (labSkipReason says why). */
    lab: LabInfo | null;
    labSkipReason: string;
  }
}
