import { describe, expect, it } from 'vitest';
import { applyMode, modeArg, modeSatisfied, validModeArg } from '../../src/modules/lib/mode.js';

describe('chmod modes computed in node', () => {
  it('reads YAML numbers the way users wrote them', () => {
    expect(modeArg(644)).toBe('644'); // `mode: 0644` under YAML 1.2
    expect(modeArg(420)).toBe('420');
    expect(modeArg(493 * 10)).toBe((4930).toString(8)); // not octal digits: converted
    expect(modeArg('0600')).toBe('0600');
  });

  it('applies symbolic clauses like GNU chmod', () => {
    expect(applyMode(0o644, 'u+x', false)).toBe(0o744);
    expect(applyMode(0o777, 'go-w', false)).toBe(0o755);
    expect(applyMode(0o600, 'a=rX', false)).toBe(0o444);
    expect(applyMode(0o700, 'a=rX', true)).toBe(0o555);
    expect(applyMode(0o640, 'o=g', false)).toBe(0o644);
    expect(applyMode(0o751, 'go=u', false)).toBe(0o777);
    expect(applyMode(0o4755, 'u-s', false)).toBe(0o755);
    expect(applyMode(0o755, 'u+s', false)).toBe(0o4755);
    expect(applyMode(0o644, '+x', false)).toBe(0o755);
    expect(applyMode(0o644, '0600', false)).toBe(0o600);
  });

  it('tells an already-satisfied mode from one that needs chmod', () => {
    expect(modeSatisfied('644', '0644', false)).toBe(true);
    expect(modeSatisfied('644', '644', false)).toBe(true);
    expect(modeSatisfied('644', '0600', false)).toBe(false);
    expect(modeSatisfied('755', 'u+x', false)).toBe(true);
    expect(modeSatisfied('644', 'u+x', false)).toBe(false);
    expect(modeSatisfied(undefined, '0644', false)).toBe(false);
    expect(modeSatisfied('600', undefined, false)).toBe(true);
  });

  it('rejects modes chmod would not read', () => {
    expect(validModeArg('u=rwx,go=rx')).toBe(true);
    expect(validModeArg('0755')).toBe(true);
    expect(validModeArg('rwxr-xr-x')).toBe(false);
    expect(validModeArg('0999')).toBe(false);
    expect(validModeArg('$(id)')).toBe(false);
  });
});
