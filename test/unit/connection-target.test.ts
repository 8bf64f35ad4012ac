import { afterEach, describe, expect, it, vi } from 'vitest';
import { UnreachableError } from '../../src/connection/types.js';
import { ConnectionPool, DEFAULT_PERSIST_SECONDS, hostTarget } from '../../src/run/connections.js';

describe('fabric_ssh_persist', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('defaults to 60 s; FABRIC_SSH_PERSIST sets the default; the host variable wins', () => {
    vi.stubEnv('FABRIC_SSH_PERSIST', undefined as unknown as string);
    expect(hostTarget('h', {}).persist).toBe(DEFAULT_PERSIST_SECONDS);
    vi.stubEnv('FABRIC_SSH_PERSIST', '0');
    expect(hostTarget('h', {}).persist).toBe(0);
    expect(hostTarget('h', { fabric_ssh_persist: 5 }).persist).toBe(5);
    expect(hostTarget('h', { fabric_ssh_persist: '7' }).persist).toBe(7); // -e fabric_ssh_persist=7
  });

  it('a value that is not a number of seconds makes that host unreachable, before any connection', async () => {
    const pool = new ConnectionPool({ connectTimeoutMs: 1000, acceptNewHostKeys: false });
    const t = hostTarget('h', { fabric_host: '127.0.0.1', fabric_ssh_persist: 'soon' });
    const err = await pool.get(t).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnreachableError);
    expect((err as Error).message).toMatch(/fabric_ssh_persist .* must be a number of seconds/);
  });
});
