import { InputError, type SourcePos } from '../errors.js';

/** A loop's loop_control: the names its items go by, how they are shown, the pause between them. */
export interface LoopControl {
  /** The item's name (loop_var, default `item`). */
  loopVar: string;
  /** index_var: the item's 0-based index under this name. */
  indexVar?: string;
  /** extended: `ansible_loop` (index, index0, first, last, length, revindex, revindex0, allitems, previtem, nextitem). */
  extended: boolean;
  /** label: a template shown instead of the item in the output. */
  label?: string;
  /** pause: seconds between two items, in ms. */
  pauseMs: number;
}

interface RawLoopControl {
  loop_var?: string;
  index_var?: string;
  extended?: boolean;
  label?: string;
  pause?: number;
}

/** loop_control of a task or (forInclude) of an include_tasks/include_role loop, which shows no line per item. */
export function loopControl(raw: unknown, pos: SourcePos, forInclude = false): LoopControl {
  const lc = (raw ?? {}) as RawLoopControl;
  if (forInclude && lc.label !== undefined) {
    throw new InputError('loop_control.label has no effect on an include loop: fabric shows no line per included item', pos, 'put a name with {{ item }} on the included tasks');
  }
  if (lc.index_var !== undefined && lc.index_var === (lc.loop_var ?? 'item')) {
    throw new InputError(`loop_control: index_var and loop_var are both '${lc.index_var}'`, pos);
  }
  return { loopVar: lc.loop_var ?? 'item', indexVar: lc.index_var, extended: lc.extended ?? false, label: lc.label, pauseMs: (lc.pause ?? 0) * 1000 };
}

/** The names a loop body may read besides its own variables. */
export function loopNames(lc: LoopControl): string[] {
  return [lc.loopVar, ...(lc.indexVar ? [lc.indexVar] : []), ...(lc.extended ? ['ansible_loop'] : []), 'ansible_loop_var'];
}

/** The variables of item i of items, as Ansible names them. */
export function loopItemVars(lc: LoopControl, items: unknown[], i: number): Record<string, unknown> {
  const out: Record<string, unknown> = { [lc.loopVar]: items[i], ansible_loop_var: lc.loopVar };
  if (lc.indexVar) out[lc.indexVar] = i;
  if (lc.extended) {
    out.ansible_loop = {
      index: i + 1,
      index0: i,
      first: i === 0,
      last: i === items.length - 1,
      length: items.length,
      revindex: items.length - i,
      revindex0: items.length - i - 1,
      allitems: items,
      ...(i > 0 ? { previtem: items[i - 1] } : {}),
      ...(i < items.length - 1 ? { nextitem: items[i + 1] } : {}),
    };
  }
  return out;
}
