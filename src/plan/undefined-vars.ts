import Handlebars from 'handlebars/dist/handlebars.min.js'; // the build template.ts loads
import { loopNames } from './loop-control.js';
import { InputError } from '../errors.js';
import { didYouMean } from '../load/schema.js';
import type { Inventory } from '../inventory/index.js';
import type { Vars } from '../modules/types.js';
import { analysisText, templateHelperNames } from '../vars/template.js';
import { forEachTask } from './walk.js';
import type { Plan, PlannedTask } from './types.js';

/** Names every task can use without defining them. */
export const MAGIC_VARS = ['inventory_hostname', 'groups', 'hostvars', 'play_hosts', 'check_mode', 'ansible_check_mode', 'playbook_dir', 'role_path'];

type HbNode = { type: string; [k: string]: any };

/** Root variable names a template reads (paths inside #each/#with refer to the item: not root). */
export function templateRootNames(text: string, helpers: ReadonlySet<string>): string[] {
  const out = new Set<string>();
  const path = (p: HbNode, scoped: boolean) => {
    if (p.type !== 'PathExpression') return visit(p, scoped);
    const orig: string = p.original;
    if (p.data) {
      if (orig.startsWith('@root.')) out.add(orig.slice(6).split(/[.[/]/)[0]!);
      return;
    }
    if (scoped || p.depth > 0 || orig === 'this' || orig.startsWith('this.') || orig.startsWith('./')) return;
    out.add(p.parts[0] ?? orig);
  };
  const visit = (n: HbNode | undefined, scoped: boolean): void => {
    if (!n) return;
    switch (n.type) {
      case 'Program':
        n.body.forEach((s: HbNode) => visit(s, scoped));
        break;
      case 'MustacheStatement':
      case 'SubExpression': {
        const hasArgs = n.params.length > 0 || (n.hash?.pairs?.length ?? 0) > 0;
        if (!hasArgs && !helpers.has(n.path.original)) path(n.path, scoped);
        n.params.forEach((x: HbNode) => path(x, scoped));
        n.hash?.pairs?.forEach((x: HbNode) => path(x.value, scoped));
        break;
      }
      case 'BlockStatement': {
        n.params.forEach((x: HbNode) => path(x, scoped));
        n.hash?.pairs?.forEach((x: HbNode) => path(x.value, scoped));
        const changesContext = !['if', 'unless'].includes(n.path.original);
        visit(n.program, scoped || changesContext);
        visit(n.inverse, scoped);
        break;
      }
    }
  };
  visit(Handlebars.parse(analysisText(text)) as unknown as HbNode, false);
  return [...out];
}

function strings(v: unknown, out: string[]): string[] {
  if (typeof v === 'string') {
    if (v.includes('{{')) out.push(v);
  } else if (Array.isArray(v)) v.forEach((x) => strings(x, out));
  else if (v && typeof v === 'object') Object.values(v).forEach((x) => strings(x, out));
  return out;
}

/**
 * Catches an undefined variable before any host is touched: every root name a task's templates
 * read must be defined for every host the play targets (any host, when the task has a `when`),
 * or be registered/set by some task of the run, or be a loop variable or magic name.
 */
export function checkUndefinedVariables(plan: Plan, inv: Inventory, extraVars: Vars): InputError[] {
  const helpers = new Set(templateHelperNames());
  const runtime = new Set<string>([...MAGIC_VARS, ...Object.keys(extraVars)]);
  // A task that sets variables only the run can name (include_vars of a templated file): then no
  // name can be called undefined before the run; the run names what is missing.
  let unknowable = false;
  for (const play of plan.plays) {
    for (const section of [...play.sections, play.handlers]) {
      forEachTask(section, (t) => {
        if (t.register) runtime.add(t.register);
        if (!t.module.defines) return;
        const names = t.module.defines(t.args, t.statics);
        if (names) names.forEach((k) => runtime.add(k));
        else unknowable = true;
      });
    }
  }
  if (unknowable) return [];
  const errors: InputError[] = [];
  for (const play of plan.plays) {
    // A play that matches no host (an empty group: the lab's storage) is checked against what
    // every host of the inventory has (all's vars), as a host added to its group would have.
    const hostKeys = (play.hosts.length ? play.hosts : inv.hostNames).map((h) => new Set(Object.keys(inv.hostVars(h))));
    const everyHost = (n: string) => hostKeys.length > 0 && hostKeys.every((k) => k.has(n));
    const anyHost = (n: string) => hostKeys.some((k) => k.has(n));
    const check = (t: PlannedTask) => {
      const known = (n: string) =>
        runtime.has(n) ||
        n in play.vars ||
        n in t.vars ||
        (t.role && (n in t.role.defaults || n in t.role.vars)) ||
        (t.loop !== undefined && loopNames(t.loopControl).includes(n)) ||
        t.outerLoopVars.includes(n) ||
        (n === 'facts' && play.gatherFacts) ||
        (t.when.length ? anyHost(n) : everyHost(n));
      const texts = strings([t.args, t.info.name, t.loop, t.delegateTo, t.loopControl.label, t.environment], []);
      for (const text of texts) {
        for (const n of templateRootNames(text, helpers)) {
          if (known(n)) continue;
          const candidates = new Set<string>([...runtime, ...Object.keys(play.vars), ...Object.keys(t.vars), ...(hostKeys[0] ?? [])]);
          const guess = didYouMean(n, candidates);
          errors.push(new InputError(`undefined variable '${n}' in task '${t.info.name}'`, t.pos, guess ? `did you mean '${guess}'?` : undefined));
        }
      }
    };
    for (const section of [...play.sections, play.handlers]) forEachTask(section, check);
  }
  return errors;
}
