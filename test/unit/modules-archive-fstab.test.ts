import { describe, expect, it } from 'vitest';
import { excluded, excludePatterns, formatOf, memberDiffers, parseListing, parseStats } from '../../src/modules/lib/archive.js';
import { parseMountinfo } from '../../src/modules/lib/fstab.js';

describe('mountinfo', () => {
  it('reads mount point, fstype and source past the optional fields, octal escapes decoded', () => {
    const m = parseMountinfo(
      [
        '22 1 0:21 / / rw,relatime shared:1 - overlay overlay rw,lowerdir=/',
        '40 22 0:35 / /mnt/with\\040space rw master:2 shared:7 - tmpfs tmp\\040fs rw,size=1024k',
        '',
      ].join('\n'),
    );
    expect(m.get('/')).toEqual({ fstype: 'overlay', src: 'overlay' });
    expect(m.get('/mnt/with space')).toEqual({ fstype: 'tmpfs', src: 'tmp fs' });
    expect(m.size).toBe(2);
  });
});

describe('archive listings', () => {
  it('knows the formats by their magic bytes, anything else is tried as tar', () => {
    expect(formatOf(Buffer.from('504b030414', 'hex'))).toBe('zip');
    expect(formatOf(Buffer.from('1f8b0800', 'hex'))).toBe('gz');
    expect(formatOf(Buffer.from('BZh91AY'))).toBe('bz2');
    expect(formatOf(Buffer.from('fd377a585a0000', 'hex'))).toBe('xz');
    expect(formatOf(Buffer.from('top.txt\0'))).toBe('tar');
  });

  it('parses tar -tv --full-time --utc: files, directories, links, hard links, devices; leading / and emptied names dropped', () => {
    const out = [
      '-rw-r--r-- 0/0               4 2026-12-07 00:27:10 top.txt',
      'drwxr-xr-x 0/0               0 2026-12-07 00:27:10 d/',
      'lrwxrwxrwx 0/0               0 2026-12-07 00:27:10 d/l -> ../top.txt',
      'hrw-r--r-- 0/0               0 2026-12-07 00:27:10 d/h link to top.txt',
      'crw-rw-rw- 0/0             1,3 2026-12-07 00:27:10 dev/null',
      '-rw-r--r-- 0/0               2 2026-12-07 00:27:10 /abs name',
      'drwxr-xr-x 0/0               0 2026-12-07 00:27:10 /',
    ].join('\n');
    const t = Date.UTC(2026, 11, 7, 0, 27, 10) / 1000;
    expect(parseListing('gz', out)).toEqual([
      { name: 'top.txt', type: 'file', size: 4, mtime: t },
      { name: 'd/', type: 'directory', size: 0, mtime: t },
      { name: 'd/l', type: 'link', size: 0, mtime: t },
      { name: 'd/h', type: 'hardlink', size: 0, mtime: t },
      { name: 'dev/null', type: 'other', size: 0, mtime: t },
      { name: 'abs name', type: 'file', size: 2, mtime: t },
    ]);
  });

  it('parses zipinfo -T -s, skipping its header and totals', () => {
    const out = [
      'Archive:  /tmp/a.zip',
      'Zip file size: 500 bytes, number of entries: 2',
      'drwxr-xr-x  3.0 unx        0 bx stor 20261207.002710 d/',
      '-rw-r--r--  3.0 unx       11 tx stor 20261207.002710 d/f x.txt',
      '2 files, 11 bytes uncompressed, 11 bytes compressed:  0.0%',
    ].join('\n');
    expect(parseListing('zip', out)).toEqual([
      { name: 'd/', type: 'directory', size: 0 },
      { name: 'd/f x.txt', type: 'file', size: 11 },
    ]);
  });

  it('excludes as tar does: the name, any trailing part of it, or a directory above it', () => {
    const p = excludePatterns(['*.log', 'cache/', 'd/x']);
    expect(excluded('a.log', p)).toBe(true);
    expect(excluded('sub/b.log', p)).toBe(true);
    expect(excluded('cache/', p)).toBe(true);
    expect(excluded('cache/file', p)).toBe(true);
    expect(excluded('top/d/x', p)).toBe(true);
    expect(excluded('d/xy', p)).toBe(false);
    expect(excluded('logs/a.txt', p)).toBe(false);
  });

  it('a member is in place with the same type, size and (tar) mtime, and the asked-for mode and owner', () => {
    const [d] = [...parseStats(['regular file|4|100|644|root|root|0|0|top.txt']).values()];
    const m = { name: 'top.txt', type: 'file' as const, size: 4, mtime: 100 };
    expect(memberDiffers(m, d, {})).toBeUndefined();
    expect(memberDiffers({ ...m, mtime: 101 }, d, {})).toBe('top.txt differs in mtime');
    expect(memberDiffers({ ...m, size: 5 }, d, {})).toBe('top.txt differs in size');
    expect(memberDiffers(m, undefined, {})).toBe('top.txt is missing');
    expect(memberDiffers(m, d, { mode: '0600' })).toBe('top.txt differs in mode');
    expect(memberDiffers(m, d, { owner: '0', group: 'root' })).toBeUndefined();
    expect(memberDiffers(m, d, { owner: 'nobody' })).toBe('top.txt differs in ownership');
  });
});
