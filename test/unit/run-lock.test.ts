// The run lock's answer as the controller reads it: who holds the host, and when a lock is stale.
import { describe, expect, it } from 'vitest';
import { lockRefusal, lockScript, staleHolder, type RunLock } from '../../src/connection/run-lock.js';

const mine: RunLock = { run: 'aaaaaaaaaaaa', controller: 'ctl', user: 'op', pid: process.pid, label: 'fabric play site.yml', waitSeconds: 2 };

describe('run lock answers', () => {
  it('ok and shared (another connection of this run) go on', () => {
    expect(lockRefusal('h1', 'ok', mine)).toBeUndefined();
    expect(lockRefusal('h1', 'shared', mine)).toBeUndefined();
  });

  it('a held lock names the run, its command, user, pid, controller and since when', () => {
    const e = lockRefusal('h1', 'held 0123456789ab h1 1796600000 4242 other-ctl alice 777 fabric play site.yml', mine)!;
    expect(e.message).toBe('locked by run 0123456789ab (fabric play site.yml, alice, pid 777) on other-ctl since 2026-12-06T23:33:20Z; waited 2 s (--lock-wait)');
    expect(e.holder).toEqual({ run: '0123456789ab', controller: 'other-ctl', shellPid: 4242, pid: 777 });
    expect(staleHolder(e, mine)).toBeUndefined(); // another controller: never broken from here
  });

  it('a lock file that says nothing useful is still a refusal, quoting it', () => {
    expect(lockRefusal('h1', 'held garbage', mine)!.message).toBe('locked by another run (lock file says: garbage); waited 2 s (--lock-wait)');
    expect(lockRefusal('h1', 'cannot open the lock file /tmp/fabric-run.lock', mine)!.message).toBe('run lock: cannot open the lock file /tmp/fabric-run.lock');
  });

  it('stale only when the holder ran on this controller and its process is gone', () => {
    const held = (pid: number, run = 'bbbbbbbbbbbb') => lockRefusal('h1', `held ${run} h1 1796600000 4242 ctl op ${pid} fabric play x.yml`, mine)!;
    expect(staleHolder(held(process.pid), mine)).toBeUndefined(); // alive
    expect(staleHolder(held(2 ** 22 + 1), mine)).toMatchObject({ shellPid: 4242 }); // no such pid (above pid_max)
    expect(staleHolder(held(2 ** 22 + 1, mine.run), mine)).toBeUndefined(); // our own run
  });

  it('the script quotes what it writes and bounds its wait in 0.2 s steps', () => {
    const s = lockScript({ ...mine, label: "fabric play it's.yml", waitSeconds: 1 }, 'h1');
    expect(s).toContain(`'ctl op ${process.pid} fabric play it'\\''s.yml'`);
    expect(s).toContain('-gt 5 ]');
    expect(s).toContain('exit 75');
  });
});
