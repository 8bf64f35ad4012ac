import { describe, expect, it } from 'vitest';
import { normalizeMode, parseFileState, probeFileScript, stateText, tempPrefix } from '../../src/modules/lib/file-state.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('file state probe output', () => {
  it('parses a regular file with its content', () => {
    const out = `file|640|root|adm|0|4|6|1700000000|abc123||\n${b64('hello\n')}\n`;
    const st = parseFileState(out, { content: true, path: '/etc/x' });
    expect(st).toMatchObject({ type: 'file', path: '/etc/x', mode: '640', owner: 'root', group: 'adm', uid: 0, gid: 4, size: 6, sha256: 'abc123' });
    expect(st.content?.toString()).toBe('hello\n');
  });

  it('an empty file has empty content; a too-large one has none', () => {
    expect(parseFileState('file|644|a|b|1|1|0|1|e3b0||\n', { content: true }).content).toEqual(Buffer.alloc(0));
    expect(parseFileState('file|644|a|b|1|1|99999999|1|e3b0||\n', { content: true }).content).toBeUndefined();
  });

  it('decodes link targets and followed paths with odd characters', () => {
    const odd = "/tmp/a|b\nc 'd'";
    const st = parseFileState(`link|777|root|root|0|0|5|1||${b64(odd)}|${b64('/x/y')}\n`);
    expect(st).toMatchObject({ type: 'link', linkTarget: odd, path: '/x/y' });
  });

  it('parses directories and absence, and checksums of other algorithms', () => {
    expect(parseFileState('directory|2755|root|staff|0|50|4096|1|||\n')).toMatchObject({ type: 'directory', mode: '2755' });
    expect(parseFileState('absent||||||||||\n', { path: '/nope/' })).toEqual({ type: 'absent', path: '/nope' });
    const sha1 = parseFileState('file|644|a|b|1|1|3|1|da39||\n', { checksum: 'sha1' });
    expect(sha1.checksum).toBe('da39');
    expect(sha1.sha256).toBeUndefined();
  });

  it('quotes the path and cleans up only our own temp files', () => {
    const s = probeFileScript("/etc/it's $(here)");
    expect(s).toContain(`p='/etc/it'\\''s $(here)'`);
    expect(s).toContain('.fabric-"*');
    expect(tempPrefix('/etc/frr/frr.conf')).toBe('/etc/frr/.frr.conf.fabric-');
  });

  it('normalises modes and prints state for diffs', () => {
    expect(normalizeMode('0644')).toBe('644');
    expect(normalizeMode(644)).toBe('644');
    expect(normalizeMode('u+x')).toBe('u+x');
    expect(stateText({ type: 'file', path: '', mode: '600', owner: 'root', group: 'root' })).toBe('file, mode 0600, owner root, group root\n');
    expect(stateText({ type: 'absent', path: '' })).toBe('absent\n');
  });
});
