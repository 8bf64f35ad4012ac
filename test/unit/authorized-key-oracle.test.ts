import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { editAuthorizedKeys } from '../../src/modules/lib/ssh-keys.js';

// The authorized_keys editing against Ansible's own code (Debian's ansible, ansible.posix): its
// enforce_state in check mode with a path (it then reads the file and computes the new text, and
// never looks a user up or writes), on the same start text and arguments.
const ANSIBLE = '/usr/lib/python3/dist-packages/ansible_collections/ansible/posix/plugins/modules/authorized_key.py';

const A = 'AAAAC3NzaC1lZDI1NTE5AAAAIOne';
const B = 'AAAAC3NzaC1lZDI1NTE5AAAAITwo';
const C = 'AAAAB3NzaC1yc2EAAAADAQABAAABAQThree';

interface Case {
  start: string;
  key: string;
  state?: 'present' | 'absent';
  exclusive?: boolean;
  key_options?: string;
  comment?: string;
}

const CASES: Case[] = [
  { start: '', key: `ssh-ed25519 ${A} one` },
  { start: '', key: `ssh-ed25519 ${A}` },
  { start: `ssh-ed25519 ${A} one\n`, key: `ssh-ed25519 ${A} one` },
  { start: `ssh-ed25519 ${A} \n`, key: `ssh-ed25519 ${A}` },
  { start: `# head\nssh-ed25519 ${B} two\n\n\n`, key: `ssh-ed25519 ${A} one` },
  { start: `ssh-ed25519 ${A} one\nssh-ed25519 ${B} two\n`, key: `ssh-ed25519 ${A} one`, key_options: 'no-pty' },
  { start: `no-pty,from="a,b" ssh-ed25519 ${A} one\n`, key: `ssh-ed25519 ${A} one`, key_options: 'from="a,b",no-pty' },
  { start: `permitopen="h:1",permitopen="h:2" ssh-ed25519 ${A} one\n`, key: `ssh-ed25519 ${A} one`, key_options: 'permitopen="h:2",permitopen="h:1"' },
  { start: `ssh-ed25519 ${A} one\n`, key: `ssh-ed25519 ${A} renamed` },
  { start: `ssh-ed25519 ${A} one\n`, key: `ssh-ed25519 ${A} x`, comment: 'one' },
  { start: `ssh-ed25519 ${A} one\nssh-ed25519 ${B} two\n`, key: `ssh-ed25519 ${B}\nssh-ed25519 ${A}`, comment: 'c' },
  { start: `# c\nno-pty ssh-ed25519 ${A} one\nssh-ed25519 ${B} two\n`, key: `ssh-ed25519 ${A}`, state: 'absent' },
  { start: `ssh-ed25519 ${B} two\n`, key: `ssh-ed25519 ${A}`, state: 'absent' },
  { start: `# c\nssh-ed25519 ${A} one\nssh-rsa ${C} three\n`, key: `ssh-rsa ${C} three`, exclusive: true },
  { start: `ssh-ed25519 ${A} one\nssh-rsa ${C} three\n`, key: `ssh-ed25519 ${B} two\nssh-rsa ${C} three`, exclusive: true },
  { start: `ssh-ed25519 ${A} one\n`, key: `ssh-ed25519 ${A} one\n\n# note\nssh-ed25519 ${B} two\n` },
  { start: `garbage line\nssh-ed25519 ${A} one\n`, key: `ssh-ed25519 ${B} two` },
  { start: `ssh-ed25519 ${A} one\nssh-ed25519 ${A} again\n`, key: `ssh-ed25519 ${A} again` },
  { start: `ssh-ed25519 ${A} one\r\nssh-ed25519 ${B} two\r\n`, key: `ssh-rsa ${C}` },
  { start: `command="echo hi there" ssh-ed25519 ${A} one\n`, key: `ssh-ed25519 ${A} one`, key_options: 'command="echo hi there"' },
];

const PY = `
import importlib.util, json, os, sys, tempfile
spec = importlib.util.spec_from_file_location('ak', sys.argv[1])
ak = importlib.util.module_from_spec(spec); spec.loader.exec_module(ak)
class Exit(Exception): pass
class M:
    check_mode = True
    _diff = True
    def fail_json(self, **kw): raise Exit({'error': kw.get('msg')})
    def exit_json(self, **kw): raise Exit({'changed': kw.get('changed', False)})
out = []
d = tempfile.mkdtemp()
for i, c in enumerate(json.load(sys.stdin)):
    p = os.path.join(d, 'k%d' % i)
    with open(p, 'w', newline='') as f: f.write(c['start'])
    params = dict(user='nobody', key=c['key'], path=p, manage_dir=True, state=c.get('state', 'present'), key_options=c.get('key_options'),
                  exclusive=c.get('exclusive', False), comment=c.get('comment'), follow=False, validate_certs=True)
    try:
        r = ak.enforce_state(M(), params)
        out.append({'changed': bool(r.get('changed')), 'text': r['diff']['after'] if r.get('changed') else c['start']})
    except Exit as e:
        out.append(e.args[0])
print(json.dumps(out))
`;

const dir = mkdtempSync(join(tmpdir(), 'fabric-ak-oracle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.skipIf(!existsSync(ANSIBLE) || !existsSync('/usr/bin/python3'))('authorized_key editing = Ansible', () => {
  it(`${CASES.length} cases: same text, same changed`, () => {
    const theirs = JSON.parse(execFileSync('/usr/bin/python3', ['-c', PY, ANSIBLE], { input: JSON.stringify(CASES), cwd: dir }).toString()) as { changed: boolean; text: string }[];
    CASES.forEach((c, i) => {
      const ours = editAuthorizedKeys(c.start, c.key, { state: c.state ?? 'present', exclusive: c.exclusive ?? false, keyOptions: c.key_options, comment: c.comment });
      expect(ours, `case ${i}: ${JSON.stringify(c)}`).toEqual(theirs[i]);
    });
  });
});
