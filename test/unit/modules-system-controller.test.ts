import { describe, expect, it } from 'vitest';
import assertMod from '../../src/modules/assert.js';
import debug from '../../src/modules/debug.js';
import fail from '../../src/modules/fail.js';
import setFact from '../../src/modules/set_fact.js';
import type { ModuleContext, Vars } from '../../src/modules/types.js';
import { compileCondition } from '../../src/vars/conditions.js';
import { argErrors } from '../support/module-harness.js';

/** Only evaluate is used by these modules; expressions are looked up in a table (a test evaluator). */
function ctxWith(values: Record<string, unknown>, verbosity = 0): ModuleContext {
  return {
    verbosity,
    evaluate: (e: string) => {
      if (!(e in values)) throw new Error(`'${e}' is undefined`);
      return values[e];
    },
    exec: () => {
      throw new Error('controller-only modules never exec');
    },
  } as unknown as ModuleContext;
}

describe('assert', () => {
  it('passes when all conditions are truthy, fails at the first falsy one', async () => {
    const ctx = ctxWith({ 'a == 1': true, 'b > 2': 0, n: 'x' });
    expect(await assertMod.run({ that: ['a == 1', 'n'] }, ctx)).toEqual({ changed: false, msg: 'All assertions passed' });
    expect(await assertMod.run({ that: ['a == 1', 'b > 2'], fail_msg: 'b too small' }, ctx)).toEqual({ changed: false, failed: true, assertion: 'b > 2', evaluated_to: 0, msg: 'b too small' });
    expect(await assertMod.run({ that: 'b > 2', msg: 'alias' }, ctx)).toMatchObject({ failed: true, msg: 'alias' });
    expect(await assertMod.run({ that: 'a == 1', success_msg: 'fine' }, ctx)).toMatchObject({ msg: 'fine' });
    expect(await assertMod.run({ that: 'a == 1', quiet: true }, ctx)).toEqual({ changed: false });
    expect(await assertMod.run({ that: ['a == 1', 'undefined_var'] }, ctx)).toMatchObject({ failed: true, assertion: 'undefined_var', msg: expect.stringContaining("'undefined_var' is undefined") });
    expect(assertMod.controllerOnly).toBe(true);
    expect(argErrors(assertMod, { that: 'x', fail_mgs: 'y' })).toEqual([expect.stringContaining("did you mean 'fail_msg'")]);
  });
});

describe('fail / debug / set_fact', () => {
  it('fail always fails', async () => {
    expect(await fail.run({}, ctxWith({}))).toEqual({ changed: false, failed: true, msg: 'Failed as requested from task' });
    expect(await fail.run({ msg: 'stop' }, ctxWith({}))).toMatchObject({ failed: true, msg: 'stop' });
  });
  it('debug prints msg or a variable, never changes', async () => {
    expect(await debug.run({ msg: 'hi' }, ctxWith({}))).toEqual({ changed: false, msg: 'hi' });
    expect(await debug.run({}, ctxWith({}))).toEqual({ changed: false, msg: 'Hello world!' });
    expect(await debug.run({ msg: ['a', 1] }, ctxWith({}))).toEqual({ changed: false, msg: '[\n  "a",\n  1\n]' });
    expect(await debug.run({ var: 'facts.os', verbosity: 2 }, ctxWith({ 'facts.os': 'Debian' }, 2))).toEqual({ changed: false, 'facts.os': 'Debian' });
    expect(await debug.run({ var: 'facts.os', verbosity: 2 }, ctxWith({ 'facts.os': 'Debian' }, 1))).toEqual({ changed: false, skipped: true, msg: 'Verbosity threshold not met.' });
    expect((await debug.run({ var: 'nope' }, ctxWith({})))['nope']).toMatch(/NOT DEFINED/);
    expect(() => debug.validate!({ msg: 'a', var: 'b' }, {} as never)).toThrow(/either/);
  });
  it('set_fact returns facts, drops cacheable, rejects bad names', async () => {
    expect(await setFact.run({ a: 1, b: { c: [1] }, cacheable: true }, ctxWith({}))).toEqual({ changed: false, facts: { a: 1, b: { c: [1] } } });
    expect(() => setFact.validate!({ 'bad-name': 1 }, {} as never)).toThrow(/not a valid variable name/);
    expect(argErrors(setFact, {}).length).toBe(1);
  });
});

describe('assert with the real condition language', () => {
  const real = (vars: Vars) => ({ evaluate: (e: string) => compileCondition(e).evaluate(vars) }) as unknown as ModuleContext;
  it('evaluates bare expressions against the host variables', async () => {
    const vars = { facts: { os_family: 'Debian' }, peers: ['a', 'b'], empty: [] };
    expect(await assertMod.run({ that: ["facts.os_family == 'Debian'", 'peers | length == 2', "'a' in peers"] }, real(vars))).toMatchObject({ changed: false, msg: 'All assertions passed' });
    expect(await assertMod.run({ that: ['peers | length > 2'], fail_msg: 'need 3 peers' }, real(vars))).toMatchObject({ failed: true, assertion: 'peers | length > 2', msg: 'need 3 peers' });
    expect(await assertMod.run({ that: 'empty' }, real(vars))).toMatchObject({ failed: true }); // [] is falsy
    expect(await assertMod.run({ that: 'nothing_here == 1' }, real(vars))).toMatchObject({ failed: true, assertion: 'nothing_here == 1' });
  });
});
