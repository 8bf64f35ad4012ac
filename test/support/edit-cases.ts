/**
 * File-editing cases run by Ansible and by fabric on the same inputs
 * (test/integration/edit-modules-oracle.test.ts). `start` is the file's text before (null: no
 * file), `mode` its mode; args use PATH for the file's path. Many follow Ansible's own integration
 * tests for these modules (backrefs, insertbefore BOF, firstmatch, markers, symbolic modes, force).
 */
export interface EditCase {
  module: 'replace' | 'ini_file' | 'lineinfile' | 'blockinfile' | 'copy' | 'file';
  args: Record<string, unknown>;
  start: string | null;
  mode?: string;
}

const hosts = '127.0.0.1 localhost\n# comment\n10.0.0.1 cp1\n10.0.0.2 w1\n';
const ini = '; top comment\nglobal = 1\n\n[main]\nname = old\n# note\nport=80\n\n[other]\nname = x\n';
const conf = 'listen 80\nworkers 4\n# listen 8080\nuser www\n';

const c = (module: EditCase['module'], start: string | null, args: Record<string, unknown>, mode?: string): EditCase => ({ module, start, args: { path: 'PATH', ...args }, ...(mode ? { mode } : {}) });

export const EDIT_CASES: EditCase[] = [
  // replace
  c('replace', hosts, { regexp: '^10\\.0\\.0\\.(\\d+)', replace: '192.168.0.\\1' }),
  c('replace', hosts, { regexp: 'cp1', replace: 'control' }),
  c('replace', hosts, { regexp: 'nomatch', replace: 'x' }),
  c('replace', hosts, { regexp: '^#.*\\n', replace: '' }),
  c('replace', hosts, { regexp: 'w1$', replace: 'worker1' }),
  c('replace', hosts, { regexp: '(?P<ip>[\\d.]+) (?P<name>\\w+)', replace: '\\g<name> \\g<ip>' }),
  c('replace', hosts, { regexp: 'localhost', replace: 'lh', after: '# comment' }),
  c('replace', hosts, { regexp: '10', replace: 'ten', after: '# comment' }),
  c('replace', hosts, { regexp: '10', replace: 'ten', before: 'w1' }),
  c('replace', hosts, { regexp: '0', replace: 'O', after: 'cp1', before: 'w1' }),
  c('replace', hosts, { regexp: 'x', replace: 'y', after: 'not there' }),
  c('replace', conf, { regexp: '^listen .*$', replace: 'listen 443' }),
  c('replace', conf, { regexp: '^(workers) \\d+', replace: '\\1 8' }),
  c('replace', conf, { regexp: '^user www$', replace: 'user www' }),
  c('replace', conf, { regexp: 'www', replace: 'nginx', mode: '0600' }),
  c('replace', conf, { regexp: '\\s+$', replace: '' }),
  c('replace', '', { regexp: '^', replace: 'x' }),
  c('replace', 'a\nb\n', { regexp: '(?i)A', replace: 'z' }),
  c('replace', 'tab\there\n', { regexp: '\\t', replace: ' ' }),
  c('replace', 'one two\n', { regexp: ' ', replace: '\\n' }),
  c('replace', conf, { regexp: 'listen', replace: 'bind' }, '0640'),
  // ini_file
  c('ini_file', ini, { section: 'main', option: 'name', value: 'new' }),
  c('ini_file', ini, { section: 'main', option: 'name', value: 'old' }),
  c('ini_file', ini, { section: 'main', option: 'port', value: '80' }),
  c('ini_file', ini, { section: 'main', option: 'port', value: '8080', no_extra_spaces: true }),
  c('ini_file', ini, { section: 'main', option: 'added', value: 'yes' }),
  c('ini_file', ini, { section: 'new', option: 'k', value: 'v' }),
  c('ini_file', ini, { section: 'new' , allow_no_value: true }),
  c('ini_file', ini, { section: 'other', state: 'absent' }),
  c('ini_file', ini, { section: 'main', option: 'name', state: 'absent' }),
  c('ini_file', ini, { section: 'main', option: 'port', value: '81', state: 'absent', exclusive: false }),
  c('ini_file', ini, { section: 'main', option: 'port', value: '80', state: 'absent', exclusive: false }),
  c('ini_file', ini, { section: null, option: 'global', value: '2' }),
  c('ini_file', ini, { section: null, option: 'fresh', value: 'top' }),
  c('ini_file', ini, { section: 'main', option: 'note', value: 'uncommented' }),
  c('ini_file', ini, { section: 'main', option: 'flag', allow_no_value: true }),
  c('ini_file', ini, { section: 'main', option: 'multi', values: ['a', 'b', 'a'] }),
  c('ini_file', '[s]\nm = a\nm = c\nm = b\n', { section: 's', option: 'm', values: ['a', 'b'] }),
  c('ini_file', '[s]\nm = a\nm = c\nm = b\n', { section: 's', option: 'm', values: ['a', 'b'], exclusive: false }),
  c('ini_file', '[s]\nm = a\nm = c\n', { section: 's', option: 'm', state: 'absent' }),
  c('ini_file', null, { section: 'main', option: 'k', value: 'v' }),
  c('ini_file', null, { section: 'main', option: 'k', value: 'v', create: false }),
  c('ini_file', '', { section: 'main', option: 'k', value: 'v' }),
  c('ini_file', '[main]\nk = v', { section: 'main', option: 'k', value: 'v' }),
  c('ini_file', '[main]\nk=v\n', { section: 'main', option: 'k', value: 'v' }),
  c('ini_file', '[main]\nk = v\n', { section: 'main', option: 'k', value: 'w', mode: '0600' }),
  c('ini_file', '[main]\n  k = v\n', { section: 'main', option: 'k', value: 'w' }),
  c('ini_file', '[main]\n#k = v\n', { section: 'main', option: 'k', value: 'v' }),
  c('ini_file', '[main]\n\n\n[next]\n', { section: 'main', option: 'k', value: 'v' }),
  c('ini_file', '[main]\nk = v\n', { section: 'main', option: 'k', state: 'absent', exclusive: false }),
  // lineinfile
  c('lineinfile', hosts, { line: '10.0.0.3 w2' }),
  c('lineinfile', hosts, { line: '10.0.0.1 cp1' }),
  c('lineinfile', hosts, { regexp: '^10\\.0\\.0\\.2 ', line: '10.0.0.2 worker' }),
  c('lineinfile', hosts, { regexp: '^10\\.0\\.0\\.9 ', line: '10.0.0.9 new' }),
  c('lineinfile', hosts, { regexp: '^# comment', state: 'absent' }),
  c('lineinfile', hosts, { line: 'nothere', state: 'absent' }),
  c('lineinfile', hosts, { line: 'first', insertbefore: 'BOF' }),
  c('lineinfile', hosts, { line: 'before cp1', insertbefore: 'cp1' }),
  c('lineinfile', hosts, { line: 'after comment', insertafter: '^# comment' }),
  c('lineinfile', hosts, { line: 'after ten', insertafter: '^10', firstmatch: true }),
  c('lineinfile', hosts, { line: 'after ten', insertafter: '^10' }),
  c('lineinfile', hosts, { line: 'before ten', insertbefore: '^10', firstmatch: true }),
  c('lineinfile', hosts, { regexp: '^(10\\.0\\.0\\.1) (\\w+)', line: '\\2 at \\1', backrefs: true }),
  c('lineinfile', hosts, { regexp: '^nomatch (\\w+)', line: '\\1', backrefs: true }),
  c('lineinfile', hosts, { search_string: '10.0.0.2', line: '10.0.0.2 searched' }),
  c('lineinfile', hosts, { search_string: 'localhost', state: 'absent' }),
  c('lineinfile', 'no newline at end', { line: 'added' }),
  c('lineinfile', '', { line: 'only' }),
  c('lineinfile', null, { line: 'created', create: true }),
  c('lineinfile', null, { line: 'not created' }),
  c('lineinfile', conf, { regexp: '^listen', line: 'listen 443', insertafter: 'EOF' }),
  c('lineinfile', conf, { regexp: '^listen 8080', line: 'listen 8080', insertbefore: '^user' }),
  c('lineinfile', conf, { line: 'user www', mode: '0600' }),
  c('lineinfile', conf, { line: 'user www', mode: 'u=rw,g=r,o=' }, '0644'),
  c('lineinfile', 'a\na\na\n', { regexp: '^a$', line: 'b' }),
  c('lineinfile', 'a\na\na\n', { line: 'a', state: 'absent' }),
  c('lineinfile', 'x\r\ny\r\n', { line: 'z' }),
  // blockinfile
  c('blockinfile', hosts, { block: 'line one\nline two' }),
  c('blockinfile', hosts, { block: 'line one\nline two', insertbefore: 'BOF' }),
  c('blockinfile', hosts, { block: 'in the middle', insertafter: '^# comment' }),
  c('blockinfile', hosts, { block: 'own markers', marker: '// {mark} managed' }),
  c('blockinfile', hosts, { block: 'custom', marker_begin: 'START', marker_end: 'STOP' }),
  c('blockinfile', `${hosts}# BEGIN ANSIBLE MANAGED BLOCK\nold\n# END ANSIBLE MANAGED BLOCK\n`, { block: 'new' }),
  c('blockinfile', `${hosts}# BEGIN ANSIBLE MANAGED BLOCK\nsame\n# END ANSIBLE MANAGED BLOCK\n`, { block: 'same' }),
  c('blockinfile', `# BEGIN ANSIBLE MANAGED BLOCK\ngone\n# END ANSIBLE MANAGED BLOCK\n${hosts}`, { state: 'absent' }),
  c('blockinfile', `# BEGIN ANSIBLE MANAGED BLOCK\ngone\n# END ANSIBLE MANAGED BLOCK\n${hosts}`, { block: '' }),
  c('blockinfile', null, { block: 'new file', create: true }),
  c('blockinfile', 'no newline', { block: 'appended' }),
  c('blockinfile', hosts, { block: 'x', insertbefore: '^10' }),
  c('blockinfile', hosts, { block: 'moded', mode: '0600' }),
  // copy
  c('copy', null, { content: 'new content\n' }),
  c('copy', 'same\n', { content: 'same\n' }),
  c('copy', 'old\n', { content: 'new\n' }),
  c('copy', 'old\n', { content: 'new\n', force: false }),
  c('copy', null, { content: 'made\n', force: false }),
  c('copy', 'same\n', { content: 'same\n', mode: '0600' }, '0644'),
  c('copy', 'x\n', { content: 'x\n', mode: 'u+x' }, '0644'),
  c('copy', 'x\n', { content: 'x\n', mode: 'go-r' }, '0644'),
  c('copy', null, { content: '' }),
  c('copy', 'multi\nline\n', { content: 'multi\nline' }),
  // file
  c('file', 'x\n', { mode: '0600' }, '0644'),
  c('file', 'x\n', { mode: '0644' }, '0644'),
  c('file', 'x\n', { mode: 'u+x,g-r' }, '0644'),
  c('file', 'x\n', { mode: 'a=r' }, '0644'),
  c('file', 'x\n', { mode: 'u=rwx,go=rx' }, '0755'),
  c('file', 'x\n', { state: 'absent' }),
  c('file', null, { state: 'absent' }),
  c('file', null, { state: 'file' }),
  c('file', 'x\n', { state: 'file', mode: 'o+w' }, '0640'),
];
