import { InputError } from '../errors.js';
import { didYouMean } from '../load/schema.js';
import type { Plan, PlanItem, PlannedTask } from './types.js';
import { forEachTask } from './walk.js';

/** How --start-at-task names a task: its name, or `role : name` as the output shows role tasks. */
const namesOf = (t: PlannedTask): string[] => [t.info.name, ...(t.role ? [`${t.role.name} : ${t.info.name}`] : [])];

/**
 * --start-at-task: the plan from the first task with that name on; plays before it are left
 * out, and so are the earlier tasks of its play (a block the start falls inside keeps its rescue
 * and always). Exact, because the plan is static; an unknown name is an input error.
 */
export function startAtTask(plan: Plan, name: string): Plan {
  const all: PlannedTask[] = [];
  for (const p of plan.plays) for (const s of p.sections) forEachTask(s, (t) => all.push(t));
  const start = all.find((t) => namesOf(t).includes(name));
  if (!start) {
    const guess = didYouMean(name, all.flatMap(namesOf));
    throw new InputError(`--start-at-task: no task is named '${name}'`, undefined, guess ? `did you mean '${guess}'?` : undefined);
  }
  let found = false;
  const plays = [];
  for (const play of plan.plays) {
    if (found) {
      plays.push(play);
      continue;
    }
    const sections = play.sections.map((s) => {
      if (found) return s;
      const rest = from(s, start);
      found = rest.found;
      return rest.items;
    });
    if (found) plays.push({ ...play, sections });
  }
  return { ...plan, plays };
}

/** The items from the task on (found: it is among them). */
function from(items: PlanItem[], start: PlannedTask): { items: PlanItem[]; found: boolean } {
  for (let i = 0; i < items.length; i++) {
    const it = items[i]!;
    if (it === start) return { items: items.slice(i), found: true };
    if (it.kind === 'task') continue;
    if (it.kind === 'include') {
      const inner = from(it.body, start);
      if (inner.found) return { items: [{ ...it, body: inner.items }, ...items.slice(i + 1)], found: true };
      continue;
    }
    const inBlock = from(it.block, start);
    if (inBlock.found) return { items: [{ ...it, block: inBlock.items }, ...items.slice(i + 1)], found: true };
    // Starting inside rescue or always: those tasks run as plain tasks (there is no failure to rescue).
    const inRescue = from(it.rescue, start);
    if (inRescue.found) return { items: [...inRescue.items, ...it.always, ...items.slice(i + 1)], found: true };
    const inAlways = from(it.always, start);
    if (inAlways.found) return { items: [...inAlways.items, ...items.slice(i + 1)], found: true };
  }
  return { items: [], found: false };
}
