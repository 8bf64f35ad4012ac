import { InputError } from '../../errors.js';
import { isTemplated } from '../../vars/template.js';
import type { FileDiff, ModuleContext, ModuleResult } from '../types.js';
import { WriteError } from './atomic.js';
import { attributeScript, ownershipDiffers, stateText, type FileState } from './file-state.js';
import { pyRegex } from './line-edit.js';
import { applyMode, modeArg, modeSatisfied, validModeArg } from './mode.js';

/** Ansible's common file arguments, as JSON schema properties. */
export const attributeProps = {
  mode: {
    type: ['string', 'integer'],
    description: "octal ('0644') or symbolic ('u=rw,go=r'); an unquoted 0644 is read as octal 0644",
  },
  owner: { type: 'string', minLength: 1 },
  group: { type: 'string', minLength: 1 },
} as const;

/** `path` with Ansible's aliases `dest` and `name`. */
export const pathProps = {
  path: { type: 'string', minLength: 1 },
  dest: { type: 'string', minLength: 1, description: 'alias of path' },
  name: { type: 'string', minLength: 1, description: 'alias of path' },
} as const;
/** Arguments lineinfile and blockinfile share: where an edit goes and how the file is written. */
export const lineEditProps = {
  state: { enum: ['present', 'absent'], default: 'present' },
  insertafter: { type: 'string', description: "regular expression, or 'EOF'" },
  insertbefore: { type: 'string', description: "regular expression, or 'BOF'" },
  create: { type: 'boolean', default: false },
  backup: { type: 'boolean', default: false },
  validate: { type: 'string' },
};

export const requirePath = { anyOf: [{ required: ['path'] }, { required: ['dest'] }, { required: ['name'] }] };

export interface Attrs {
  mode?: string;
  owner?: string;
  group?: string;
}

export interface AttrArgs {
  mode?: string | number;
  owner?: string;
  group?: string;
}

export function pathOf(a: { path?: string; dest?: string; name?: string }): string {
  return (a.path ?? a.dest ?? a.name)!;
}

export function attrsOf(a: AttrArgs): Attrs {
  return { mode: modeArg(a.mode), owner: a.owner, group: a.group };
}

/**
 * Whether a value is known before the run: the static pass sees `{{ … }}` unrendered and leaves
 * those values to the same checks after rendering (src/run/prepare.ts).
 */
export function known<T>(v: T | undefined): v is T {
  return v !== undefined && !(typeof v === 'string' && isTemplated(v));
}

/** Static checks of the common arguments: the mode parses, only one path alias. */
export function checkAttrArgs(module: string, a: AttrArgs & { path?: string; dest?: string; name?: string }): void {
  const m = known(a.mode) ? modeArg(a.mode) : undefined;
  if (m !== undefined && !validModeArg(m)) throw new InputError(`${module}: mode '${m}' is neither octal (0644) nor symbolic (u=rw,go=r)`);
  const given = (['path', 'dest', 'name'] as const).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  if (given.length > 1) throw new InputError(`${module}: ${given.join(' and ')} are aliases: give only one`);
}

export function checkValidateArg(module: string, validate: string | undefined): void {
  if (known(validate) && !validate.includes('%s')) throw new InputError(`${module}: validate must contain %s (the file to check): ${validate}`);
}

export function attrsSatisfied(st: FileState, want: Attrs): boolean {
  return modeSatisfied(st.mode, want.mode, st.type === 'directory') && !ownershipDiffers(st, want);
}

/** The state text a diff shows after the attributes are applied. */
export function stateAfter(st: FileState, want: Attrs, type: FileState['type'] = st.type): string {
  const after: FileState = { ...st, type, owner: want.owner ?? st.owner, group: want.group ?? st.group };
  if (want.mode !== undefined) {
    after.mode = applyMode(parseInt(st.mode ?? '644', 8), want.mode, type === 'directory').toString(8);
  }
  return stateText(after);
}

/** Brings path's attributes to want in one round trip (the probe said they differ). */
export async function fixAttributes(ctx: ModuleContext, path: string, want: Attrs, recurse = false): Promise<string | undefined> {
  const script = attributeScript(path, { ...want, recurse });
  if (!script) return undefined;
  const r = await ctx.exec(`set -e\n${script}`);
  return r.rc === 0 ? undefined : r.stderr.trim() || `exit ${r.rc}`;
}

/** Text for a content diff; binary or unknown content is named, not shown. */
export function diffText(content: Buffer | undefined, size?: number): string {
  if (!content) return size ? `(${size} bytes, not shown)\n` : '';
  if (content.includes(0)) return `(binary, ${content.length} bytes)\n`;
  return content.toString('utf8');
}

export function contentDiff(path: string, before: string, after: string): FileDiff {
  return { path, before, after };
}

/** A write that failed on the host is a failed task; a lost connection stays an error. */
export function writeFailure(e: unknown, base: ModuleResult): ModuleResult {
  if (e instanceof WriteError) return { ...base, changed: false, failed: true, msg: e.message };
  throw e;
}

/** A regular-expression argument must compile (EOF/BOF and templates are judged later). */
export function checkPattern(module: string, what: string, pattern: string | undefined): void {
  if (!known(pattern) || pattern === 'EOF' || pattern === 'BOF') return;
  try {
    pyRegex(pattern);
  } catch (e) {
    throw new InputError(`${module}: ${what} is not a valid regular expression: ${(e as Error).message}`);
  }
}

/** insertafter / insertbefore: at most one of them, each a valid pattern, EOF or BOF. */
export function checkPlacement(module: string, a: { insertafter?: string; insertbefore?: string }): void {
  if (a.insertafter !== undefined && a.insertbefore !== undefined) throw new InputError(`${module}: insertafter and insertbefore are mutually exclusive`);
  checkPattern(module, 'insertafter', a.insertafter);
  checkPattern(module, 'insertbefore', a.insertbefore);
}
