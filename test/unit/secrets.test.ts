import { describe, expect, it } from 'vitest';
import { lazyTemplatedVars } from '../../src/vars/lazy-vars.js';
import { holdsSecret, MASK, maskDeep, maskSecrets, registerSecret } from '../../src/vars/secrets.js';
import { renderString, renderText } from '../../src/vars/template.js';

// Masking by origin: a vault value, and what a filter or helper makes of it, is secret; what merely
// sits beside it (another host's address in hostvars) or text around it is not.
describe('secrets by origin', () => {
  const pw = 'hunter2-bgp-password';
  registerSecret({ bgp_password: pw, port: 17923, short: 'ab' });

  it('masks the plaintext, numbers as text, and its JSON-escaped form; short values are not masked', () => {
    expect(maskSecrets(`neighbor 10.0.0.1 password ${pw}`)).toBe(`neighbor 10.0.0.1 password ${MASK}`);
    expect(maskSecrets('listen 17923')).toBe(`listen ${MASK}`);
    expect(maskSecrets('ab cd')).toBe('ab cd');
    registerSecret('two\nlines "quoted"');
    expect(maskSecrets(JSON.stringify({ v: 'two\nlines "quoted"' }))).toBe(`{"v":"${MASK}"}`);
    expect(maskDeep({ a: [pw], b: 1 })).toEqual({ a: [MASK], b: 1 });
  });

  it('what a filter, helper or concatenation makes of a secret is secret too', () => {
    const vars = { bgp_password: pw, name: 'router' };
    const b64 = renderString('{{ bgp_password | b64encode }}', vars) as string;
    expect(b64).toBe(Buffer.from(pw).toString('base64'));
    expect(maskSecrets(`token ${b64}`)).toBe(`token ${MASK}`);
    const upper = renderString('{{ upper bgp_password }}', vars) as string;
    expect(maskSecrets(upper)).toBe(MASK);
    const hashed = renderText('sha={{ bgp_password | hash("sha256") }}', vars);
    expect(maskSecrets(hashed)).toBe(`sha=${MASK}`);
    // Text around a secret stays readable; a test or comparison of it is not secret.
    expect(maskSecrets(renderText('password is {{ bgp_password }}', vars))).toBe(`password is ${MASK}`);
    expect(renderText('{{ bgp_password is defined }} {{ (bgp_password | length) > 3 }}', vars)).toBe('True True');
    expect(maskSecrets('True True')).toBe('True True');
  });

  it('a variable templated from a secret carries it through lazy rendering', () => {
    const vars = lazyTemplatedVars({ bgp_password: pw, wrapped: '{{ bgp_password | reverse | join("") }}-x' }, new Set());
    const out = renderText('cfg {{ wrapped }}', vars);
    expect(out).toBe(`cfg ${[...pw].reverse().join('')}-x`);
    expect(holdsSecret(out)).toBe(true);
    expect(maskSecrets(out)).toBe(`cfg ${MASK}-x`);
  });

  it('reading beside a secret does not taint: other values of hostvars stay visible', () => {
    const vars = { hostvars: { r1: { fabric_host: '10.77.0.1', bgp_password: pw } } };
    expect(renderString('{{ hostvars.r1.fabric_host }}', vars)).toBe('10.77.0.1');
    expect(renderString('{{ hostvars["r1"].fabric_host ~ "/32" }}', vars)).toBe('10.77.0.1/32');
    expect(maskSecrets('peer 10.77.0.1/32')).toBe('peer 10.77.0.1/32');
  });
});
