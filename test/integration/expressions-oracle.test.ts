import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileCondition } from '../../src/vars/conditions.js';
import { renderString } from '../../src/vars/template.js';
import { ORACLE_CASES, ORACLE_VARS } from '../support/expression-cases.js';

// Ansible itself (Debian's ansible-core, installed by scripts/install-deps.sh) evaluates every case
// once; fabric's one evaluator must give the same value inside {{ }} and as a condition.
const run = promisify(execFile);

interface Outcome {
  value?: unknown;
  failed?: string;
}

const normal = (v: unknown): unknown => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));

function fabric(evaluate: () => unknown): Outcome {
  try {
    return { value: normal(evaluate()) };
  } catch (e) {
    return { failed: (e as Error).message };
  }
}

let dir: string;
const ansible = new Map<string, Outcome>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fabric-oracle-'));
  writeFileSync(join(dir, 'vars.json'), JSON.stringify(ORACLE_VARS));
  const tasks = ORACLE_CASES.map((c) => `  - debug: {msg: ${JSON.stringify(`{{ (${c.expr}) | to_json }}`)}}\n    ignore_errors: true\n`).join('');
  writeFileSync(join(dir, 'oracle.yml'), `- hosts: localhost\n  gather_facts: false\n  vars_files: [vars.json]\n  tasks:\n${tasks}`);
  const { stdout } = await run('ansible-playbook', ['-i', 'localhost,', '-c', 'local', join(dir, 'oracle.yml')], {
    cwd: dir,
    env: { ...process.env, ANSIBLE_STDOUT_CALLBACK: 'json', ANSIBLE_NOCOLOR: '1', ANSIBLE_DEPRECATION_WARNINGS: '0', ANSIBLE_LOCALHOST_WARNING: '0' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const out = JSON.parse(stdout.slice(stdout.indexOf('{'))) as { plays: Array<{ tasks: Array<{ hosts: Record<string, { msg?: string; failed?: boolean }> }> }> };
  out.plays[0]!.tasks.forEach((t, i) => {
    const r = t.hosts.localhost!;
    ansible.set(ORACLE_CASES[i]!.expr, r.failed ? { failed: String(r.msg) } : { value: JSON.parse(r.msg!) });
  });
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('expressions against Ansible', () => {
  it(`has at least 200 cases and Ansible answered each (${ORACLE_CASES.length})`, () => {
    expect(ORACLE_CASES.length).toBeGreaterThanOrEqual(200);
    expect(new Set(ORACLE_CASES.map((c) => c.expr)).size).toBe(ORACLE_CASES.length);
    expect(ansible.size).toBe(ORACLE_CASES.length);
  });

  it.each(ORACLE_CASES)('$expr', ({ expr, fails }) => {
    const want = ansible.get(expr)!;
    expect(Boolean(want.failed), `Ansible: ${JSON.stringify(want)}`).toBe(Boolean(fails));
    const inTemplate = fabric(() => renderString(`{{ ${expr} }}`, ORACLE_VARS));
    const asCondition = fabric(() => compileCondition(expr).evaluate(ORACLE_VARS));
    if (fails) {
      expect(inTemplate.failed, JSON.stringify(inTemplate)).toBeDefined();
      expect(asCondition.failed, JSON.stringify(asCondition)).toBeDefined();
    } else {
      expect(inTemplate, 'in {{ }}').toEqual({ value: want.value });
      // Ansible reads backslashes in conditions differently (Python escapes): test/unit/conditions.test.ts
      if (!expr.includes('\\')) expect(asCondition, 'as a condition').toEqual({ value: want.value });
    }
  });
});
