import { describe, expect, it } from 'vitest';
import { blockInFile, expandTemplate, lineInFile, pyRegex, readLines } from '../../src/modules/lib/line-edit.js';

const present = (text: string | null, a: Record<string, unknown>) => lineInFile(text, { state: 'present', ...a });

describe('lineinfile (Ansible semantics)', () => {
  it('appends a missing line at EOF, adding the missing final newline first', () => {
    expect(present('a\nb', { line: 'c' })).toMatchObject({ text: 'a\nb\nc\n', changed: true, msg: 'line added' });
    expect(present(null, { line: 'c' }).text).toBe('c\n');
  });

  it('is a no-op when the exact line exists', () => {
    expect(present('a\nc\nb\n', { line: 'c' })).toMatchObject({ text: 'a\nc\nb\n', changed: false });
  });

  it('replaces the LAST line matching regexp (firstmatch: the first)', () => {
    const t = 'x=1\ny=2\nx=3\n';
    expect(present(t, { regexp: '^x=', line: 'x=9' }).text).toBe('x=1\ny=2\nx=9\n');
    expect(present(t, { regexp: '^x=', line: 'x=9', firstmatch: true }).text).toBe('x=9\ny=2\nx=3\n');
    expect(present('x=9\n', { regexp: '^x=', line: 'x=9' }).changed).toBe(false);
  });

  it('matches `$` before the line end like Python', () => {
    expect(present('PermitRootLogin yes\n', { regexp: 'yes$', line: 'PermitRootLogin no' }).text).toBe('PermitRootLogin no\n');
  });

  it('inserts after the last insertafter match, or before the last insertbefore match', () => {
    const t = '[a]\nk=1\n[b]\nk=2\n';
    expect(present(t, { line: 'new', insertafter: '^\\[' }).text).toBe('[a]\nk=1\n[b]\nnew\nk=2\n');
    expect(present(t, { line: 'new', insertafter: '^\\[', firstmatch: true }).text).toBe('[a]\nnew\nk=1\n[b]\nk=2\n');
    expect(present(t, { line: 'new', insertbefore: '^\\[' }).text).toBe('[a]\nk=1\nnew\n[b]\nk=2\n');
    expect(present(t, { line: 'new', insertbefore: 'BOF' }).text).toBe('new\n[a]\nk=1\n[b]\nk=2\n');
  });

  it('appends at EOF when insertafter/insertbefore match nothing', () => {
    expect(present('a\n', { line: 'new', insertafter: '^zzz' }).text).toBe('a\nnew\n');
    expect(present('a\n', { line: 'new', insertbefore: '^zzz' }).text).toBe('a\nnew\n');
  });

  it('does not insert twice after the anchor', () => {
    expect(present('[a]\nnew\n', { line: 'new', insertafter: '^\\[a\\]' }).changed).toBe(false);
  });

  it('regexp wins over insertafter when it matches', () => {
    expect(present('[a]\nport=1\n', { regexp: '^port=', line: 'port=2', insertafter: '^\\[a\\]' }).text).toBe('[a]\nport=2\n');
  });

  it('backrefs: expands groups, and leaves the file alone when nothing matches', () => {
    const t = 'ListenAddress 0.0.0.0\n';
    expect(present(t, { regexp: '^(ListenAddress) .*$', line: '\\1 127.0.0.1', backrefs: true }).text).toBe('ListenAddress 127.0.0.1\n');
    expect(present(t, { regexp: '^(?P<k>Listen\\w+) .*$', line: '\\g<k> ::1', backrefs: true }).text).toBe('ListenAddress ::1\n');
    expect(present(t, { regexp: '^Port (.*)$', line: 'Port \\1', backrefs: true })).toMatchObject({ text: t, changed: false });
  });

  it('state absent removes every matching line and counts them', () => {
    expect(lineInFile('a\nb\na\n', { state: 'absent', line: 'a' })).toMatchObject({ text: 'b\n', changed: true, found: 2, msg: '2 line(s) removed' });
    expect(lineInFile('a1\nb\na2\n', { state: 'absent', regexp: '^a' })).toMatchObject({ text: 'b\n', found: 2 });
    expect(lineInFile('b\n', { state: 'absent', line: 'a' })).toMatchObject({ changed: false, found: 0 });
    expect(lineInFile('xay\nb\n', { state: 'absent', search_string: 'a' }).text).toBe('b\n');
  });

  it('search_string matches literally (no regex)', () => {
    expect(present('a.b=1\naxb=2\n', { search_string: 'a.b', line: 'a.b=3' }).text).toBe('a.b=3\naxb=2\n');
  });

  it('keeps hostile text literal', () => {
    const line = `x='$(touch /tmp/pwned)' \`id\`; rm -rf / \\1`;
    expect(present('a\n', { line }).text).toBe(`a\n${line}\n`);
  });
});

describe('python regex translation', () => {
  it('translates named groups, \\A, \\Z and inline flags', () => {
    expect(pyRegex('(?i)^abc').re.test('ABC')).toBe(true);
    expect(pyRegex('(?m)x$').multiline).toBe(true);
    expect(pyRegex('\\Aab\\Z').re.test('ab')).toBe(true);
    expect(pyRegex('\\Aab\\Z').re.test('ab\n')).toBe(false);
    const m = pyRegex('(?P<a>x)(?P=a)').re.exec('xx')!;
    expect(expandTemplate('[\\g<a>\\1\\g<1>]\\n', m)).toBe('[xxx]\n');
  });

  it('splits lines like readlines()', () => {
    expect(readLines('a\r\nb\nc')).toEqual(['a\r\n', 'b\n', 'c']);
    expect(readLines('')).toEqual([]);
  });
});

const block = (text: string | null, a: Record<string, unknown>) =>
  blockInFile(text, { block: 'x=1\ny=2', marker: '# {mark} ANSIBLE MANAGED BLOCK', marker_begin: 'BEGIN', marker_end: 'END', state: 'present', ...a });

describe('blockinfile (Ansible semantics)', () => {
  const managed = '# BEGIN ANSIBLE MANAGED BLOCK\nx=1\ny=2\n# END ANSIBLE MANAGED BLOCK\n';

  it("appends the block with Ansible's default markers, so Ansible-managed files stay no-ops", () => {
    expect(block('a', {})).toMatchObject({ text: `a\n${managed}`, changed: true, msg: 'Block inserted' });
    expect(block(`a\n${managed}b\n`, {})).toMatchObject({ changed: false });
    expect(block(null, {})).toMatchObject({ text: managed, msg: 'File created' });
  });

  it('replaces the block between existing markers in place', () => {
    const old = 'a\n# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\nb\n';
    expect(block(old, {}).text).toBe(`a\n${managed}b\n`);
  });

  it('removes the block (state absent, or an empty block)', () => {
    expect(block(`a\n${managed}b\n`, { state: 'absent' })).toMatchObject({ text: 'a\nb\n', msg: 'Block removed' });
    expect(block(`a\n${managed}`, { block: '' }).text).toBe('a\n');
  });

  it('places a new block after the last insertafter match / before the last insertbefore match / at BOF', () => {
    const t = 's1\nk\ns2\nk\n';
    expect(block(t, { insertafter: '^s' }).text).toBe(`s1\nk\ns2\n${managed}k\n`);
    expect(block(t, { insertbefore: '^s' }).text).toBe(`s1\nk\n${managed}s2\nk\n`);
    expect(block(t, { insertbefore: 'BOF' }).text).toBe(`${managed}${t}`);
  });

  it('honours custom markers and marker_begin/marker_end', () => {
    const r = block('', { marker: '<!-- {mark} -->', marker_begin: 'START', marker_end: 'STOP', block: 'b' });
    expect(r.text).toBe('<!-- START -->\nb\n<!-- STOP -->\n');
  });

  it('prepend_newline / append_newline add blank lines around the block', () => {
    const r = block('a\nb\n', { insertafter: '^a', prepend_newline: true, append_newline: true });
    expect(r.text).toBe(`a\n\n${managed}\nb\n`);
  });
});
